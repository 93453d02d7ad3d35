"""/help for everybody else while ten readers with worst-case topics send /latest again and again.

The real application runs in this process against the Telegram stand-in, over a database of
stored items; ten readers each follow ten topics as costly as a reader may write (60 characters:
a word repeated twenty times, fifteen different words, long phrases of common words) and send
/latest as soon as the previous answer arrives. Meanwhile other readers send /help four times
a second, whether or not the earlier ones were answered; the figure is how long they wait.
Run from the repository root:
    python -m bench.bench_search_load [--items 200000] [--seconds 20] [--folder DIR]
With --folder, the database DIR/warta.db is reused (and built there if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.dataset import FEEDS, FILLER, build_database
from bench.report import append_result
from bot.matching.syntax import MAX_LENGTH
from bot.standin import FeedServer, TelegramStandIn
from tests.inprocess import RunningBot, running_bot

TARGET_SECONDS = 1.0


def fit(topic: str) -> str:
    """The topic's first words that fit in 60 characters."""
    while len(topic) > MAX_LENGTH:
        topic = topic.rsplit(" ", 1)[0]
    return topic


READERS = [20_000 + n for n in range(10)]
ASKERS = [30_000 + n for n in range(5)]  # each asks every 1.25 s: within Telegram's 1/s a chat
HELP_EVERY = 0.25
HUNG = 300.0
WORST_CASE_TOPICS = [
    *(" ".join([f"{a}{b}"] * 20) for a, b in ("ab", "ac", "ad", "ae")),
    *(" ".join(f"{c}{c}{chr(97 + n)}" for n in range(15)) for c in "fghj"),
    # Common words, each in most items, seldom in this order: the matcher refuses most.
    *(fit(" ".join(words)) for words in (FILLER[:10], reversed(FILLER[10:20]))),
]


def feed_routes(feeds: FeedServer) -> list[str]:
    """The dataset's feeds, served empty by the loopback feed server."""
    for n in range(FEEDS):
        feeds.publish(f"/f{n}.xml", [])
    return [feeds.url(f"/f{n}.xml") for n in range(FEEDS)]


async def ensure_database(folder: Path, items: int, feeds: FeedServer) -> str:
    path = folder / "warta.db"
    if path.exists():
        return "reused"
    # build_database runs an event loop of its own.
    seconds = await asyncio.to_thread(
        build_database, path, items=items, feed_urls=feed_routes(feeds)
    )
    return f"built in {seconds:.0f} s"


async def follow(warta: RunningBot) -> None:
    """Each reader follows the ten worst-case topics."""
    for chat in READERS:
        warta.telegram.user_says(chat, "/subscribe " + ", ".join(WORST_CASE_TOPICS))
        await warta.telegram.wait_for_messages(chat, 1, timeout=HUNG)


async def keep_asking_latest(warta: RunningBot, chat: int, stop: asyncio.Event) -> list[float]:
    """/latest as soon as the previous answer came; the seconds each answer took."""
    took = []
    while not stop.is_set():
        before = len(warta.telegram.messages_to(chat))
        started = time.monotonic()
        warta.telegram.user_says(chat, "/latest")
        await warta.telegram.wait_for_messages(chat, before + 1, timeout=HUNG)
        took.append(time.monotonic() - started)
    return took


async def ask_help(warta: RunningBot, seconds: float) -> list[float]:
    """/help every HELP_EVERY seconds whether or not earlier ones were answered."""
    asked: list[tuple[int, int, float]] = []  # chat, index of its answer, when asked
    counts = {chat: len(warta.telegram.messages_to(chat)) for chat in ASKERS}
    started = time.monotonic()
    while (now := time.monotonic()) - started < seconds:
        chat = ASKERS[len(asked) % len(ASKERS)]
        warta.telegram.user_says(chat, "/help")
        asked.append((chat, counts[chat], now))
        counts[chat] += 1
        await asyncio.sleep(max(0.0, started + len(asked) * HELP_EVERY - time.monotonic()))
    for chat, count in counts.items():
        await warta.telegram.wait_for_messages(chat, count, timeout=HUNG)
    return [warta.telegram.messages_to(chat)[index].timestamp - at for chat, index, at in asked]


async def measure(folder: Path, items: int, seconds: float) -> tuple[str, list[float], list[float]]:
    """(how the database came, /help answer times, /latest answer times)."""
    async with TelegramStandIn() as telegram, FeedServer() as feeds:
        how = await ensure_database(folder, items, feeds)
        feed_routes(feeds)
        async with running_bot(folder, telegram, feeds) as warta:
            await follow(warta)
            stop = asyncio.Event()
            readers = [asyncio.create_task(keep_asking_latest(warta, c, stop)) for c in READERS]
            helps = await ask_help(warta, seconds)
            stop.set()
            latest = [took for reader in await asyncio.gather(*readers) for took in reader]
    return how, helps, latest


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def run(folder: Path, items: int, seconds: float) -> None:
    how, helps, latest = asyncio.run(measure(folder, items, seconds))
    p50, p95 = percentile(helps, 0.50), percentile(helps, 0.95)
    conditions = (
        f"{items:,} items (FTS5, database {how}); {len(READERS)} readers with "
        f"{len(WORST_CASE_TOPICS)} worst-case topics each sent /latest {len(latest)} times "
        f"in {seconds:g} s (answer p50 {percentile(latest, 0.5):.2f} s, max {max(latest):.2f} s); "
        f"{len(helps)} /help from {len(ASKERS)} other chats, one every {HELP_EVERY:g} s"
    )
    print(f"/help under /latest load ({conditions}, {os.cpu_count()} cores)")
    print(f"  p50 {p50:.3f} s, p95 {p95:.3f} s, max {max(helps):.3f} s (target p95 <= 1 s)")
    append_result(
        "/help while ten readers search, through the bot (bench/bench_search_load.py)",
        f"p95 {p95:.3f} s (p50 {p50:.3f} s, max {max(helps):.3f} s)",
        f"p95 <= {TARGET_SECONDS:g} s",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    if args.folder is not None:
        args.folder.mkdir(parents=True, exist_ok=True)
        run(args.folder, args.items, args.seconds)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), args.items, args.seconds)


if __name__ == "__main__":
    main()
