"""Fan-out at Telegram's limit: the real Sender against a stand-in that answers 429 beyond it.

Part 1: 3,000 alerts to 3,000 private chats, 30 messages a second allowed.
Part 2: 600 alerts to 30 groups, 20 messages a minute allowed per group (takes about a minute).
Each part is also sent by a plain loop over bot.send_message with no limiter, the way many bots
do it, for comparison. Run from the repository root:
    python -m bench.bench_fanout [--private 3000] [--groups 30] [--group-alerts 20]
                                 [--engine sqlite|postgresql|both]
--engine postgresql keeps the outbox in a PostgreSQL server started for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bench.engines import (
    BenchDatabases,
    add_engine_option,
    bench_databases,
    chosen_engines,
    run_statement,
)
from bench.report import append_result
from bot.delivery.pacing import RateLimiter
from bot.delivery.render import AlertView, render_alert
from bot.delivery.sender import Sender, SendLimits
from bot.standin import SentMessage, TelegramStandIn
from storage import Storage
from storage.models import FeedSeed, NewItem

PER_SECOND = 30
PER_GROUP_PER_MINUTE = 20
FIRST_GROUP = -1_001_000_000_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one way of sending achieved."""

    sent: int
    expected: int
    rejected_429: int
    requests: int
    seconds: float
    accepted_at: dict[int, list[float]]
    distinct: int  # different (chat, alert) pairs accepted

    @property
    def lost(self) -> int:
        return self.expected - self.distinct

    @property
    def duplicates(self) -> int:
        return self.sent - self.distinct


def accepted_times(sent: Sequence[SentMessage]) -> dict[int, list[float]]:
    """Accept times of every message, per chat."""
    times: dict[int, list[float]] = {}
    for message in sent:
        times.setdefault(message.chat_id, []).append(message.timestamp)
    return times


def alert_items(count: int, chats: Sequence[int]) -> list[NewItem]:
    """count items, each alerting every one of chats."""
    now = time.time()
    return [
        NewItem(
            identity=f"urn:fanout:{n}",
            title=f"Banjir rendam {n + 2} desa di Serang, warga mengungsi ke masjid",
            summary="Hujan deras sejak semalam membuat Sungai Ciujung meluap. BPBD mengerahkan "
            "perahu karet dan membuka dapur umum.",
            body="",
            link=f"https://berita.example/banjir-{n}",
            published_at=now,
            alerts=tuple((chat, ("banjir Serang",)) for chat in chats),
        )
        for n in range(count)
    ]


@asynccontextmanager
async def queued_outbox(
    location: Path | str, chats: dict[int, str], items: int
) -> AsyncIterator[Storage]:
    """A database whose outbox holds items x chats alerts, all due now."""
    storage = Storage(location)
    await storage.open()
    await storage.sync_feeds([FeedSeed("https://banten.example/rss", "ANTARA Banten", "Banten")])
    for chat_id, kind in chats.items():
        await storage.register_chat(chat_id, kind, "", time.time())
    (feed,) = await storage.list_feeds()
    await storage.store_items(feed.id, alert_items(items, list(chats)), time.time())
    # The benchmark measures the sender's pacing: alerts the digest rule would hold for a
    # group's next digest are released to be sent one by one.
    run_statement(location, "UPDATE deliveries SET held = 0")
    try:
        yield storage
    finally:
        await storage.close()


async def with_sender(
    telegram: TelegramStandIn, chats: dict[int, str], items: int, location: Path | str
) -> Outcome:
    """Send through the real Sender with its default limits until the outbox is empty."""
    async with (
        queued_outbox(location, chats, items) as storage,
        paced_bot(telegram) as bot,
    ):
        sender = Sender(bot, storage, time.time, SendLimits())
        started = time.monotonic()
        sender.start()
        # The outbox itself is the condition: the sender announces nothing when done.
        while await storage.outbox_backlog() > 0:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        seconds = time.monotonic() - started
        await sender.stop()
    return outcome(telegram, len(chats) * items, seconds)


def paced_bot(telegram: TelegramStandIn) -> ExtBot[None]:
    """A bot with the application's rate limiter, which paces the sender's calls."""
    limiter = RateLimiter(SendLimits().per_second)
    return ExtBot(telegram.token, base_url=f"{telegram.base_url}/bot", rate_limiter=limiter)


async def with_plain_loop(telegram: TelegramStandIn, chats: Sequence[int], items: int) -> Outcome:
    """The baseline: one send after another, errors logged and the message dropped."""
    texts = [render_alert(_view(item)) for item in alert_items(items, chats)]
    started = time.monotonic()
    async with Bot(telegram.token, base_url=f"{telegram.base_url}/bot") as bot:
        for text in texts:
            for chat_id in chats:
                # What the loop does with a failure: nothing, the alert is gone.
                with contextlib.suppress(TelegramError):
                    await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    return outcome(telegram, len(chats) * items, time.monotonic() - started)


def _view(item: NewItem) -> AlertView:
    return AlertView(("banjir Serang",), item.title, item.summary, item.link, "ANTARA", "", None)


def outcome(telegram: TelegramStandIn, expected: int, seconds: float) -> Outcome:
    sends = telegram.requests_for("sendMessage")
    return Outcome(
        sent=len(telegram.sent),
        expected=expected,
        rejected_429=sum(r.status == 429 for r in sends),
        requests=len(sends),
        seconds=seconds,
        accepted_at=accepted_times(telegram.sent),
        distinct=len({(m.chat_id, m.plain_text) for m in telegram.sent}),
    )


def sustained_rate(result: Outcome) -> float:
    """Accepted messages per second from the first to the last acceptance."""
    stamps = sorted(t for times in result.accepted_at.values() for t in times)
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def group_rates(result: Outcome) -> list[float]:
    """Each group's messages per minute, from its first to its last acceptance."""
    rates = []
    for times in result.accepted_at.values():
        if len(times) > 1:
            rates.append(60 * (len(times) - 1) / (max(times) - min(times)))
    return rates


async def limited_standin() -> TelegramStandIn:
    telegram = TelegramStandIn()
    await telegram.start()
    telegram.enforce_limits(per_second=PER_SECOND, per_group_per_minute=PER_GROUP_PER_MINUTE)
    return telegram


async def measure(
    chats: dict[int, str], items: int, databases: BenchDatabases
) -> tuple[Outcome, Outcome]:
    """The same load through the Sender and through the plain loop, each on a fresh stand-in."""
    results = []
    for send in ("sender", "loop"):
        telegram = await limited_standin()
        try:
            if send == "sender":
                results.append(await with_sender(telegram, chats, items, databases.new()))
            else:
                results.append(await with_plain_loop(telegram, list(chats), items))
        finally:
            await telegram.stop()
    return results[0], results[1]


def describe(label: str, result: Outcome) -> str:
    share = result.rejected_429 / max(result.requests, 1)
    return (
        f"{label}: {result.sent:,} accepted of {result.expected:,} in {result.seconds:.1f} s, "
        f"429s {result.rejected_429} ({share:.1%} of {result.requests:,} sends), "
        f"lost {result.lost}, duplicates {result.duplicates}"
    )


async def private_part(count: int, databases: BenchDatabases) -> None:
    chats = {chat: "private" for chat in range(1, count + 1)}
    sender, loop = await measure(chats, 1, databases)
    rate = sustained_rate(sender)
    fraction = rate / PER_SECOND
    share = sender.rejected_429 / max(sender.requests, 1)
    conditions = f"{count:,} alerts to {count:,} private chats, stand-in limit {PER_SECOND}/s"
    print(f"fan-out, private chats, {databases.name} ({conditions}, {os.cpu_count()} cores)")
    print(f"  {describe('sender', sender)}")
    print(f"  sustained rate {rate:.2f}/s = {fraction:.3f} of the limit (target >= 0.95)")
    print(f"  {describe('plain loop', loop)}")
    append_result(
        f"fan-out, private chats (bench/bench_fanout.py), {databases.name}",
        f"{fraction:.3f} of 30/s ({rate:.2f}/s); 429s {sender.rejected_429} ({share:.2%}); "
        f"lost {sender.lost}",
        ">= 0.95 of the limit; 429s <= 1 %; lost 0",
        f"{conditions}, SendLimits.per_second {SendLimits().per_second:g}; plain loop without "
        f"a limiter: 429s {loop.rejected_429} of {loop.requests:,}, lost {loop.lost}"
        + _server_note(databases),
    )


async def group_part(groups: int, per_group: int, databases: BenchDatabases) -> None:
    chats = {FIRST_GROUP - n: "supergroup" for n in range(groups)}
    sender, loop = await measure(chats, per_group, databases)
    rates = group_rates(sender)
    fraction = statistics.mean(rates) / PER_GROUP_PER_MINUTE
    conditions = (
        f"{groups * per_group:,} alerts to {groups} groups, stand-in limits "
        f"{PER_GROUP_PER_MINUTE}/min per group and {PER_SECOND}/s"
    )
    print(f"fan-out, groups, {databases.name} ({conditions})")
    print(f"  {describe('sender', sender)}")
    print(
        f"  per-group rate {statistics.mean(rates):.2f}/min mean, {min(rates):.2f}/min slowest "
        f"= {fraction:.3f} of the limit"
    )
    print(f"  {describe('plain loop', loop)}")
    append_result(
        f"fan-out, groups (bench/bench_fanout.py), {databases.name}",
        f"{fraction:.3f} of 20/min per group ({statistics.mean(rates):.2f}/min); "
        f"429s {sender.rejected_429}; lost {sender.lost}",
        "close to the limit; 429s <= 1 %; lost 0",
        f"{conditions}, group interval {SendLimits().group_chat_interval:g} s; plain loop "
        f"without a limiter: 429s {loop.rejected_429} of {loop.requests:,}, lost {loop.lost}"
        + _server_note(databases),
    )


def _server_note(databases: BenchDatabases) -> str:
    note = databases.describe_server()
    return f"; {note}" if note else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--private", type=int, default=3_000)
    parser.add_argument("--groups", type=int, default=30)
    parser.add_argument("--group-alerts", type=int, default=20)
    add_engine_option(parser)
    args = parser.parse_args()
    # python-telegram-bot's preferred form of retry_after; the default only adds a warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    for engine in chosen_engines(args.engine):
        with bench_databases(engine) as databases:
            asyncio.run(private_part(args.private, databases))
            asyncio.run(group_part(args.groups, args.group_alerts, databases))


if __name__ == "__main__":
    main()
