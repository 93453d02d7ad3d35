"""A site's garbled headers never stop its feed: the poll is recorded, the feed given back.

Dates past the calendar, digits of another script, validators that cannot be sent back: the
poller reads what it can, ignores the rest, and the feed is polled again when it is due; a
failure nobody foresaw is recorded as the feed's error, and the feed given back all the same. The
feeds come from the loopback feed server; the poller is registered as a live process, so a
claim it failed to give back would keep the feed from it until its lease passed.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Config
from bot.feeds.fetch import FetchedFeed, build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.schedule import retry_after_seconds, site_cache_seconds
from bot.feeds.stories import StoryMatcher
from bot.ops.heartbeat import new_process_id
from bot.standin import FeedServer
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import Feed, FeedSeed
from tests.inprocess import LOOPBACK_FEEDS, FakeClock
from tests.pipeline.test_schedule import every

CONFIG = Config(token=None, poll_seconds=60, poll_max_seconds=1800, fetch_timeout=30.0)
PATH = "/berita.xml"
# The poller's claim lasts this long (fetch_timeout * 2 + 120 s): a feed due again sooner is
# polled again only if its claim was given back.
LEASE = 180.0
NOW = 1_800_000_000.0


@dataclass
class Rig:
    """One registered poller over its own SQLite file and the loopback feed server."""

    storage: Storage
    poller: FeedPoller
    clock: FakeClock
    owner: int

    async def feed(self) -> Feed:
        (feed,) = await self.storage.list_feeds()
        return feed

    async def poll_after(self, seconds: float) -> None:
        """Let time pass (the process still beating), then poll."""
        self.clock.advance(seconds)
        await self.storage.beat(self.owner, self.clock())
        await self.poller.poll_once()


@asynccontextmanager
async def polling(
    tmp_path: Path,
    feeds: FeedServer,
    on_fetched: Callable[[Feed, FetchedFeed], Awaitable[None]] | None = None,
) -> AsyncIterator[Rig]:
    storage = Storage(tmp_path / "warta.db")
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed(feeds.url(PATH), "Berita", "")])
        clock = FakeClock()
        owner = new_process_id()
        await storage.register_process(owner, "poller", "test", os.getpid(), clock())
        async with build_http_client(CONFIG.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                storage, client, TopicRegistry(), StoryMatcher(), CONFIG, clock, lambda: None,
                owner=owner, on_fetched=on_fetched,
            )  # fmt: skip
            yield Rig(storage, poller, clock, owner)
            await poller.close()
    finally:
        await storage.close()


def publish(feeds: FeedServer) -> None:
    """A feed with an item every 30 s: due again a minute after each poll."""
    feeds.publish(PATH, every(timedelta(seconds=30), 20, "ramai"))


async def test_an_expires_date_past_the_calendar_is_ignored(
    tmp_path: Path, feeds: FeedServer
) -> None:
    publish(feeds)
    feeds.set_headers(PATH, {"Expires": "Thu, 01 Jan 99999999999 00:00:00 GMT"})
    async with polling(tmp_path, feeds) as rig:
        await rig.poller.poll_once()
        feed = await rig.feed()
        assert feed.last_success_at == rig.clock()
        assert (feed.consecutive_failures, feed.poll_reason) == (0, "rate")
        await rig.poll_after(60 + 15)  # its interval (and jitter), well within the lease
        assert feeds.hits(PATH) == 2
        assert (await rig.feed()).consecutive_failures == 0


# Arabic-Indic 120, superscript 3600, a number of 5,000 digits, a date past the calendar.
NOT_NUMBERS = [
    "\u0661\u0662\u0660",
    "\u00b3\u2076\u2070\u2070",
    "9" * 5000,
    "Thu, 01 Jan 99999999999",
]


@pytest.mark.parametrize("retry_after", NOT_NUMBERS)
async def test_a_retry_after_that_is_no_number_is_a_plain_back_off(
    tmp_path: Path, feeds: FeedServer, retry_after: str
) -> None:
    feeds.set_raw(PATH, b"slow down", status=429, headers={"Retry-After": retry_after})
    async with polling(tmp_path, feeds) as rig:
        await rig.poller.poll_once()
        feed = await rig.feed()
        assert (feed.consecutive_failures, feed.last_error) == (1, "HTTP 429 Too Many Requests")
        assert (feed.poll_interval, feed.poll_reason) == (120, "backoff")
        publish(feeds)
        await rig.poll_after(120)  # backed off, and given back: polled again within the lease
        assert feeds.hits(PATH) == 2
        assert (await rig.feed()).consecutive_failures == 0


async def test_a_last_modified_that_cannot_be_sent_back_is_not_kept(
    tmp_path: Path, feeds: FeedServer
) -> None:
    publish(feeds)
    garbled = {"Last-Modified": "Kamis, \u0661 Januari 2026", "ETag": '"berita-\u2460"'}
    feeds.set_headers(PATH, garbled)
    async with polling(tmp_path, feeds) as rig:
        await rig.poller.poll_once()
        feed = await rig.feed()
        assert (feed.etag, feed.last_modified) == (None, None)
        await rig.poll_after(60 + 15)
        assert feeds.hits(PATH) == 2
        feed = await rig.feed()
        assert (feed.consecutive_failures, feed.last_success_at) == (0, rig.clock())


async def test_such_a_poll_counts_as_fetched_and_holds_no_claim(
    tmp_path: Path, feeds: FeedServer
) -> None:
    """A poll that went wrong in an unforeseen way is still recorded on its feed."""
    publish(feeds)
    feeds.set_headers(PATH, {"Expires": "Thu, 01 Jan 99999999999 00:00:00 GMT"})
    async with polling(tmp_path, feeds) as rig:
        summary = await rig.poller.poll_once()
        assert (summary.fetched, summary.failed, summary.still_fetching) == (1, 0, 0)
        assert await rig.storage.release_feed_claims(rig.owner) == 0  # nothing left held


async def test_an_unforeseen_failure_is_the_feeds_error_and_the_feed_is_given_back(
    tmp_path: Path, feeds: FeedServer
) -> None:
    publish(feeds)
    failing = True

    async def look_for_a_hub(feed: Feed, fetched: FetchedFeed) -> None:
        # What the poller calls with each new document (WebSub discovery), failing as a bug
        # nobody foresaw would.
        if failing:
            raise RuntimeError("hub discovery broke")

    async with polling(tmp_path, feeds, look_for_a_hub) as rig:
        summary = await rig.poller.poll_once()
        assert (summary.fetched, summary.failed) == (0, 1)
        feed = await rig.feed()
        assert feed.last_error == "unexpected error: RuntimeError: hub discovery broke"
        assert (feed.consecutive_failures, feed.poll_reason) == (1, "backoff")
        failing = False
        await rig.poll_after(120)  # backed off, and given back: polled again within the lease
        assert feeds.hits(PATH) == 2
        feed = await rig.feed()
        assert (feed.consecutive_failures, feed.last_error) == (0, None)


MONTHS = ("Jan", "Feb", "Dec", "Mei", "")
ZONES = ("GMT", "UT", "+0700", "+9999", "-2400", "+0000 (WIB)", "")
# Dates as sites write them, and as they garble them: years past the calendar, offsets of
# days, digits of other scripts.
HTTP_DATES = st.builds(
    "{}, {} {} {} {}:{}:{} {}".format,
    st.sampled_from(("Thu", "Kam", "")),
    st.integers(-99, 10**12),
    st.sampled_from(MONTHS),
    st.integers(-(10**12), 10**15) | st.text(st.characters(categories=["Nd", "No"]), max_size=6),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(ZONES),
)
NUMBERS = st.text(st.characters(categories=["Nd", "No", "Zs"]), min_size=1, max_size=20)
HEADER_TEXT = st.text(st.characters(codec="utf-8"), max_size=80) | HTTP_DATES | NUMBERS


@settings(max_examples=400, deadline=None)
@given(value=HEADER_TEXT)
def test_a_retry_after_is_read_or_ignored_never_an_error(value: str) -> None:
    seconds = retry_after_seconds(value, NOW)
    assert seconds is None or seconds >= 0


@settings(max_examples=400, deadline=None)
@given(expires=HEADER_TEXT, date=HEADER_TEXT, control=HEADER_TEXT)
def test_cache_headers_are_read_or_ignored_never_an_error(
    expires: str, date: str, control: str
) -> None:
    headers = {"Expires": expires, "Date": date, "Cache-Control": control}
    seconds = site_cache_seconds(headers, NOW)
    assert seconds is None or seconds >= 0
