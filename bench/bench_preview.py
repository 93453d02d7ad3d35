"""The Mini App's live preview at scale: answer time over a million stored items, and the page.

Run from the repository root:
    python -m bench.bench_preview [--items 1000000] [--previews 200] [--ingesting 40]
                                  [--engine sqlite|postgresql|both] [--database PATH-OR-URL]
The same data set and topic mix as bench_latest (one topic a preview, as the reader types it);
the database is reused from bench_latest's when given the same --database. With --ingesting,
a process of its own stores that many new items a second meanwhile, through the poller's own
store (search words, places, alerts' transaction), as a poller does. Also measures the page's
weight, as sent and gzipped (Telegram's script not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import multiprocessing
import os
import random
import statistics
import time
from collections.abc import Iterator
from importlib import resources
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

from bench.bench_latest import ensure_database
from bench.dataset import FEEDS, item_rows, topic_text
from bench.engines import (
    ENGINE_NAMES,
    add_engine_option,
    bench_databases,
    chosen_engines,
    engine_of,
)
from bench.report import append_result
from bot.matching import TopicQuery, parse_topic
from bot.topics.search import NewsSearch
from bot.webapp.preview import preview
from storage import Storage, is_postgres_url
from storage.models import NewItem, TimeZone

TARGET_MS = 300.0
PAGE_LIMIT = 100 * 1024
# A poller stores a feed's new items together: this many at a time.
INGEST_BATCH = 20


def topics(count: int) -> list[TopicQuery]:
    """Topics as readers write them (bench_latest's mix)."""
    pick = random.Random(13)
    return [parse_topic(topic_text(pick)) for _ in range(count)]


async def time_previews(location: Path | str, made: list[TopicQuery]) -> tuple[list[float], int]:
    """Milliseconds per preview, and how many previews showed no story."""
    storage = Storage(location)
    await storage.open()
    search = NewsSearch(storage)
    elapsed, empty = [], 0
    try:
        await preview(search, made[0], time.time(), TimeZone.WIB, 1)  # opens the file
        for number, query in enumerate(made):
            started = time.perf_counter()
            found = await preview(search, query, time.time(), TimeZone.WIB, number)
            elapsed.append((time.perf_counter() - started) * 1000)
            empty += not found.stories
    finally:
        await storage.close()
    return elapsed, empty


async def _ingest(
    location: Path | str, per_second: float, ready: Event, stop: Event, stored: Queue
) -> None:
    storage = Storage(location)
    await storage.open()
    rows = item_rows(10**9, time.time(), random.Random(time.time_ns()))
    count, batch, started = 0, 0, time.monotonic()
    try:
        while not stop.is_set():
            items = [_new_item(row, batch) for row in _take(rows, INGEST_BATCH)]
            await storage.store_items(batch % FEEDS + 1, items, time.time())
            ready.set()  # storing: the previews may begin
            batch += 1
            count += len(items)
            # Paced by the clock, not by how long a store took: the rate asked, on average.
            await asyncio.sleep(max(0.0, started + count / per_second - time.monotonic()))
    finally:
        await storage.close()
        stored.put(count)


def _take(rows: Iterator[tuple[object, ...]], count: int) -> list[tuple[object, ...]]:
    return [next(rows) for _ in range(count)]


def _new_item(row: tuple[object, ...], batch: int) -> NewItem:
    _, identity, title, summary, body, link, published, _ = row
    return NewItem(
        identity=f"{identity}:live:{batch}",
        title=str(title),
        summary=str(summary),
        body=str(body),
        link=f"{link}/live{batch}",
        published_at=time.time() - 60 if published is not None else None,
    )


def _ingest_process(
    location: Path | str, per_second: float, ready: Event, stop: Event, stored: Queue
) -> None:
    asyncio.run(_ingest(location, per_second, ready, stop, stored))


@contextlib.contextmanager
def ingesting(location: Path | str, per_second: float) -> Iterator[list[int]]:
    """A process storing new items meanwhile; the list holds how many it stored, at the end."""
    if per_second <= 0:
        yield []
        return
    context = multiprocessing.get_context("spawn")
    ready, stop, stored = context.Event(), context.Event(), context.Queue()
    writer = context.Process(
        target=_ingest_process, args=(location, per_second, ready, stop, stored)
    )
    writer.start()
    done: list[int] = []
    try:
        if not ready.wait(120):
            raise RuntimeError("the ingesting process stored nothing within 120 s")
        yield done
    finally:
        stop.set()
        done.append(stored.get(timeout=60))
        writer.join(60)


def page_weight() -> tuple[int, int]:
    """The page's bytes as served, and gzipped."""
    page = resources.files("bot.webapp").joinpath("index.html").read_bytes()
    return len(page), len(gzip.compress(page, 9))


def run(
    location: Path | str, items: int, count: int, server: str = "", ingest: float = 0.0
) -> None:
    how = ensure_database(location, items)
    made = topics(count)
    with ingesting(location, ingest) as stored:
        began = time.perf_counter()
        elapsed, empty = asyncio.run(time_previews(location, made))
        took = time.perf_counter() - began
    poller = (
        f"a poller process storing {ingest:g} new items a second meanwhile, {INGEST_BATCH} at a "
        f"time ({stored[0]:,} in {took:.0f} s of previews)"
        if stored
        else "the poller idle"
    )
    cut = statistics.quantiles(elapsed, n=100, method="inclusive")
    p50, p95 = cut[49], cut[94]
    engine = ENGINE_NAMES[engine_of(location)]
    conditions = (
        f"{items:,} items over 30 days (database {how}), {count} previews of one topic each "
        f"(bench_latest's mix), {count - empty} with stories; {poller}"
    ) + (f"; {server}" if server else "")
    print(f"Mini App preview on {engine} ({conditions}, {os.cpu_count()} cores)")
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(elapsed):.1f} ms (target p95 <= 300 ms)")
    append_result(
        f"Mini App live preview (bench/bench_preview.py), {engine}",
        f"p95 {p95:.1f} ms (p50 {p50:.1f} ms, max {max(elapsed):.1f} ms)",
        f"p95 <= {TARGET_MS:g} ms",
        conditions,
    )


def report_page() -> None:
    raw, packed = page_weight()
    print(f"Mini App page: {raw:,} bytes, {packed:,} gzipped (limit {PAGE_LIMIT:,})")
    append_result(
        "Mini App page weight (bot/webapp/index.html)",
        f"{raw / 1024:.1f} KB as served, {packed / 1024:.1f} KB gzipped",
        "< 100 KB before Telegram's script",
        "one static file: markup, style and script; Telegram's telegram-web-app.js not counted",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--previews", type=int, default=200)
    parser.add_argument(
        "--ingesting", type=float, default=0.0, help="new items a second stored meanwhile"
    )
    parser.add_argument("--database", default=None, help="an SQLite file or a PostgreSQL URL")
    add_engine_option(parser)
    args = parser.parse_args()
    report_page()
    if args.database is not None:
        location = args.database if is_postgres_url(args.database) else Path(args.database)
        run(location, args.items, args.previews, ingest=args.ingesting)
        return
    for engine in chosen_engines(args.engine):
        with bench_databases(engine) as databases:
            location = databases.new()
            run(location, args.items, args.previews, databases.describe_server(), args.ingesting)


if __name__ == "__main__":
    main()
