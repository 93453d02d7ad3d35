"""WebSub: from the moment a hub pushes a new item to the moment Telegram accepts its alert.

The real application runs in this process with its webhook server (Telegram's route and the
WebSub callback on one port), subscribed through the loopback hub stand-in to one feed; the hub
pushes the whole feed document (the newest 50 entries) at random moments, each new item followed
by its own chat. Polling is held back for the whole run: every alert comes by push. Run from
the root:
    python -m bench.bench_websub [--items 200] [--gap 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_latency import FEED_LENGTH, follow, latencies, news_item, percentile, village_names
from bench.report import append_result
from bot.delivery.sender import SendLimits
from bot.standin import FeedItem, FeedServer, HubStandIn, TelegramStandIn, render_atom
from tests.inprocess import RunningBot, running_bot
from tests.ops.helpers import free_port

FEED = "/dorong.xml"
PUBLIC_ORIGIN = "https://warta.example"
HUNG = 120.0


def document(feeds: FeedServer, hub: HubStandIn, items: list[FeedItem]) -> bytes:
    """The feed as Atom, naming the hub."""
    body = render_atom("Berita Dorong", feeds.url(FEED), items, datetime.now(UTC))
    link = f'<link rel="hub" href="{hub.url}"/><link rel="self"'.encode()
    return body.replace(b'<link rel="self"', link, 1)


async def subscribe(warta: RunningBot, feeds: FeedServer, hub: HubStandIn) -> None:
    """First poll (finds the hub), then the scheduler's request and the hub's verification."""
    await warta.poll()
    websub = warta.services.websub
    assert websub is not None
    await websub.run_due()
    await hub.wait_for(lambda h: len(h.subscribers(feeds.url(FEED))) == 1)


async def push(
    feeds: FeedServer, hub: HubStandIn, villages: list[str], gap: float
) -> dict[int, float]:
    """Push the items one by one at random moments; return when each push began."""
    pick = random.Random(7)
    published: list[FeedItem] = []
    pushed: dict[int, float] = {}
    for n, village in enumerate(villages):
        await asyncio.sleep(pick.uniform(0, 2 * gap))
        published.insert(0, news_item(n, village, pick))
        body = document(feeds, hub, published[:FEED_LENGTH])
        pushed[10_000 + n] = time.monotonic()
        statuses = await hub.publish(feeds.url(FEED), body, "application/atom+xml")
        assert statuses == [202], statuses
    return pushed


async def run(items: int, gap: float) -> None:
    villages = village_names(items, random.Random(3))
    port = free_port()
    async with (
        TelegramStandIn() as telegram,
        FeedServer() as feeds,
        HubStandIn(reach={PUBLIC_ORIGIN: f"http://127.0.0.1:{port}"}) as hub,
    ):
        feeds.set_raw(FEED, document(feeds, hub, []), content_type="application/atom+xml")
        with tempfile.TemporaryDirectory() as folder:
            async with running_bot(
                Path(folder),
                telegram,
                feeds,
                [("Berita Dorong", FEED, "Nasional")],
                send_limits=SendLimits(),
                webhook_port=port,
            ) as warta:
                await follow(warta, villages)
                await subscribe(warta, feeds, hub)
                polled = feeds.hits(FEED)
                pushed = await push(feeds, hub, villages, gap)
                await telegram.wait_for(
                    lambda tg: len({m.chat_id for m in tg.sent}) >= items, timeout=HUNG
                )
                assert feeds.hits(FEED) == polled, "a poll ran during the benchmark"
                measured = latencies(telegram.sent, pushed)
    report(items, gap, measured)


def report(items: int, gap: float, measured: list[float]) -> None:
    p50, p95 = percentile(measured, 0.50), percentile(measured, 0.95)
    conditions = (
        f"{items} items, one push every {gap:g} s on average, each the whole feed (newest "
        f"{FEED_LENGTH} entries), one chat per item, real app in-process with its webhook "
        "server, hub stand-in on loopback, no polling; machine shared with other test runs"
    )
    print(f"latency hub push -> Telegram accepted ({conditions}, {os.cpu_count()} cores)")
    print(f"  p50 {p50:.3f} s, p95 {p95:.3f} s, max {max(measured):.3f} s")
    append_result(
        "WebSub, push to alert (bench/bench_websub.py)",
        f"p50 {p50:.2f} s, p95 {p95:.2f} s (max {max(measured):.2f} s)",
        "none set (the issue asks for the figure); a poll is 60-1800 s",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.3)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(run(args.items, args.gap))


if __name__ == "__main__":
    main()
