"""Memory: resident set of `warta run`, idle, with a production-sized database.

50,000 chats following 100,000 topics and 1,000,000 stored items; the bot runs as a subprocess
(`python -m bot run`) against the Telegram stand-in and loopback feeds, and is measured once it
has polled every feed. Run from the repository root:
    python -m bench.bench_memory [--items 1000000] [--database PATH]
With --database, an existing database there is reused (and one is built there if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.dataset import FEEDS, build_database
from bench.report import append_result
from bot.standin import FeedItem, FeedServer, TelegramStandIn
from tests.e2e.harness import BotProcess, bot_environment, write_feeds_file

TARGET_MB = 250
CHATS, TOPICS = 50_000, 100_000
START_TIMEOUT = 300.0
NEWS = "Festival layang-layang digelar di pantai, ribuan pengunjung datang"  # no topic matches


def ensure_database(path: Path, items: int) -> str:
    if path.exists():
        return "reused"
    seconds = build_database(path, items=items, chats=CHATS, topics=TOPICS)
    return f"built in {seconds:.0f} s"


def serve_feeds(server: FeedServer) -> list[tuple[str, str, str]]:
    """One loopback feed per feed in the database, with old entries and one piece of news.

    The news is matched against every topic, so the topic index is built as in production.
    """
    old = datetime.now(UTC) - timedelta(days=3)
    entries = []
    for n in range(FEEDS):
        route = f"/sumber{n}.xml"
        items = [
            FeedItem(f"Berita lama {n}-{k}", f"https://berita.example/{n}/{k}", published=old)
            for k in range(10)
        ]
        if n == 0:
            link = f"https://berita.example/baru/{time.time_ns()}"  # new on every run
            items.insert(0, FeedItem(NEWS, link, published=datetime.now(UTC)))
        server.publish(route, items)
        entries.append((f"Sumber {n}", route, "Banten"))
    return entries


def point_feeds_at(database: Path, urls: list[str]) -> None:
    """Aim the stored feeds at the loopback server, so the bot never reaches outside."""
    with sqlite3.connect(database) as db:
        db.executemany(
            "UPDATE feeds SET url = ? WHERE id = ?", [(url, n + 1) for n, url in enumerate(urls)]
        )
    db.close()


def resident_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def wait_for_first_poll(bot: BotProcess, server: FeedServer, routes: list[str]) -> float:
    started = time.monotonic()
    for route in routes:
        await server.wait_for_hits(route, 1, timeout=START_TIMEOUT)
    while "poll done" not in bot.log_text():
        if time.monotonic() - started > START_TIMEOUT:
            raise RuntimeError(f"the bot did not finish its first poll:\n{bot.log_text()[-2000:]}")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def measure(database: Path, folder: Path) -> tuple[float, float, float]:
    async with TelegramStandIn() as telegram, FeedServer() as server:
        entries = serve_feeds(server)
        point_feeds_at(database, [server.url(route) for _, route, _ in entries])
        feeds_toml = write_feeds_file(folder / "feeds.toml", server, entries)
        env = bot_environment(
            folder,
            telegram,
            feeds_toml,
            {"WARTA_DB": str(database), "WARTA_POLL_SECONDS": "300", "WARTA_LOG_LEVEL": "INFO"},
        )
        bot = BotProcess(folder, env, folder / "bot.log")
        await bot.start()
        try:
            assert bot.process is not None
            ready = await wait_for_first_poll(bot, server, [route for _, route, _ in entries])
            samples = []
            for _ in range(5):  # idle: no updates, no due polls
                await asyncio.sleep(0.5)
                samples.append(resident_mb(bot.process.pid))
        finally:
            await bot.stop(signal.SIGTERM, timeout=60)
    return ready, samples[-1][0], max(peak for _, peak in samples)


def run(database: Path, items: int) -> None:
    how = ensure_database(database, items)
    with tempfile.TemporaryDirectory() as folder:
        ready, rss, peak = asyncio.run(measure(database, Path(folder)))
    conditions = (
        f"`python -m bot run` idle after its first poll ({ready:.0f} s after start); "
        f"{CHATS:,} chats, {TOPICS:,} topics, {items:,} items (database {how}); "
        f"peak (VmHWM) {peak:.0f} MB"
    )
    print(f"memory of warta run ({conditions}, {os.cpu_count()} cores)")
    print(f"  VmRSS {rss:.0f} MB (target <= {TARGET_MB} MB)")
    append_result(
        "memory, warta run idle (bench/bench_memory.py)",
        f"VmRSS {rss:.0f} MB",
        f"<= {TARGET_MB} MB",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, default=None)
    args = parser.parse_args()
    if args.database is not None:
        run(args.database, args.items)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "memory.db", args.items)


if __name__ == "__main__":
    main()
