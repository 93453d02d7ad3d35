"""The running bot beside hostile feeds: it stays up, and slow feeds hold up no other feed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from storage.models import FeedSeed
from tests.inprocess import running_bot
from tests.reliability.hostile_feeds import HostileFeed, corpus, healthy_item

POLL_SECONDS = 1.0
# Long enough to mean "hung": the slow servers are still holding their fetches while the
# healthy feed's news goes out, which is what shows that they hold nothing else up.
FETCH_TIMEOUT = 30.0
READER = 101
HEALTHY = "/sehat.xml"
NEWS = 3
CHOSEN = (
    "one-byte-a-second",
    "answers-too-late",
    "gzip-bomb-64x",
    "html-page",
    "loop-2",
    "plain-20x",
    "random-bytes-1",
    "http-503",
    "rss-script-escaped",
    "rss-title-100k",
    "cp1252-labelled-utf8-0",
    "billion-laughs-10",
)


def chosen_cases(base_url: str) -> list[HostileFeed]:
    return [hostile for hostile in corpus(base_url) if hostile.name in CHOSEN]


async def test_hostile_feeds_neither_stop_the_bot_nor_delay_the_healthy_feed(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    cases = chosen_cases(feeds.base_url)
    assert len(cases) == len(CHOSEN)
    # The slow feeds are a site of their own: a site gets 2 requests at a time, so a slow one
    # holds up its own other feeds (politely), and no other site's.
    slow = [hostile for hostile in cases if hostile.family == "slow"]
    slow_site = FeedServer()
    for hostile in cases:
        hostile.serve(slow_site if hostile in slow else feeds, hostile.path)
    feeds.publish(HEALTHY, [])
    entries = [("Sehat", HEALTHY, "Banten")]
    entries += [(h.name, h.path, "Banten") for h in cases if h not in slow]
    async with (
        slow_site,
        running_bot(
            tmp_path,
            telegram,
            feeds,
            entries,
            poll_seconds=POLL_SECONDS,
            fetch_timeout=FETCH_TIMEOUT,
        ) as warta,
    ):
        for hostile in slow:
            seed = FeedSeed(slow_site.url(hostile.path), hostile.name, "Banten")
            await warta.services.storage.add_feed(seed, None, time.time())
        await warta.say(READER, "/subscribe banjir")
        await feeds.wait_for_hits(HEALTHY, 2)  # polled once already: what comes now is news
        for number in range(1, NEWS + 1):
            feeds.add_item(HEALTHY, healthy_item(number))
            await telegram.wait_for(lambda tg, n=number: alerts(tg) >= n, timeout=FETCH_TIMEOUT)
            await asyncio.sleep(0.3)  # news comes at its own pace, not right after an alert
        # The feed server records a request once it is answered or given up on.
        still_hanging = {h.path for h in slow} - {request.path for request in slow_site.requests}
        stored = {feed.url: feed for feed in await warta.services.storage.list_feeds()}
        assert "/subscribe" in await warta.say(READER, "/help")  # still answering
    assert still_hanging == {h.path for h in slow}
    for hostile in cases:
        feed = stored[(slow_site if hostile in slow else feeds).url(hostile.path)]
        if hostile.expect == "error" and hostile.family != "slow":
            assert feed.last_error, hostile.name
            assert feed.consecutive_failures >= 1
    refused = [r for r in telegram.requests if r.method.startswith("send") and r.status != 200]
    assert refused == []


def alerts(telegram: TelegramStandIn) -> int:
    return sum((m.plain_text or "").startswith("🔔") for m in telegram.messages_to(READER))
