"""Each feed is polled at its own interval: as often as it publishes, as the site asks.

The poller runs against real storage and the loopback feed server; time is a test clock, moved
past each feed's next poll time, never slept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.standin import FeedItem, FeedServer
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import Feed, FeedSeed
from tests.inprocess import LOOPBACK_FEEDS, FakeClock

ADAPTIVE = Config(token=None, poll_seconds=60, poll_max_seconds=1800, fetch_timeout=30.0)
BUSY, QUIET = "/busy.xml", "/quiet.xml"
# A feed's own delay past its interval (jitter) is at most this much.
JITTER = 15.0


@dataclass
class Rig:
    """A poller over its own database and the loopback feed server, on a test clock."""

    storage: Storage
    poller: FeedPoller
    clock: FakeClock
    feeds: FeedServer

    async def poll_after(self, seconds: float) -> None:
        """Let time pass, then run the poll job's look once."""
        self.clock.advance(seconds)
        await self.poller.poll_once()

    async def feed(self, path: str) -> Feed:
        """The feed served at path, as stored."""
        (feed,) = [f for f in await self.storage.list_feeds() if f.url == self.feeds.url(path)]
        return feed


@asynccontextmanager
async def polling(
    database: Path | str, feeds: FeedServer, paths: tuple[str, ...], config: Config = ADAPTIVE
) -> AsyncIterator[Rig]:
    """A poller polling the feeds at paths, each due at once (a folder for SQLite, or a URL)."""
    storage = Storage(database / "warta.db" if isinstance(database, Path) else database)
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed(feeds.url(path), path, "") for path in paths])
        clock = FakeClock()
        async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                storage, client, TopicRegistry(), StoryMatcher(), config, clock, lambda: None
            )
            yield Rig(storage, poller, clock, feeds)
            await poller.close()
    finally:
        await storage.close()


def every(gap: timedelta, count: int, slug: str) -> list[FeedItem]:
    """count items, newest first, published gap apart up to now."""
    now = datetime.now(UTC)
    return [
        FeedItem(
            f"Berita {slug} {n}", f"https://berita.example/{slug}/{n}", published=now - gap * n
        )
        for n in range(count)
    ]


def publish_busy_and_quiet(feeds: FeedServer) -> None:
    """A feed with an item every 30 s, and one with two items this week."""
    feeds.publish(BUSY, every(timedelta(seconds=30), 40, "ramai"))
    feeds.publish(QUIET, every(timedelta(days=3), 2, "sepi"))


async def test_a_busy_feed_is_polled_every_minute_and_a_quiet_one_every_half_hour(
    tmp_path: Path, feeds: FeedServer
) -> None:
    publish_busy_and_quiet(feeds)
    async with polling(tmp_path, feeds, (BUSY, QUIET)) as rig:
        await rig.poller.poll_once()
        busy, quiet = await rig.feed(BUSY), await rig.feed(QUIET)
        assert (busy.poll_interval, busy.poll_reason) == (60, "rate")
        assert (quiet.poll_interval, quiet.poll_reason) == (1800, "rate")
        for _ in range(3):  # a minute (and the feed's jitter) later, only the busy feed is asked
            await rig.poll_after(60 + JITTER)
        assert (feeds.hits(BUSY), feeds.hits(QUIET)) == (4, 1)
        await rig.poll_after(1800 - 3 * (60 + JITTER) + JITTER)
        assert (feeds.hits(BUSY), feeds.hits(QUIET)) == (5, 2)


async def test_the_publishing_rate_is_read_the_same_on_postgresql(
    feeds: FeedServer, postgres_url: str
) -> None:
    publish_busy_and_quiet(feeds)
    async with polling(postgres_url, feeds, (BUSY, QUIET)) as rig:
        await rig.poller.poll_once()
        busy, quiet = await rig.feed(BUSY), await rig.feed(QUIET)
        assert (busy.poll_interval, busy.poll_reason) == (60, "rate")
        assert (quiet.poll_interval, quiet.poll_reason) == (1800, "rate")


async def test_the_site_cache_lifetime_lengthens_the_interval_up_to_the_longest(
    tmp_path: Path, feeds: FeedServer
) -> None:
    publish_busy_and_quiet(feeds)
    feeds.set_headers(BUSY, {"Cache-Control": "public, max-age=600"})
    feeds.set_headers(QUIET, {"Cache-Control": "max-age=86400"})
    async with polling(tmp_path, feeds, (BUSY, QUIET)) as rig:
        await rig.poller.poll_once()
        busy, quiet = await rig.feed(BUSY), await rig.feed(QUIET)
        assert (busy.poll_interval, busy.poll_reason) == (600, "cache")
        assert quiet.poll_interval == 1800  # a day's cache lifetime: still asked at the longest
        await rig.poll_after(599)
        assert feeds.hits(BUSY) == 1
        await rig.poll_after(1 + JITTER)
        assert feeds.hits(BUSY) == 2


async def test_an_rss_ttl_is_respected(tmp_path: Path, feeds: FeedServer) -> None:
    items = "".join(
        f"<item><title>Berita {n}</title><link>https://berita.example/{n}</link>"
        f"<pubDate>{(datetime.now(UTC) - timedelta(seconds=30 * n)):%a, %d %b %Y %H:%M:%S} +0000"
        "</pubDate></item>"
        for n in range(30)
    )
    feeds.set_raw(
        BUSY,
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><ttl>20</ttl>'
        f"{items}</channel></rss>".encode(),
    )
    async with polling(tmp_path, feeds, (BUSY,)) as rig:
        await rig.poller.poll_once()
        busy = await rig.feed(BUSY)
        assert (busy.poll_interval, busy.poll_reason) == (1200, "ttl")
        await rig.poll_after(1199)
        assert feeds.hits(BUSY) == 1
        await rig.poll_after(1 + JITTER)  # unchanged: 304, no body, and still its ttl
        assert feeds.requests[-1].status == 304
        busy = await rig.feed(BUSY)
        assert (busy.poll_interval, busy.poll_reason) == (1200, "ttl")


async def test_a_retry_after_is_waited_for_even_beyond_the_longest_interval(
    tmp_path: Path, feeds: FeedServer
) -> None:
    feeds.set_raw(BUSY, b"slow down", status=429, headers={"Retry-After": "7200"})
    async with polling(tmp_path, feeds, (BUSY,)) as rig:
        await rig.poller.poll_once()
        busy = await rig.feed(BUSY)
        assert (busy.poll_interval, busy.poll_reason) == (7200, "retry_after")
        feeds.publish(BUSY, every(timedelta(seconds=30), 10, "ramai"))
        await rig.poll_after(7199)
        assert feeds.hits(BUSY) == 1
        await rig.poll_after(1)
        assert feeds.hits(BUSY) == 2
        assert (await rig.feed(BUSY)).poll_reason == "rate"


async def test_a_failing_feed_backs_off(tmp_path: Path, feeds: FeedServer) -> None:
    feeds.set_raw(BUSY, b"oops", status=500)
    async with polling(tmp_path, feeds, (BUSY,)) as rig:
        await rig.poller.poll_once()
        await rig.poll_after(120)
        busy = await rig.feed(BUSY)
        assert (busy.poll_interval, busy.poll_reason) == (240, "backoff")


async def test_with_equal_shortest_and_longest_every_feed_is_polled_at_that_interval(
    tmp_path: Path, feeds: FeedServer
) -> None:
    fixed = Config(token=None, poll_seconds=300, poll_max_seconds=300, fetch_timeout=30.0)
    publish_busy_and_quiet(feeds)
    async with polling(tmp_path, feeds, (BUSY, QUIET), fixed) as rig:
        await rig.poller.poll_once()
        for path in (BUSY, QUIET):
            feed = await rig.feed(path)
            assert (feed.poll_interval, feed.poll_reason) == (300, "fixed")
        await rig.poll_after(299)
        assert (feeds.hits(BUSY), feeds.hits(QUIET)) == (1, 1)
        await rig.poll_after(1)
        assert (feeds.hits(BUSY), feeds.hits(QUIET)) == (2, 2)


async def test_one_host_is_asked_at_most_two_requests_at_a_time(
    tmp_path: Path, feeds: FeedServer
) -> None:
    paths = tuple(f"/kanal-{n}.xml" for n in range(6))
    for path in paths:
        feeds.publish(path, every(timedelta(minutes=5), 3, path.strip("/")))
        feeds.set_delay(path, 0.3)  # answers overlap unless the poller holds requests back
    async with polling(tmp_path, feeds, paths) as rig:
        await rig.poller.poll_once()
        assert [feeds.hits(path) for path in paths] == [1] * 6
        assert feeds.most_in_flight == 2


async def test_an_expires_header_and_a_dated_retry_after_are_read_too(
    tmp_path: Path, feeds: FeedServer
) -> None:
    publish_busy_and_quiet(feeds)
    in_15_minutes = datetime.now(UTC) + timedelta(minutes=15)
    feeds.set_headers(BUSY, {"Expires": format_datetime(in_15_minutes, usegmt=True)})
    in_2_hours = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    feeds.set_raw(QUIET, b"maintenance", status=503, headers={"Retry-After": in_2_hours})
    async with polling(tmp_path, feeds, (BUSY, QUIET)) as rig:
        await rig.poller.poll_once()
        busy, quiet = await rig.feed(BUSY), await rig.feed(QUIET)
        assert busy.poll_reason == "cache"
        assert 840 <= (busy.poll_interval or 0) <= 900  # against the server's Date: 15 min
        assert quiet.poll_reason == "retry_after"
        assert 7140 <= (quiet.poll_interval or 0) <= 7200
