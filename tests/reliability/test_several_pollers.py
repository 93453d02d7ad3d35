"""Several pollers on one database: each due feed fetched once, one alert per story, one index."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.feeds.articles import ARTICLE_BUDGET_SECONDS
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.matching import prepare_document
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS, new_process_id
from bot.ops.metrics import Metrics
from bot.standin import FeedServer, TelegramStandIn
from bot.topics.registry import TopicRegistry, TopicWatcher
from storage import Storage
from storage.models import Feed, FeedSeed
from tests.factories import news, register_readers
from tests.inprocess import LOOPBACK_FEEDS, FakeClock, alert_titles, running_bot

CONFIG = Config(token=None, poll_seconds=60, fetch_timeout=30.0)
PATHS = tuple(f"/feed-{n}.xml" for n in range(12))
READER = 5101


@dataclass
class Poller:
    """One poller process: its own storage connection, process id, topics and story matcher."""

    storage: Storage
    poller: FeedPoller
    topics: TopicRegistry
    owner: int


@asynccontextmanager
async def poller_process(
    database: Path | str,
    clock: Callable[[], float],
    article_budget: float = ARTICLE_BUDGET_SECONDS,
    config: Config = CONFIG,
    metrics: Metrics | None = None,
) -> AsyncIterator[Poller]:
    """A poller as a process builds it: registered (alive), with the topics stored now."""
    storage = Storage(database)
    await storage.open()
    try:
        owner = new_process_id()
        await storage.register_process(owner, "poller", "test", os.getpid(), clock())
        topics = TopicRegistry()
        await TopicWatcher(storage, topics).reload()
        async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                storage, client, topics, StoryMatcher(), config, clock, lambda: None,
                owner=owner, article_budget=article_budget, metrics=metrics,
            )  # fmt: skip
            await poller.load_recent_stories()
            yield Poller(storage, poller, topics, owner)
            await poller.close()
    finally:
        await storage.close()


async def seed_feeds(database: Path | str, feeds: FeedServer, paths: tuple[str, ...]) -> None:
    """The feeds every poller shares, each with one old item."""
    storage = Storage(database)
    await storage.open()
    try:
        for path in paths:
            feeds.publish(path, [news(f"lama{path}", "Berita lama dari Serang", hours_ago=80)])
        await storage.sync_feeds([FeedSeed(feeds.url(path), path, "Banten") for path in paths])
    finally:
        await storage.close()


def hits(feeds: FeedServer, paths: tuple[str, ...] = PATHS) -> list[int]:
    return [feeds.hits(path) for path in paths]


async def test_two_pollers_fetch_each_due_feed_once_per_interval(
    database: Path | str, feeds: FeedServer
) -> None:
    await seed_feeds(database, feeds, PATHS)
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(poller_process(database, clock))
        two = await stack.enter_async_context(poller_process(database, clock))
        await asyncio.gather(one.poller.poll_once(), two.poller.poll_once())
        assert hits(feeds) == [1] * len(PATHS)

        # Within the interval nothing is due, whichever poller looks.
        clock.advance(CONFIG.poll_seconds / 2)
        await beat(clock, one, two)
        await asyncio.gather(one.poller.poll_once(), two.poller.poll_once())
        assert hits(feeds) == [1] * len(PATHS)

        clock.advance(CONFIG.poll_seconds / 2)
        await beat(clock, one, two)
        await asyncio.gather(two.poller.poll_once(), one.poller.poll_once())
        assert hits(feeds) == [2] * len(PATHS)


async def beat(clock: Callable[[], float], *processes: Poller) -> None:
    """The processes' heartbeats, as each writes one every few seconds while it lives."""
    for process in processes:
        await process.storage.beat(process.owner, clock())


class SlowRound:
    """Wall time that moves on a little every time a poll reads it (fetches take time)."""

    def __init__(self) -> None:
        self.now = FakeClock()()

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


async def test_one_poller_fetches_each_feed_at_every_interval_though_fetches_end_late(
    database: Path | str, feeds: FeedServer
) -> None:
    await seed_feeds(database, feeds, PATHS[:3])
    clock = SlowRound()
    async with AsyncExitStack() as stack:
        solo = await stack.enter_async_context(poller_process(database, clock))
        started = clock.now
        await solo.poller.poll_once()
        assert hits(feeds, PATHS[:3]) == [1, 1, 1]
        clock.now = started + CONFIG.poll_seconds  # the poll job fires one interval later
        await solo.poller.poll_once()
        assert hits(feeds, PATHS[:3]) == [2, 2, 2]


async def claimed_by_a_process_that_dies(
    database: Path | str, clock: FakeClock, stack: AsyncExitStack
) -> Poller:
    """A poller process that claimed every feed and then stopped beating (killed)."""
    gone = await stack.enter_async_context(poller_process(database, clock))
    lease = CONFIG.fetch_timeout * 2 + 120
    now = clock()
    claimed = await gone.storage.claim_feeds(gone.owner, now, 100, now + lease, now - 20)
    assert len(claimed) == len(PATHS)
    return gone


async def test_the_feeds_of_a_killed_poller_are_taken_over_once_it_is_known_dead(
    database: Path | str, feeds: FeedServer
) -> None:
    await seed_feeds(database, feeds, PATHS)
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        await claimed_by_a_process_that_dies(database, clock, stack)
        survivor = await stack.enter_async_context(poller_process(database, clock))
        clock.advance(PROCESS_TIMEOUT_SECONDS / 2)
        await beat(clock, survivor)
        await survivor.poller.poll_once()
        assert hits(feeds) == [0] * len(PATHS)  # the holder may still be fetching them

        clock.advance(PROCESS_TIMEOUT_SECONDS)
        await beat(clock, survivor)
        await survivor.poller.poll_once()
        assert hits(feeds) == [1] * len(PATHS)


async def test_the_feeds_of_a_live_poller_past_its_lease_are_free(
    database: Path | str, feeds: FeedServer
) -> None:
    await seed_feeds(database, feeds, PATHS)
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        slow = await claimed_by_a_process_that_dies(database, clock, stack)
        other = await stack.enter_async_context(poller_process(database, clock))
        clock.advance(CONFIG.fetch_timeout * 2 + 121)  # alive, but past its lease
        await beat(clock, slow, other)
        await other.poller.poll_once()
        assert hits(feeds) == [1] * len(PATHS)


async def test_the_feeds_of_a_poller_that_stopped_cleanly_are_free_at_once(
    database: Path | str, feeds: FeedServer
) -> None:
    await seed_feeds(database, feeds, PATHS)
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        stopping = await claimed_by_a_process_that_dies(database, clock, stack)
        await stopping.storage.process_stopped(stopping.owner, clock())
        other = await stack.enter_async_context(poller_process(database, clock))
        await other.poller.poll_once()
        assert hits(feeds) == [1] * len(PATHS)


async def test_a_poller_stopping_cleanly_gives_back_the_feeds_it_was_fetching(
    database: Path | str, feeds: FeedServer
) -> None:
    quick, slow = "/cepat.xml", "/lambat.xml"
    await seed_feeds(database, feeds, (quick, slow))
    feeds.set_delay(slow, 60.0)  # a server that answers long after the stop
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        stopping = await stack.enter_async_context(poller_process(database, clock))
        other = await stack.enter_async_context(poller_process(database, clock))
        polling = asyncio.create_task(stopping.poller.poll_once())
        await feeds.wait_for_hits(quick, 1)  # both feeds were claimed in one go
        await stopping.poller.close()  # shutdown: its fetch stops, its feeds are free again
        polling.cancel()
        feeds.set_delay(slow, 0.0)
        await other.poller.poll_once()
        assert 200 in [r.status for r in feeds.requests if r.path == slow]  # asked again


async def feed_named(storage: Storage, path: str) -> Feed:
    return next(feed for feed in await storage.list_feeds() if feed.name == path)


async def test_two_pollers_storing_one_story_from_two_feeds_at_once_alert_once(
    database: Path | str, feeds: FeedServer
) -> None:
    paths = ("/antara.xml", "/kompas.xml")
    await seed_feeds(database, feeds, paths)
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        setup = await stack.enter_async_context(poller_process(database, clock))
        readers = await register_readers(setup.storage, READER, 3)
        for reader in readers:
            await setup.storage.add_topic(reader, "banjir", "banjir", clock())
        await setup.poller.poll_once()  # the feeds' first fetch: their back catalogue

        feeds.add_item(paths[0], news("a", "Banjir rendam ratusan rumah di Kota Serang hari ini"))
        feeds.add_item(paths[1], news("b", "Banjir Rendam Ratusan Rumah di Kota Serang Hari Ini"))
        one = await stack.enter_async_context(poller_process(database, clock))
        two = await stack.enter_async_context(poller_process(database, clock))
        first, second = [await feed_named(setup.storage, path) for path in paths]
        outcomes = await asyncio.gather(one.poller.poll_feed(first), two.poller.poll_feed(second))
        # The feeds send teasers: each item alerts once its page is had or given up.
        await asyncio.gather(one.poller.wait_for_articles(), two.poller.wait_for_articles())

        assert [outcome.new_items for outcome in outcomes] == [1, 1]
        assert await setup.storage.outbox_backlog() == len(readers)


def follows(bot_topics: TopicRegistry, chat_id: int, title: str, region: str) -> bool:
    return chat_id in bot_topics.chats_for(prepare_document(title, ""), region)


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until a condition holds (a hang, not slowness, if it never does)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_topics_changed_in_another_process_reach_the_running_poller(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> None:
    feeds.publish("/banten.xml", [])
    entries = [("ANTARA Banten", "/banten.xml", "Banten")]
    async with running_bot(tmp_path, telegram, feeds, entries, database=database) as warta:
        await warta.poll()
        topics = warta.services.topics
        other = Storage(database)  # the process that answered the reader
        await other.open()
        try:
            await other.register_chat(READER, "private", "Pembaca", 0.0)
            await other.add_topic(READER, "banjir", "banjir", 0.0)
            await until(lambda: follows(topics, READER, "Banjir di Serang", "Jawa Barat"))

            feeds.add_item("/banten.xml", news("banjir", "Banjir rendam Kasemen"))
            await warta.poll()
            await telegram.wait_for(lambda tg: len(alert_titles(tg, READER)) == 1)

            (topic,) = await other.list_topics(READER)
            await other.remove_topic(READER, topic.id)
            await until(lambda: not follows(topics, READER, "Banjir di Serang", "Jawa Barat"))

            await other.follow_region(READER, "Banten", 0.0)
            await until(lambda: follows(topics, READER, "Harga cabai naik", "Banten"))
            await other.deactivate_chat(READER, "blocked", 0.0)
            await until(lambda: not follows(topics, READER, "Harga cabai naik", "Banten"))
        finally:
            await other.close()
