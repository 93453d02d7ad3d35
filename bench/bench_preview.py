"""The Mini App's live preview at scale: answer time over a million stored items, and the page.

Run from the repository root:
    python -m bench.bench_preview [--items 1000000] [--previews 200]
                                  [--engine sqlite|postgresql|both] [--database PATH-OR-URL]
The same data set and topic mix as bench_latest (one topic a preview, as the reader types it);
the database is reused from bench_latest's when given the same --database. Also measures the
page's weight, as sent and gzipped (Telegram's script not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import statistics
import time
from importlib import resources
from pathlib import Path

from bench.bench_latest import ensure_database
from bench.dataset import topic_text
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
from storage.models import TimeZone

TARGET_MS = 300.0
PAGE_LIMIT = 100 * 1024


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


def page_weight() -> tuple[int, int]:
    """The page's bytes as served, and gzipped."""
    page = resources.files("bot.webapp").joinpath("index.html").read_bytes()
    return len(page), len(gzip.compress(page, 9))


def run(location: Path | str, items: int, count: int, server: str = "") -> None:
    how = ensure_database(location, items)
    elapsed, empty = asyncio.run(time_previews(location, topics(count)))
    cut = statistics.quantiles(elapsed, n=100, method="inclusive")
    p50, p95 = cut[49], cut[94]
    engine = ENGINE_NAMES[engine_of(location)]
    conditions = (
        f"{items:,} items over 30 days (database {how}), {count} previews of one topic each "
        f"(bench_latest's mix), {count - empty} with stories; the poller idle"
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
    parser.add_argument("--database", default=None, help="an SQLite file or a PostgreSQL URL")
    add_engine_option(parser)
    args = parser.parse_args()
    report_page()
    if args.database is not None:
        location = args.database if is_postgres_url(args.database) else Path(args.database)
        run(location, args.items, args.previews)
        return
    for engine in chosen_engines(args.engine):
        with bench_databases(engine) as databases:
            location = databases.new()
            run(location, args.items, args.previews, databases.describe_server())


if __name__ == "__main__":
    main()
