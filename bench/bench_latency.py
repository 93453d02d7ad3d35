"""Latency: from the moment an item appears in a feed to the moment Telegram accepts its alert.

The real application runs in this process against the loopback feed server and the Telegram
stand-in; items appear at random moments, each followed by its own chat. Run from the root:
    python -m bench.bench_latency [--items 200] [--poll 2] [--gap 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.news import OBJECTS, SUBJECTS, VERBS
from bench.report import append_result
from bot.delivery.sender import SendLimits
from bot.standin import FeedItem, FeedServer, SentMessage, TelegramStandIn
from tests.inprocess import RunningBot, running_bot

FEED = "/terkini.xml"
FEED_LENGTH = 50  # a feed shows its newest entries only
FIRST_CHAT = 10_000
SYLLABLES = ["su", "ka", "ma", "ju", "ci", "ba", "ra", "ne", "lo", "wi", "te", "go", "pa", "di"]


def village_names(count: int, pick: random.Random) -> list[str]:
    """Distinct made-up village names, one topic each."""
    words = ["".join(parts).capitalize() for parts in itertools.product(SYLLABLES, repeat=3)]
    return pick.sample(words, count)


def news_item(n: int, village: str, pick: random.Random) -> FeedItem:
    title = f"{pick.choice(SUBJECTS)} {pick.choice(VERBS)} {pick.choice(OBJECTS)} di Desa {village}"
    return FeedItem(
        title=title,
        link=f"https://berita.example/{n}",
        guid=f"urn:latency:{n}",
        description=f"<p>{title}. Warga berharap penanganan cepat.</p>",
        published=datetime.now(UTC),
    )


async def follow(warta: RunningBot, villages: list[str]) -> None:
    """Chat n follows village n."""
    services = warta.services
    for n, village in enumerate(villages):
        await services.storage.register_chat(FIRST_CHAT + n, "private", "", time.time())
        await services.subscriptions.subscribe(FIRST_CHAT + n, village)


async def publish(feeds: FeedServer, villages: list[str], gap: float) -> dict[int, float]:
    """Add the items one by one at random moments; return when each appeared."""
    pick = random.Random(7)
    published: list[FeedItem] = []
    appeared: dict[int, float] = {}
    for n, village in enumerate(villages):
        await asyncio.sleep(pick.uniform(0, 2 * gap))
        published.insert(0, news_item(n, village, pick))
        feeds.publish(FEED, published[:FEED_LENGTH])
        appeared[FIRST_CHAT + n] = time.monotonic()
    return appeared


def latencies(sent: list[SentMessage], appeared: dict[int, float]) -> list[float]:
    first_accept: dict[int, float] = {}
    for message in sent:
        first_accept.setdefault(message.chat_id, message.timestamp)
    return [first_accept[chat] - moment for chat, moment in appeared.items()]


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


async def run(items: int, poll: float, gap: float) -> None:
    villages = village_names(items, random.Random(3))
    async with TelegramStandIn() as telegram, FeedServer() as feeds:
        feeds.publish(FEED, [])
        with tempfile.TemporaryDirectory() as folder:
            async with running_bot(
                Path(folder),
                telegram,
                feeds,
                [("ANTARA Terkini", FEED, "Nasional")],
                poll_seconds=poll,
                send_limits=SendLimits(),
            ) as warta:
                await follow(warta, villages)
                await feeds.wait_for_hits(FEED, 2)  # initialised: later items are news
                appeared = await publish(feeds, villages, gap)
                await telegram.wait_for(
                    lambda tg: len({m.chat_id for m in tg.sent}) >= items, timeout=poll * 10
                )
                measured = latencies(telegram.sent, appeared)
    report(items, poll, gap, measured)


def report(items: int, poll: float, gap: float, measured: list[float]) -> None:
    p50, p95 = percentile(measured, 0.50), percentile(measured, 0.95)
    conditions = (
        f"{items} items, one every {gap:g} s on average, {poll:g} s poll interval, "
        f"one chat per item, real app in-process"
    )
    print(f"latency feed -> Telegram accepted ({conditions}, {os.cpu_count()} cores)")
    print(f"  p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(measured):.2f} s")
    print(f"  target p95 <= {poll + 1:g} s (poll interval + 1 s)")
    append_result(
        "latency, feed to Telegram (bench/bench_latency.py)",
        f"p50 {p50:.2f} s, p95 {p95:.2f} s (max {max(measured):.2f} s)",
        f"p95 <= {poll + 1:g} s",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--poll", type=float, default=2.0)
    parser.add_argument("--gap", type=float, default=0.3)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(run(args.items, args.poll, args.gap))


if __name__ == "__main__":
    main()
