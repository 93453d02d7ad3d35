"""Parsing and cleaning in worker processes: the same news as in threads, and none lost to a
worker that dies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.parse import ParsedEntry
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.feeds.workers import CleanText, FeedWorkers, InThreads, WorkerPool
from bot.standin import FeedServer, TelegramStandIn
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import FeedSeed
from tests.e2e.harness import BotProcess, bot_environment, write_feeds_file
from tests.factories import news
from tests.inprocess import ADMIN_ID, LOOPBACK_FEEDS, RunningBot, running_bot
from tests.ops.helpers import free_port, scrape
from tests.reliability.hostile_feeds import SIZE_CAP, corpus, filler_rss

BUDI = 101
# Fetching is not what is compared: a timeout that means "hung", many feeds at once.
CONFIG = Config(
    token=None, poll_seconds=60, fetch_timeout=30.0, max_feed_bytes=SIZE_CAP, fetch_concurrency=64
)
PLAIN = [f"/biasa/{n}.xml" for n in range(3)]


@dataclass(frozen=True)
class FeedState:
    """What a poll left of one feed: its error state and its items (without ids or times)."""

    last_error: str | None
    consecutive_failures: int
    items: list[tuple[str, str, str, str, float | None]]  # title, summary, body, link, published


class Ingestion:
    """One database, polled by a poller that parses and cleans with the given workers."""

    def __init__(self, location: Path, feeds: FeedServer, workers: FeedWorkers) -> None:
        self.storage = Storage(location)
        self._feeds = feeds
        self._workers = workers

    async def poll(self) -> None:
        async with build_http_client(CONFIG.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                self.storage, client, TopicRegistry(), StoryMatcher(), CONFIG, time.time,
                lambda: None, workers=self._workers,
            )  # fmt: skip
            await poller.poll_once()

    async def state(self) -> dict[str, FeedState]:
        """Every feed's state by address."""
        items: dict[int, list[tuple[str, str, str, str, float | None]]] = {}
        for item, body in await self.storage.search_items(None, 100_000):
            stored = (item.title, item.summary, body, item.link, item.published_at)
            items.setdefault(item.feed_id, []).append(stored)
        return {
            feed.url: FeedState(
                feed.last_error, feed.consecutive_failures, sorted(items.get(feed.id, []))
            )
            for feed in await self.storage.list_feeds()
        }


async def test_worker_processes_store_what_threads_store_and_fail_what_they_fail(
    tmp_path: Path, feeds: FeedServer
) -> None:
    cases = [hostile for hostile in corpus(feeds.base_url) if hostile.family != "slow"]
    for hostile in cases:
        hostile.serve(feeds, hostile.path)
    for n, path in enumerate(PLAIN):
        feeds.publish(path, [news(f"{n}-{i}", f"Berita {i} dari daerah {n}") for i in range(5)])
    seeds = [
        FeedSeed(feeds.url(path), path, "Banten") for path in [*PLAIN, *(c.path for c in cases)]
    ]
    pool = WorkerPool(1)
    await pool.start()
    threads = Ingestion(tmp_path / "threads.db", feeds, InThreads())
    processes = Ingestion(tmp_path / "processes.db", feeds, pool)
    try:
        for ingestion in (threads, processes):
            await ingestion.storage.open()
            await ingestion.storage.sync_feeds(seeds)
            await ingestion.poll()  # every document read whole: the feeds' first fetch
        for n, path in enumerate(PLAIN):
            feeds.add_item(path, news(f"{n}-baru", f"Berita baru dari daerah {n}"))
        for ingestion in (threads, processes):
            await ingestion.storage.make_feeds_due()  # an interval later
            await ingestion.poll()  # only the new entries read
        expected, got = await threads.state(), await processes.state()
    finally:
        await pool.close()
        await threads.storage.close()
        await processes.storage.close()
    assert got == expected
    assert sum(bool(state.last_error) for state in got.values()) >= 50  # the malformed ones
    assert all(len(got[feeds.url(path)].items) == 6 for path in PLAIN)


def alerts_to(warta: RunningBot, chat_id: int) -> list[str]:
    texts = [m.plain_text or "" for m in warta.telegram.messages_to(chat_id)]
    return [text for text in texts if text.startswith("🔔")]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None for no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None


def ended(pid: int) -> bool:
    """True once the process is gone (or a zombie nobody needs to wait for)."""
    fields = _stat(pid)
    return fields is None or fields[0] == "Z"


def descendants(pid: int) -> set[int]:
    """Every live process started by this one or by one of its own."""
    parents = {int(name): fields[1] for name in os.listdir("/proc") if name.isdigit()
               if (fields := _stat(int(name))) is not None and fields[0] != "Z"}  # fmt: skip
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if int(parent) in frontier}
        found |= frontier
    return found


async def test_a_parser_process_killed_while_idle_costs_no_feed_its_poll(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/banten.xml", [news("lama", "Banjir kemarin di Lebak")])
    entries = [("ANTARA Banten", "/banten.xml", "Banten")]
    async with running_bot(tmp_path, telegram, feeds, entries) as warta:
        await warta.poll()  # the feed's back catalogue
        await warta.say(BUDI, "/subscribe banjir")
        feeds.add_item("/banten.xml", news("baru", "Banjir rendam Cilegon"))
        (worker,) = warta.services.workers.process_ids()
        os.kill(worker, signal.SIGKILL)
        # Dead while idle: on a busy machine a killed process takes a moment to end, and one
        # still ending when the document reaches it is taken for one the document killed.
        async with asyncio.timeout(30):  # hung, not slow
            while not ended(worker):  # noqa: ASYNC110 - the kernel announces nothing
                await asyncio.sleep(0.01)
        await warta.poll()  # read by the process that takes the dead one's place
        (feed,) = await warta.services.storage.list_feeds()
        assert feed.last_error is None  # not the feed's fault: operators see no broken feed
        await warta.telegram.wait_for(lambda tg: bool(alerts_to(warta, BUDI)))
        await warta.settled()
        alerts = alerts_to(warta, BUDI)
        assert len(alerts) == 1
        assert "Banjir rendam Cilegon" in alerts[0]
        assert worker not in warta.services.workers.process_ids()


async def metric_samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the bot's /metrics, by name and labels."""
    response = await scrape(port, "/metrics")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def documents_parsed(port: int) -> float:
    """How many fetched documents went to a parser, as /metrics counts them."""
    samples = await metric_samples(port)
    return sum(value for (name, _), value in samples.items()
               if name == "warta_feed_documents_parsed_total")  # fmt: skip


async def poll_and_signal_the_parser_mid_document(
    warta: RunningBot, port: int, sent: signal.Signals
) -> int:
    """Poll, and send the parser process `sent` once it holds the new document; its pid."""
    parsed = await documents_parsed(port)
    (parser,) = warta.services.workers.process_ids()
    os.kill(parser, signal.SIGSTOP)  # held until the document is in its hands
    try:
        polling = asyncio.create_task(warta.poll())
        async with asyncio.timeout(30):  # hung, not slow
            # Counted as it is handed to the parser, in the same step: the count is the
            # condition (the held process announces nothing).
            while await documents_parsed(port) == parsed:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        os.kill(parser, sent)
    finally:
        with contextlib.suppress(ProcessLookupError):  # killed and reaped already
            os.kill(parser, signal.SIGCONT)
    await polling
    return parser


async def test_a_document_that_kills_its_parser_is_its_feed_error_backed_off_and_others_alert(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/maut.xml", [news("m1", "Gempa kemarin di Pandeglang")])
    feeds.publish("/banten.xml", [news("lama", "Banjir kemarin di Lebak")])
    entries = [("Maut", "/maut.xml", "Banten"), ("ANTARA Banten", "/banten.xml", "Banten")]
    port = free_port()
    async with running_bot(tmp_path, telegram, feeds, entries, metrics_port=port) as warta:
        await warta.poll()  # both feeds' back catalogues
        await warta.say(BUDI, "/subscribe banjir")
        feeds.add_item("/maut.xml", news("m2", "Gempa susulan di Pandeglang"))
        # Killed with the document in hand: what a document that kills its parser (a crash in
        # C code, the OOM killer) does to the process reading it.
        parser = await poll_and_signal_the_parser_mid_document(warta, port, signal.SIGKILL)
        by_name = {feed.name: feed for feed in await warta.services.storage.list_feeds()}
        killer, other = by_name["Maut"], by_name["ANTARA Banten"]
        assert killer.last_error == "the parser process died reading this feed (signal 9)"
        assert other.last_error is None
        # Backed off past its usual hour, as a failing feed is: not read again at every poll.
        assert killer.next_fetch_at is not None
        assert killer.next_fetch_at - time.time() > 3600
        samples = await metric_samples(port)
        assert samples[("warta_feed_fetch_errors_total", (("feed", "Maut"),))] == 1
        assert "signal 9" in await warta.say(ADMIN_ID, "/feeds")
        # A fresh parser reads the other feeds' news; the killer waits out its back-off.
        feeds.add_item("/banten.xml", news("baru", "Banjir rendam Cilegon"))
        hits = feeds.hits("/maut.xml")
        await warta.services.storage.make_feed_due(other.id, time.time())
        await warta.services.poller.poll_once()
        await warta.telegram.wait_for(lambda tg: bool(alerts_to(warta, BUDI)))
        assert ["Banjir rendam Cilegon" in text for text in alerts_to(warta, BUDI)] == [True]
        assert feeds.hits("/maut.xml") == hits
        assert parser not in warta.services.workers.process_ids()


async def test_a_parser_process_stopped_with_the_service_blames_no_feed(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/banten.xml", [news("lama", "Banjir kemarin di Lebak")])
    port = free_port()
    async with running_bot(
        tmp_path, telegram, feeds, [("ANTARA Banten", "/banten.xml", "Banten")], metrics_port=port
    ) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe banjir")
        feeds.add_item("/banten.xml", news("baru", "Banjir rendam Cilegon"))
        # What systemd sends every process of a service it stops, with a document in hand.
        await poll_and_signal_the_parser_mid_document(warta, port, signal.SIGTERM)
        (feed,) = await warta.services.storage.list_feeds()
        assert feed.last_error is None
        await warta.poll()  # given back due: read by the fresh process
        await warta.telegram.wait_for(lambda tg: bool(alerts_to(warta, BUDI)))
        assert ["Banjir rendam Cilegon" in text for text in alerts_to(warta, BUDI)] == [True]


async def test_the_worker_processes_end_with_the_bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/banten.xml", [news("a", "Banjir di Lebak surut")])
    entries = [("ANTARA Banten", "/banten.xml", "Banten")]
    async with running_bot(tmp_path, telegram, feeds, entries) as warta:
        await warta.poll()
        workers = warta.services.workers.process_ids()
        assert [item.title for item in await warta.services.storage.latest_items(5)] == [
            "Banjir di Lebak surut"
        ]
    assert workers
    assert all(ended(pid) for pid in workers)


async def test_a_killed_bot_leaves_no_worker_processes_behind(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/banten.xml", [news("a", "Banjir di Lebak surut")])
    feeds_toml = write_feeds_file(
        tmp_path / "feeds.toml", feeds, [("ANTARA Banten", "/banten.xml", "Banten")]
    )
    bot = BotProcess(tmp_path, bot_environment(tmp_path, telegram, feeds_toml), tmp_path / "log")
    await bot.start()
    try:
        await feeds.wait_for_hits("/banten.xml", 1, timeout=60)
        assert bot.process is not None
        left = descendants(bot.process.pid)  # its parser processes among them
        assert left
    finally:
        assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
    async with asyncio.timeout(60):  # hung, not slow
        # Processes announce nothing when they end: /proc is the condition.
        while not all(ended(pid) for pid in left):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


class HeldParsing:
    """Parsing held until the test lets it go (then in threads): parsing slower than fetching."""

    def __init__(self) -> None:
        self.waiting = 0
        self.go = asyncio.Event()

    async def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ParsedEntry]:
        """The entries, once the test lets parsing go."""
        self.waiting += 1
        await self.go.wait()
        self.waiting -= 1
        return await InThreads().parse(body, headers)

    async def clean(self, entries: Sequence[ParsedEntry]) -> list[CleanText]:
        """The entries' texts."""
        return await InThreads().clean(entries)


async def test_fetching_keeps_only_so_far_ahead_of_parsing(
    tmp_path: Path, feeds: FeedServer
) -> None:
    paths = [f"/daerah/{n}.xml" for n in range(10)]
    for n, path in enumerate(paths):
        feeds.publish(path, [news(f"{n}", f"Berita dari daerah {n}")])
    storage = Storage(tmp_path / "warta.db")
    await storage.open()
    held = HeldParsing()
    try:
        await storage.sync_feeds(FeedSeed(feeds.url(path), path, "Banten") for path in paths)
        config = Config(token=None, poll_seconds=60, fetch_timeout=30.0, fetch_concurrency=1)
        async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                storage, client, TopicRegistry(), StoryMatcher(), config, time.time,
                lambda: None, workers=held,
            )  # fmt: skip
            polling = asyncio.create_task(poller.poll_once())
            async with asyncio.timeout(30):  # hung, not slow
                while held.waiting < 2:  # noqa: ASYNC110 (parsing announces nothing)
                    await asyncio.sleep(0.01)
            # A request of our own: the server has seen every fetch begun before it.
            async with httpx.AsyncClient() as probe:
                await probe.get(feeds.url("/probe"))
            asked = [request.path for request in feeds.requests if request.path in paths]
            held.go.set()
            summary = await polling
    finally:
        await storage.close()
    assert len(asked) == 2  # twice the fetch concurrency: two bodies wait, no more
    assert summary.new_items == 10


async def replaced_parser(warta: RunningBot, old: int) -> int:
    """The parser process that took the place of `old`, once it is ready."""
    workers = warta.services.workers
    assert workers is not None
    async with asyncio.timeout(60):  # hung, not slow: a new interpreter starts
        # The process list is the condition: a replacement announces nothing.
        while (pids := workers.process_ids()) == [old] or not pids:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    (new,) = pids
    return new


async def test_a_parser_process_is_replaced_after_a_large_document(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.set_raw("/besar.xml", filler_rss(3 * 1024 * 1024))
    feeds.publish("/kecil.xml", [news("a", "Banjir di Lebak surut")])
    entries = [("Besar", "/besar.xml", "Banten"), ("Kecil", "/kecil.xml", "Banten")]
    async with running_bot(tmp_path, telegram, feeds, entries) as warta:
        (before,) = warta.services.workers.process_ids()
        await warta.poll()
        assert all(feed.last_error is None for feed in await warta.services.storage.list_feeds())
        assert len(await warta.services.storage.latest_items(5)) == 2
        # Its heap grew to read 3 MiB: a fresh process, at rest, takes its place.
        await replaced_parser(warta, before)
        assert ended(before)


async def test_a_document_past_the_parser_memory_cap_is_its_feed_error_and_others_alert(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    # Within the size cap an operator raised, but more than a parser process may hold to read.
    feeds.set_raw("/raksasa.xml", filler_rss(24 * 1024 * 1024))
    feeds.publish("/banten.xml", [news("lama", "Banjir kemarin di Lebak")])
    entries = [("Raksasa", "/raksasa.xml", "Banten"), ("ANTARA Banten", "/banten.xml", "Banten")]
    async with running_bot(
        tmp_path, telegram, feeds, entries, max_feed_bytes=32 * 1024 * 1024
    ) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe banjir")
        feeds.add_item("/banten.xml", news("baru", "Banjir rendam Cilegon"))
        await warta.poll()
        await warta.telegram.wait_for(lambda tg: bool(alerts_to(warta, BUDI)))
        feeds_by_name = {feed.name: feed for feed in await warta.services.storage.list_feeds()}
        giant = feeds_by_name["Raksasa"]
        assert "too large to read" in (giant.last_error or "")
        assert feeds_by_name["ANTARA Banten"].last_error is None
        assert ["Banjir rendam Cilegon" in text for text in alerts_to(warta, BUDI)] == [True]
