"""Polling parses only what is new: known entries never reach the feed parser again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg

from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.ops.metrics import Metrics, ParseScope
from bot.standin import FeedItem, FeedServer
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import Feed, FeedSeed, Item
from tests.factories import news
from tests.inprocess import LOOPBACK_FEEDS, FakeClock

PATH = "/banten.xml"
CONFIG = Config(token=None, poll_seconds=60, fetch_timeout=30.0)


@dataclass
class Rig:
    """A poller over real storage and the loopback feed server, with its metrics."""

    storage: Storage
    poller: FeedPoller
    metrics: Metrics
    clock: FakeClock

    async def poll(self) -> None:
        """Poll every feed now (each is due again: time moves past its interval)."""
        self.clock.advance(CONFIG.poll_seconds * 10)
        await self.poller.poll_once()

    def parsed(self, scope: ParseScope) -> float:
        """How many fetched documents were parsed to this extent."""
        value = self.metrics.registry.get_sample_value(
            "warta_feed_documents_parsed_total", {"scope": scope.value}
        )
        return value or 0.0

    async def items(self) -> dict[str, Item]:
        """Every stored item by its link."""
        return {item.link: item for item in await self.storage.latest_items(1000)}

    async def feed(self) -> Feed:
        (feed,) = await self.storage.list_feeds()
        return feed


@asynccontextmanager
async def polling(
    database: Path | str,
    feeds: FeedServer,
    paths: tuple[str, ...] = (PATH,),
    config: Config = CONFIG,
) -> AsyncIterator[Rig]:
    """A poller with its own database (a folder for SQLite, or a URL), polling feeds at paths."""
    storage = Storage(database / "warta.db" if isinstance(database, Path) else database)
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed(feeds.url(path), path, "Banten") for path in paths])
        metrics, clock = Metrics(), FakeClock()
        async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                storage, client, TopicRegistry(), StoryMatcher(), config, clock, lambda: None,
                metrics=metrics,
            )  # fmt: skip
            yield Rig(storage, poller, metrics, clock)
    finally:
        await storage.close()


def catalogue(count: int) -> list[FeedItem]:
    return [news(f"lama-{n}", f"Berita lama nomor {n} dari Serang") for n in range(count)]


async def test_a_feed_with_nothing_new_is_not_parsed_and_still_counts_as_read(
    tmp_path: Path, feeds: FeedServer
) -> None:
    feeds.conditional_get(False)  # the server sends the whole document every time
    feeds.publish(PATH, catalogue(20))
    async with polling(tmp_path, feeds) as rig:
        await rig.poll()
        assert rig.parsed(ParseScope.WHOLE) == 1
        before = await rig.items()
        await rig.poll()
        assert feeds.hits(PATH) == 2
        assert rig.parsed(ParseScope.NONE) == 1
        assert rig.parsed(ParseScope.WHOLE) == 1
        assert await rig.items() == before
        feed = await rig.feed()
        assert feed.last_success_at == rig.clock()
        assert (feed.last_error, feed.etag) == (None, feeds.etag(PATH))


async def test_only_the_new_entries_are_parsed_and_stored_as_a_whole_parse_would(
    tmp_path: Path, feeds: FeedServer
) -> None:
    feeds.conditional_get(False)
    feeds.publish(PATH, catalogue(20))
    fresh = [
        news("baru-1", "Banjir rendam 300 rumah di Serang", "<p>Air &amp; lumpur <b>naik</b></p>"),
        FeedItem(
            title="Harga cabai &amp; beras naik",
            link="https://berita.example/baru-2?id=2&src=rss",
            description="<p>Ringkasan.</p>",
            content_html="<p>Isi lengkap: harga <i>cabai</i> naik.</p><script>x()</script>",
            guid=None,
            published=None,
        ),
    ]
    async with polling(tmp_path / "kedua", feeds) as rig:
        await rig.poll()
        for item in fresh:
            feeds.add_item(PATH, item)
        await rig.poll()
        assert rig.parsed(ParseScope.NEW_ENTRIES) == 1
        items = await rig.items()
    async with polling(tmp_path / "utuh", feeds) as whole:  # the same document, parsed whole
        await whole.poll()
        assert whole.parsed(ParseScope.WHOLE) == 1
        expected = await whole.items()
    assert len(items) == len(expected) == 22
    for item in fresh:
        got, want = items[item.link], expected[item.link]
        assert (got.title, got.summary, got.link, got.published_at) == (
            want.title, want.summary, want.link, want.published_at,
        )  # fmt: skip


async def test_an_ill_formed_feed_is_still_parsed_whole_and_its_news_stored(
    tmp_path: Path, feeds: FeedServer
) -> None:
    def document(*titles: str) -> bytes:
        items = "".join(
            f"<item><title>{title} & kawan</title><guid>urn:x:{n}</guid></item>"
            for n, title in enumerate(titles)
        )  # an unescaped "&": not XML, feedparser reads it all the same
        return f'<rss version="2.0"><channel><title>K</title>{items}</channel></rss>'.encode()

    feeds.set_raw(PATH, document("Gempa di Lebak"))
    async with polling(tmp_path, feeds) as rig:
        await rig.poll()
        feeds.set_raw(PATH, document("Gempa di Lebak", "Banjir di Serang"))
        await rig.poll()
        assert rig.parsed(ParseScope.WHOLE) == 2
        titles = sorted(item.title for item in (await rig.items()).values())
        assert titles == ["Banjir di Serang & kawan", "Gempa di Lebak & kawan"]


async def test_a_feed_waiting_to_be_stored_never_holds_up_another_feeds_fetch(
    postgres_url: str, feeds: FeedServer
) -> None:
    paths = ("/antara.xml", "/radar.xml")
    for path in paths:
        feeds.publish(path, [news(f"{path[1:6]}-{n}", f"Berita {path} {n}") for n in range(3)])
    one_at_a_time = replace(CONFIG, fetch_concurrency=1)
    async with polling(postgres_url, feeds, paths, one_at_a_time) as rig:
        async with await psycopg.AsyncConnection.connect(postgres_url) as other:
            async with other.transaction():
                # Another session holds the items table: no feed's news can be stored for now.
                await other.execute("LOCK TABLE items IN EXCLUSIVE MODE")
                polled = asyncio.create_task(rig.poll())
                async with asyncio.timeout(30):  # hung: the first feed kept the only fetch slot
                    # The stand-in announces no requests: its log is the condition.
                    while not all(feeds.hits(path) for path in paths):  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
            await polled
        assert len(await rig.items()) == 6
