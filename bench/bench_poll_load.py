"""/help while `warta run` polls 500 new feeds of 50 items for the first time.

`warta run` starts as operators start it (its own process, default settings: worker processes
for parsing, one per CPU) against the Telegram stand-in and a loopback news site that answers
late; this process plays both. From the bot's first feed request until it logs the end of
that poll, readers send /help four times a second; the figure is how long they wait. The
readers are new to the bot: their first /help registers their chat, a write among the poll's.
The first poll's rate (items stored per second, from the first request to the end of the
poll) is reported too. Run from the repository root:
    python -m bench.bench_poll_load [--feeds 500] [--items 50] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.news import feed_items
from bench.report import append_result
from bot.feeds.workers import default_processes
from bot.standin import FeedServer, TelegramStandIn
from tests.e2e.harness import BotProcess, bot_environment, write_feeds_file

TARGET_SECONDS = 1.0
ASKERS = [30_000 + n for n in range(5)]  # each asks every 1.25 s: Telegram's 1/s a chat
HELP_EVERY = 0.25
HUNG = 300.0
POLL_DONE = re.compile(r"poll done feeds=(\d+) .*new_items=(\d+)")


@dataclass(frozen=True)
class Measured:
    """What one run saw."""

    helps: list[float]  # seconds each /help waited for its answer
    poll_seconds: float  # first feed request to the end of the poll
    new_items: int
    exit_code: int


async def poll_done(bot: BotProcess) -> tuple[float, int]:
    """When the bot logged the end of its first poll, and how many items it stored."""
    # The log is the only thing the bot's process tells: it is the condition.
    while (found := POLL_DONE.search(bot.log_text())) is None:
        if bot.process is not None and bot.process.returncode is not None:
            raise RuntimeError(f"the bot stopped:\n{bot.log_text()[-2000:]}")
        await asyncio.sleep(0.05)
    return time.monotonic(), int(found.group(2))


async def ask_help(telegram: TelegramStandIn, done: asyncio.Task[tuple[float, int]]) -> list[float]:
    """/help every HELP_EVERY seconds until the poll is done; the seconds each answer took."""
    asked: list[tuple[int, int, float]] = []  # chat, index of its answer, when asked
    counts = {chat: len(telegram.messages_to(chat)) for chat in ASKERS}
    started = time.monotonic()
    while not done.done():
        chat = ASKERS[len(asked) % len(ASKERS)]
        telegram.user_says(chat, "/help")
        asked.append((chat, counts[chat], time.monotonic()))
        counts[chat] += 1
        await asyncio.sleep(max(0.0, started + len(asked) * HELP_EVERY - time.monotonic()))
    for chat, count in counts.items():
        await telegram.wait_for_messages(chat, count, timeout=HUNG)
    return [telegram.messages_to(chat)[index].timestamp - at for chat, index, at in asked]


async def measure(folder: Path, feeds: int, items: int, delay: float) -> Measured:
    async with TelegramStandIn() as telegram, FeedServer() as server:
        for feed in range(feeds):
            server.publish(f"/f{feed}.xml", feed_items(feed, items))
            server.set_delay(f"/f{feed}.xml", delay)
        entries = [(f"Feed {n}", f"/f{n}.xml", "Banten") for n in range(feeds)]
        feeds_toml = write_feeds_file(folder / "feeds.toml", server, entries)
        # The default poll interval: the first poll ends well within it.
        extra = {"WARTA_POLL_SECONDS": "300", "WARTA_LOG_LEVEL": "INFO"}
        environment = bot_environment(folder, telegram, feeds_toml, extra)
        bot = BotProcess(folder, environment, folder / "bot.log")
        await bot.start()
        try:
            await server.wait_for_hits("/f0.xml", 1, timeout=HUNG)
            first_request = time.monotonic()
            done = asyncio.create_task(poll_done(bot))
            helps = await ask_help(telegram, done)
            ended, new_items = await done
        finally:
            exit_code = await bot.stop(signal.SIGTERM, timeout=HUNG)
    return Measured(helps, ended - first_request, new_items, exit_code)


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def run(feeds: int, items: int, delay: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        measured = asyncio.run(measure(Path(folder), feeds, items, delay))
    helps = measured.helps
    p50, p95 = percentile(helps, 0.50), percentile(helps, 0.95)
    rate = measured.new_items / measured.poll_seconds
    conditions = (
        f"`warta run` (SQLite, {default_processes()} parsing processes) polling {feeds} new "
        f"feeds x {items} items, {delay * 1000:.0f} ms server delay: first poll "
        f"{measured.poll_seconds:.1f} s, {measured.new_items} items stored, {rate:.0f} items/s; "
        f"{len(helps)} /help from {len(ASKERS)} new chats, one every {HELP_EVERY:g} s; "
        f"stand-ins in the benchmark's process; exit code {measured.exit_code} on SIGTERM"
    )
    print(f"/help during the first poll ({conditions}, {os.cpu_count()} cores)")
    print(f"  p50 {p50:.3f} s, p95 {p95:.3f} s, max {max(helps):.3f} s (target p95 <= 1 s)")
    append_result(
        "/help during warta run's first poll (bench/bench_poll_load.py)",
        f"p95 {p95:.3f} s (p50 {p50:.3f} s, max {max(helps):.3f} s)",
        f"p95 <= {TARGET_SECONDS:g} s",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    run(args.feeds, args.items, args.delay)


if __name__ == "__main__":
    main()
