"""Hostile feeds: the bot survives each one, records its error and backs off, stores only sane
text, and the one healthy feed keeps bringing its news."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

import pytest

from bot.config import Config
from bot.delivery.render import AlertView, render_alert, render_item_line
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.matching import parse_topic
from bot.standin import FeedServer
from bot.standin.telegram_html import parse_telegram_html_entities, utf16_length
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import Feed, FeedSeed, Item, Topic
from tests.inprocess import LOOPBACK_FEEDS
from tests.reliability.hostile_feeds import (
    SECRET,
    SIZE_CAP,
    XXE_TARGET,
    HostileFeed,
    corpus,
    healthy_item,
)

# A fetch timeout that means "hung": dozens of feeds fetched and parsed at once on a busy
# machine may take seconds, and none of them should time out.
PATIENT = Config(
    token=None, poll_seconds=60, fetch_timeout=30.0, max_feed_bytes=SIZE_CAP, fetch_concurrency=64
)
# The slow family tests the timeout itself: its slow servers take ten times this or more,
# its merely slow one a thirtieth of it.
IMPATIENT = replace(PATIENT, fetch_timeout=3.0)
HEALTHY = "/sehat.xml"
READER = 101
FAMILIES = (
    "encoding", "entities", "size", "redirect", "slow", "status", "not-a-feed", "dates",
    "identity", "links", "titles",
)  # fmt: skip
UNSENDABLE = {chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]}


@dataclass
class Polled:
    """The state of every feed and its stored items after a poll."""

    feeds: dict[str, Feed]
    items: dict[int, list[Item]]
    fetched_again: Counter[str]  # requests per path during the second poll


async def poll_all(
    storage: Storage, feeds: FeedServer, cases: list[HostileFeed], config: Config
) -> Polled:
    """Serve the cases beside the healthy feed and poll them all once, as the bot would."""
    for hostile in cases:
        hostile.serve(feeds, hostile.path)
    feeds.publish(HEALTHY, [healthy_item(1)])
    paths = [HEALTHY, *(hostile.path for hostile in cases)]
    await storage.sync_feeds(FeedSeed(feeds.url(path), path, "Banten") for path in paths)
    for feed in await storage.list_feeds():  # not a first fetch: new entries are news
        await storage.record_feed_success(feed.id, None, None, time.time())
    await storage.register_chat(READER, "private", "", time.time())
    registry = TopicRegistry()
    registry.add(Topic(1, READER, "banjir"), parse_topic("banjir"))
    async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
        poller = FeedPoller(
            storage, client, registry, StoryMatcher(), config, time.time, lambda: None
        )
        await poller.poll_once()
        after_first = Counter(request.path for request in feeds.requests)
        await poller.poll_once()  # every failed feed is backed off: none is fetched again
        # Teaser-only feeds' items alert once their page is had or given up.
        await poller.wait_for_articles()
        await poller.close()
    again = Counter(request.path for request in feeds.requests) - after_first
    items: dict[int, list[Item]] = defaultdict(list)
    for item in await storage.latest_items(100_000):
        items[item.feed_id].append(item)
    return Polled({feed.url: feed for feed in await storage.list_feeds()}, items, again)


def outcome_problems(hostile: HostileFeed, feed: Feed, stored: list[Item]) -> list[str]:
    """What is wrong with how the bot took this case (nothing, ideally)."""
    got = "error" if feed.last_error else ("items" if stored else "empty")
    problems = []
    if hostile.expect not in (got, "either"):
        problems.append(f"expected {hostile.expect}, got {got} ({feed.last_error})")
    if feed.last_error:
        if hostile.error and hostile.error not in feed.last_error:
            problems.append(f"error {feed.last_error!r} does not mention {hostile.error!r}")
        if stored:
            problems.append("items stored although the feed failed")
        if feed.consecutive_failures != 1 or not (feed.next_fetch_at or 0) > time.time():
            problems.append("not backed off after its failure")
    return problems + [problem for item in stored for problem in item_problems(item)]


def item_problems(item: Item) -> list[str]:
    """Text the bot should never store or send."""
    problems = []
    for field in (item.title, item.summary):
        if UNSENDABLE & set(field):
            problems.append(f"control characters stored: {field[:60]!r}")
        if SECRET in field or "root:x:" in field:
            problems.append("an external entity was expanded")
    view = AlertView(("banjir",), item.title, item.summary, item.link, "Uji", "Banten", None)
    for html in (render_alert(view), render_item_line(view, 1)):
        parsed = parse_telegram_html_entities(html)  # raises on what Telegram would refuse
        if utf16_length(parsed.text) > 4096:
            problems.append("alert longer than Telegram allows")
        if any(e.url and not e.url.startswith(("http://", "https://")) for e in parsed.entities):
            problems.append(f"unsafe link sent: {item.link[:60]!r}")
    return problems


def test_the_corpus_has_at_least_two_hundred_cases_in_these_families() -> None:
    cases = corpus("http://127.0.0.1:1")
    assert len(cases) >= 200
    assert len({hostile.path for hostile in cases}) == len(cases)
    assert {hostile.family for hostile in cases} == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
async def test_hostile_feeds_are_survived_recorded_and_backed_off(
    family: str, storage: Storage, feeds: FeedServer
) -> None:
    cases = [hostile for hostile in corpus(feeds.base_url) if hostile.family == family]
    polled = await poll_all(storage, feeds, cases, IMPATIENT if family == "slow" else PATIENT)
    problems = {
        hostile.name: found
        for hostile in cases
        if (found := outcome_problems(hostile, feed := polled.feeds[feeds.url(hostile.path)],
                                      polled.items[feed.id]))
    }  # fmt: skip
    assert problems == {}
    assert feeds.hits(XXE_TARGET) == 0  # no external entity was ever fetched
    failed = {
        url.removeprefix(feeds.base_url) for url, feed in polled.feeds.items() if feed.last_error
    }
    assert not any(polled.fetched_again[path] for path in failed)
    healthy = polled.feeds[feeds.url(HEALTHY)]
    assert healthy.last_error is None
    assert [item.title for item in polled.items[healthy.id]] == [healthy_item(1).title]
    assert await storage.outbox_backlog() >= 1  # its alert was queued like any other
