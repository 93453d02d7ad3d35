"""The per-site limit holds across pollers: 2 requests at a time to one site, whoever sends them.

Pollers share one database (both engines) and one loopback site, which counts the requests it
answers at once; a killed poller's slots of the site are free once its heartbeat lapses.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from pathlib import Path

from bot.config import Config
from bot.feeds.fetch import site_of
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS, new_process_id
from bot.ops.metrics import Metrics
from bot.standin import FeedServer
from storage import Storage
from storage.models import FeedSeed
from tests.factories import news
from tests.inprocess import FakeClock
from tests.reliability.test_several_pollers import Poller
from tests.reliability.test_several_pollers import poller_process as several_pollers_process

ROOT = Path(__file__).resolve().parents[2]
# Two fetch places each: alone, either poller would ask the site twice at once. A short fetch
# time limit, so that a feed whose site stays busy is given back after 2 s (its time limit).
CONFIG = Config(token=None, fetch_concurrency=2, fetch_timeout=1.0)
# A poller in a process of its own, at the test's clock: it polls every due feed (8 of them in
# hand, 2 fetches at a time) with a long time limit, so it holds the site until it is killed.
POLL_IN_A_PROCESS = """
import asyncio, sys
from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.ops.heartbeat import new_process_id
from bot.net.addresses import AddressPolicy
from bot.topics.registry import TopicRegistry
from storage import Storage

async def main(database: str, now: float) -> None:
    config = Config(token=None, fetch_concurrency=2, fetch_timeout=60.0)
    storage, clock, owner = Storage(database), lambda: now, new_process_id()
    await storage.open()
    await storage.register_process(owner, "poller", "test", 0, clock())
    loopback = AddressPolicy.allowing("127.0.0.1")
    async with build_http_client(config.fetch_timeout, loopback) as client:
        poller = FeedPoller(storage, client, TopicRegistry(), StoryMatcher(), config, clock,
                            lambda: None, owner=owner)
        await poller.poll_once()

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""


def poller_process(
    database: Path | str,
    clock: Callable[[], float],
    config: Config = CONFIG,
    metrics: Metrics | None = None,
) -> AbstractAsyncContextManager[Poller]:
    """A poller registered as a live process, with this file's fetch limits."""
    return several_pollers_process(database, clock, config=config, metrics=metrics)


async def one_site(
    database: Path | str, feeds: FeedServer, count: int, delay: float, name: str = "kanal"
) -> tuple[str, ...]:
    """count feeds of one loopback site, each answering after delay seconds."""
    paths = tuple(f"/{name}-{n}.xml" for n in range(count))
    for path in paths:
        feeds.publish(path, [news(f"lama{path}", "Berita lama dari Serang", hours_ago=80)])
        feeds.set_delay(path, delay)
    storage = Storage(database)
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed(feeds.url(path), path, "Banten") for path in paths])
    finally:
        await storage.close()
    return paths


async def test_two_pollers_ask_one_site_two_requests_at_a_time_together(
    database: Path | str, feeds: FeedServer
) -> None:
    # 12 feeds: the first poller claims 8 (its hands full), the other the last 4.
    paths = await one_site(database, feeds, 12, delay=0.3)
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(poller_process(database, clock))
        two = await stack.enter_async_context(poller_process(database, clock))
        summaries = await asyncio.gather(one.poller.poll_once(), two.poller.poll_once())
    assert sorted(summary.fetched for summary in summaries) == [4, 8]  # both asked the site
    assert [feeds.hits(path) for path in paths] == [1] * len(paths)
    assert feeds.most_in_flight == 2


async def test_a_killed_pollers_slots_are_free_once_its_heartbeat_lapses(
    database: Path | str, feeds: FeedServer
) -> None:
    # 10 feeds: the killed poller claims 8 and is asking the site for 2 of them.
    paths = await one_site(database, feeds, 10, delay=3.0)
    clock = FakeClock()
    killed = await asyncio.create_subprocess_exec(
        sys.executable, "-c", POLL_IN_A_PROCESS, str(database), repr(clock()), cwd=ROOT
    )
    try:
        await until(lambda: feeds.in_flight == 2)
    finally:
        killed.send_signal(signal.SIGKILL)
        assert await killed.wait() == -signal.SIGKILL
    for path in paths:
        feeds.set_delay(path, 0.0)
    async with poller_process(database, clock) as survivor:
        # Its 2 feeds of the site are not asked while the killed poller may still be alive.
        summary = await survivor.poller.poll_once()
        assert (summary.fetched, summary.unchanged, summary.failed) == (0, 0, 0)

        clock.advance(PROCESS_TIMEOUT_SECONDS + 1)
        await survivor.storage.beat(survivor.owner, clock())
        summary = await survivor.poller.poll_once()
    assert summary.fetched == len(paths)  # its own 2 and the 8 the killed poller held


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until a condition holds (a hang, not slowness, if it never does)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_a_feed_waiting_for_its_busy_site_leaves_its_fetch_place_to_another_site(
    database: Path | str, feeds: FeedServer
) -> None:
    # One fetch place, and a wait for the busy site as long as a minute: the other site's feed
    # is fetched meanwhile only if the waiting feed holds no fetch place.
    one_place = Config(token=None, fetch_concurrency=1, fetch_timeout=30.0)
    (busy,) = await one_site(database, feeds, 1, delay=0.0, name="sibuk")
    async with FeedServer() as other:
        (free,) = await one_site(database, other, 1, delay=0.0, name="lain")
        clock = FakeClock()
        async with poller_process(database, clock, one_place) as poller:
            # Another poller, alive, is asking the busy site twice.
            holder = new_process_id()
            await poller.storage.register_process(holder, "poller", "test", 0, clock())
            for _ in range(2):
                await poller.storage.take_site_slot(
                    site_of(feeds.url(busy)), holder, 2, clock(), clock() + 60, clock() - 20
                )
            polling = asyncio.create_task(poller.poller.poll_once())
            try:
                await other.wait_for_hits(free, 1)
                assert feeds.hits(busy) == 0
            finally:
                polling.cancel()
                await asyncio.gather(polling, return_exceptions=True)


async def test_a_poller_whose_site_other_pollers_keep_busy_stays_healthy(
    database: Path | str, feeds: FeedServer
) -> None:
    # A poll works when a feed answered or none was asked: a feed waiting for its site, which
    # another live poller is asking twice, was not asked, as a feed another poller took was not.
    (busy,) = await one_site(database, feeds, 1, delay=0.0, name="sibuk")
    clock = FakeClock()
    metrics = Metrics(clock=clock)
    async with poller_process(database, clock, CONFIG, metrics) as poller:
        holder = new_process_id()
        await poller.storage.register_process(holder, "poller", "test", 0, clock())
        for _ in range(2):
            await poller.storage.take_site_slot(
                site_of(feeds.url(busy)), holder, 2, clock(), clock() + 60, clock() - 20
            )
        # Ten seconds after start-up: the holder's heartbeat and leases are still fresh.
        clock.advance(10)
        await poller.poller.poll_once(wait=0.2)
        assert feeds.hits(busy) == 0
        # What /healthz reads: the age of the last poll that worked (not 10 s, since start-up).
        assert metrics.seconds_since_poll_success() == 0
