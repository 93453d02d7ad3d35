"""/latest at scale: answer time of NewsSearch.latest over a million stored items.

Run from the repository root:
    python -m bench.bench_latest [--items 1000000] [--searches 200] [--database PATH]
With --database, an existing database there is reused (and one is built there if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.dataset import build_database, topic_text
from bench.report import append_result
from bot.matching import TopicQuery, parse_topic
from bot.matching.search import NewsSearch
from storage import Storage

TARGET_MS = 50.0


def searches(count: int) -> list[list[TopicQuery]]:
    """Topic searches as readers make them: mostly one topic, some a chat's several topics."""
    pick = random.Random(11)
    made = []
    for n in range(count):
        topics = 1 if n % 4 else pick.randint(2, 5)
        made.append([parse_topic(topic_text(pick)) for _ in range(topics)])
    return made


async def time_searches(path: Path, made: list[list[TopicQuery]]) -> tuple[list[float], int]:
    """Milliseconds per search, and how many searches found nothing."""
    storage = Storage(path)
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


def ensure_database(path: Path, items: int) -> str:
    if path.exists():
        return "reused"
    seconds = build_database(path, items=items, chats=50_000, topics=100_000)
    return f"built in {seconds:.0f} s"


def run(path: Path, items: int, count: int) -> None:
    how = ensure_database(path, items)
    made = searches(count)
    elapsed, empty = asyncio.run(time_searches(path, made))
    cut = statistics.quantiles(elapsed, n=100, method="inclusive")
    p50, p95 = cut[49], cut[94]
    conditions = (
        f"{items:,} items (FTS5, database {how}), {count} topic searches "
        f"(a quarter with 2-5 topics), {count - empty} with results"
    )
    print(f"/latest at scale ({conditions}, {os.cpu_count()} cores)")
    print(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(elapsed):.1f} ms (target p95 <= 50 ms)")
    append_result(
        "/latest at scale, NewsSearch.latest (bench/bench_latest.py)",
        f"p95 {p95:.1f} ms (p50 {p50:.1f} ms, max {max(elapsed):.1f} ms)",
        f"p95 <= {TARGET_MS:g} ms",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--database", type=Path, default=None)
    args = parser.parse_args()
    if args.database is not None:
        run(args.database, args.items, args.searches)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "latest.db", args.items, args.searches)


if __name__ == "__main__":
    main()
