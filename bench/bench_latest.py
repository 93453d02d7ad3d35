"""/latest at scale: answer time of NewsSearch.latest over a million stored items.

Run from the repository root:
    python -m bench.bench_latest [--items 1000000] [--searches 200]
                                 [--engine sqlite|postgresql|both] [--database PATH-OR-URL]
--engine postgresql starts a PostgreSQL server of its own for the run and loads the same items
into it. With --database, an existing database there (an SQLite file, or a PostgreSQL URL) is
reused, and one is built there if it is missing or empty.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from pathlib import Path

import psycopg

from bench.dataset import build_database, topic_text
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
from storage import Storage, is_postgres_url

TARGET_MS = 50.0


def searches(count: int, forms: bool = True) -> list[list[TopicQuery]]:
    """Topic searches as readers make them: mostly one topic, some a chat's several topics.

    `forms=False` reads the topics without word forms and name spellings (as before them).
    """
    pick = random.Random(11)
    made = []
    for n in range(count):
        topics = 1 if n % 4 else pick.randint(2, 5)
        made.append([parse_topic(topic_text(pick), expand=forms) for _ in range(topics)])
    return made


async def time_searches(
    location: Path | str, made: list[list[TopicQuery]]
) -> tuple[list[float], int]:
    """Milliseconds per search, and how many searches found nothing."""
    storage = Storage(location)
    await storage.open()
    search = NewsSearch(storage)
    elapsed, empty = [], 0
    try:
        await search.latest(made[0])  # the first query pays for opening the file
        for queries in made:
            started = time.perf_counter()
            found = (await search.latest(queries)).items
            elapsed.append((time.perf_counter() - started) * 1000)
            empty += not found
    finally:
        await storage.close()
    return elapsed, empty


def has_items(location: Path | str) -> bool:
    """Whether a database exists there with its items already loaded."""
    if not is_postgres_url(location):
        return Path(location).exists()
    with psycopg.connect(str(location)) as db:
        found = db.execute("SELECT to_regclass('items') IS NOT NULL").fetchone()
        return bool(found and found[0] and db.execute("SELECT 1 FROM items LIMIT 1").fetchone())


def ensure_database(location: Path | str, items: int) -> str:
    if has_items(location):
        return "reused"
    seconds = build_database(location, items=items, chats=50_000, topics=100_000)
    return f"built in {seconds:.0f} s"


def run(location: Path | str, items: int, count: int, server: str = "", forms: bool = True) -> None:
    how = ensure_database(location, items)
    made = searches(count, forms)
    elapsed, empty = asyncio.run(time_searches(location, made))
    cut = statistics.quantiles(elapsed, n=100, method="inclusive")
    p50, p95 = cut[49], cut[94]
    engine = ENGINE_NAMES[engine_of(location)]
    index = "tsvector + GIN" if engine_of(location) == "postgresql" else "FTS5"
    conditions = (
        f"{items:,} items ({index}, database {how}), {count} topic searches "
        f"(a quarter with 2-5 topics), {count - empty} with results"
        + ("" if forms else ", topics without word forms and spellings")
    ) + (f"; {server}" if server else "")
    print(f"/latest at scale on {engine} ({conditions}, {os.cpu_count()} cores)")
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(elapsed):.1f} ms (target p95 <= 50 ms)")
    append_result(
        f"/latest at scale, NewsSearch.latest (bench/bench_latest.py), {engine}",
        f"p95 {p95:.1f} ms (p50 {p50:.1f} ms, max {max(elapsed):.1f} ms)",
        f"p95 <= {TARGET_MS:g} ms",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--database", default=None, help="an SQLite file or a PostgreSQL URL")
    parser.add_argument(
        "--no-forms", action="store_true", help="topics without word forms and name spellings"
    )
    add_engine_option(parser)
    args = parser.parse_args()
    forms = not args.no_forms
    if args.database is not None:
        location = args.database if is_postgres_url(args.database) else Path(args.database)
        run(location, args.items, args.searches, forms=forms)
        return
    for engine in chosen_engines(args.engine):
        with bench_databases(engine) as databases:
            location = databases.new()
            run(location, args.items, args.searches, databases.describe_server(), forms)


if __name__ == "__main__":
    main()
