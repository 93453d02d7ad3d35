"""The running bot beside hostile feeds: it stays up, and slow feeds hold up no other feed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
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
    for hostile in cases:
        hostile.serve(feeds, hostile.path)
    feeds.publish(HEALTHY, [])
    entries = [("Sehat", HEALTHY, "Banten")] + [(h.name, h.path, "Banten") for h in cases]
    async with running_bot(
        tmp_path,
        telegram,
        feeds,
        entries,
        poll_seconds=POLL_SECONDS,
        fetch_timeout=FETCH_TIMEOUT,
    ) as warta:
        await warta.say(READER, "/subscribe banjir")
        await feeds.wait_for_hits(HEALTHY, 2)  # polled once already: what comes now is news
        for number in range(1, NEWS + 1):
            feeds.add_item(HEALTHY, healthy_item(number))
            await telegram.wait_for(lambda tg, n=number: alerts(tg) >= n, timeout=FETCH_TIMEOUT)
            await asyncio.sleep(0.3)  # news comes at its own pace, not right after an alert
        # The feed server records a request once it is answered or given up on.
        still_hanging = {h.path for h in cases if h.family == "slow"} - {
            request.path for request in feeds.requests
        }
        stored = {feed.url: feed for feed in await warta.services.storage.list_feeds()}
        assert "/subscribe" in await warta.say(READER, "/help")  # still answering
    assert still_hanging == {h.path for h in cases if h.family == "slow"}
    for hostile in cases:
        feed = stored[feeds.url(hostile.path)]
        if hostile.expect == "error" and hostile.family != "slow":
            assert feed.last_error, hostile.name
            assert feed.consecutive_failures >= 1
    refused = [r for r in telegram.requests if r.method.startswith("send") and r.status != 200]
    assert refused == []


def alerts(telegram: TelegramStandIn) -> int:
    return sum((m.plain_text or "").startswith("🔔") for m in telegram.messages_to(READER))
