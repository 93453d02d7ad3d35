"""Poll every due feed: fetch → parse → clean → store, matching and queueing alerts on the way."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import httpx

from bot.config import Config
from bot.feeds.fetch import FetchedFeed, FetchError, fetch_feed
from bot.feeds.parse import FeedParseError, ParsedEntry
from bot.feeds.prescan import scan_feed
from bot.feeds.stories import STORY_WINDOW_SECONDS, StoryMatcher
from bot.feeds.workers import CleanText, FeedWorkers, InThreads, WorkerLost, clean_entries
from bot.matching import prepare_document
from bot.matching.topics import TopicRegistry
from bot.ops.metrics import Metrics, ParseScope
from bot.wib import wib_at
from storage import Storage
from storage.models import Feed, NewItem

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 4000
MAX_BACKOFF_SECONDS = 6 * 3600


@dataclass(frozen=True, slots=True)
class PollSummary:
    """What one poll did, for the log."""

    fetched: int = 0
    unchanged: int = 0
    failed: int = 0
    new_items: int = 0
    alerts_queued: int = 0
    still_fetching: int = 0  # slow feeds left to finish after the poll


class PollOutcome(StrEnum):
    """How polling one feed went (never stored: the feed row keeps its own error state)."""

    FETCHED = "fetched"
    UNCHANGED = "unchanged"  # the server answered 304 Not Modified
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What polling one feed did."""

    status: PollOutcome
    new_items: int = 0
    alerts_queued: int = 0


class FeedPoller:
    """Brings new items from every feed into storage and the outbox."""

    def __init__(
        self,
        storage: Storage,
        client: httpx.AsyncClient,
        topics: TopicRegistry,
        stories: StoryMatcher,
        config: Config,
        clock: Callable[[], float],
        on_alerts_queued: Callable[[], None],
        *,
        metrics: Metrics | None = None,
        workers: FeedWorkers | None = None,
    ) -> None:
        self._storage = storage
        # Parsing and cleaning: worker processes in `warta run`, threads when none are given.
        self._workers = workers if workers is not None else InThreads()
        self._metrics = metrics if metrics is not None else Metrics()
        self._client = client
        self._topics = topics
        self._stories = stories
        self._config = config
        self._clock = clock
        self._on_alerts_queued = on_alerts_queued
        self._limit = asyncio.Semaphore(config.fetch_concurrency)
        # Documents fetched but not yet stored: when parsing is the slower step (a first poll),
        # fetching keeps only this far ahead of it instead of every feed's body being fetched
        # at once, in memory, with the event loop that answers chats busy fetching them.
        self._unread = asyncio.Semaphore(2 * config.fetch_concurrency)
        # Feeds are fetched concurrently but stored one at a time, so story detection sees
        # every earlier item of the same poll.
        self._store_lock = asyncio.Lock()
        self._fetching: dict[int, asyncio.Task[FeedOutcome]] = {}

    async def load_recent_stories(self) -> None:
        """Remember the titles of recent items so restarts keep one alert per story."""
        since = self._clock() - STORY_WINDOW_SECONDS
        for story_id, title, seen_at in await self._storage.recent_titles(since):
            self._stories.remember(story_id, title, seen_at)

    async def poll_once(self) -> PollSummary:
        """Poll every due feed concurrently (bounded) and summarise.

        A poll waits for its feeds one poll interval at most, and a feed still being fetched
        is left out of the next poll: a slow server never holds up the other feeds' news.
        """
        due = await self._storage.due_feeds(self._clock())
        feeds = [feed for feed in due if feed.id not in self._fetching]
        outcomes = await self._outcomes([self._start(feed) for feed in feeds])
        summary = PollSummary(
            fetched=sum(o.status == PollOutcome.FETCHED for o in outcomes),
            unchanged=sum(o.status == PollOutcome.UNCHANGED for o in outcomes),
            failed=sum(o.status == PollOutcome.FAILED for o in outcomes),
            new_items=sum(o.new_items for o in outcomes),
            alerts_queued=sum(o.alerts_queued for o in outcomes),
            still_fetching=len(feeds) - len(outcomes),
        )
        log.info(
            "poll done feeds=%d fetched=%d unchanged=%d failed=%d new_items=%d alerts_queued=%d "
            "still_fetching=%d",
            len(feeds),
            summary.fetched,
            summary.unchanged,
            summary.failed,
            summary.new_items,
            summary.alerts_queued,
            summary.still_fetching,
        )
        self._metrics.poll_done(summary.fetched + summary.unchanged, summary.new_items)
        return summary

    async def wait_for_fetches(self) -> None:
        """Wait until the fetches still running from earlier polls have ended."""
        while self._fetching:
            await asyncio.wait(list(self._fetching.values()))

    async def close(self) -> None:
        """Stop the fetches still running from earlier polls (at shutdown)."""
        tasks = list(self._fetching.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _start(self, feed: Feed) -> asyncio.Task[FeedOutcome]:
        task = asyncio.create_task(self._poll_bounded(feed), name=f"poll-feed-{feed.id}")
        self._fetching[feed.id] = task
        task.add_done_callback(functools.partial(self._forget, feed.id))
        return task

    def _forget(self, feed_id: int, task: asyncio.Task[FeedOutcome]) -> None:
        if self._fetching.get(feed_id) is task:
            del self._fetching[feed_id]

    async def _outcomes(self, tasks: list[asyncio.Task[FeedOutcome]]) -> list[FeedOutcome]:
        """The outcomes of the feeds done within one poll interval; the others carry on."""
        if not tasks:
            return []
        done, late = await asyncio.wait(tasks, timeout=self._config.poll_seconds)
        for task in late:
            task.add_done_callback(_log_late_failure)
        return [task.result() for task in tasks if task in done]

    async def _poll_bounded(self, feed: Feed) -> FeedOutcome:
        async with self._unread:
            async with self._limit:
                fetched = await self._fetch(feed)
            # The fetch slot is free again: parsing and storing never hold up another fetch.
            return await self._ingest(feed, fetched)

    async def poll_feed(self, feed: Feed) -> FeedOutcome:
        """Fetch, parse and store one feed; a failure is recorded on the feed, not raised."""
        return await self._ingest(feed, await self._fetch(feed))

    async def _fetch(self, feed: Feed) -> FetchedFeed | FeedOutcome:
        """The feed's new document, or the outcome when there is none (304, failure)."""
        try:
            fetched = await fetch_feed(
                self._client,
                feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                max_bytes=self._config.max_feed_bytes,
                total_timeout=self._config.fetch_timeout * 2,
            )
            if fetched.not_modified:
                await self._storage.record_feed_success(
                    feed.id, feed.etag, feed.last_modified, self._clock()
                )
                return FeedOutcome(PollOutcome.UNCHANGED)
        except FetchError as error:
            await self._record_failure(feed, error.reason)
            return FeedOutcome(PollOutcome.FAILED)
        return fetched

    async def _ingest(self, feed: Feed, fetched: FetchedFeed | FeedOutcome) -> FeedOutcome:
        """Parse and store a fetched document's new entries, and record the feed's success."""
        if isinstance(fetched, FeedOutcome):
            return fetched
        try:
            entries = await self._new_entries(feed, fetched)
        except FeedParseError as error:
            await self._record_failure(feed, error.reason)
            return FeedOutcome(PollOutcome.FAILED)
        except WorkerLost:
            # Not the feed's fault: nothing is recorded, so it is due again at the next poll.
            log.warning("feed left for the next poll feed=%r: its parser process died", feed.name)
            return FeedOutcome(PollOutcome.FAILED)
        outcome = FeedOutcome(PollOutcome.FETCHED)
        if entries:
            async with self._store_lock:
                outcome = await self._store(feed, entries)
        await self._storage.record_feed_success(
            feed.id, fetched.etag, fetched.last_modified, self._clock()
        )
        return outcome

    async def _new_entries(self, feed: Feed, fetched: FetchedFeed) -> list[ParsedEntry]:
        """The document's entries, parsing only those the feed may not have stored yet.

        feedparser costs the same for one new entry as for fifty: a quick scan finds the
        entries already stored and feedparser sees only the rest (nothing, when all are known).
        """
        if not feed.initialised:  # its first document: nothing of it is stored yet
            return await self._parse(ParseScope.WHOLE, fetched.body, fetched.headers)
        scan = await asyncio.to_thread(scan_feed, fetched.body, fetched.headers)
        known = set()
        if scan is not None:
            known = await self._storage.known_identities(feed.id, scan.identities())
        if scan is None or not known:
            return await self._parse(ParseScope.WHOLE, fetched.body, fetched.headers)
        document = scan.without(known)
        if document is None:
            self._metrics.feed_parsed(ParseScope.NONE)
            return []
        return await self._parse(ParseScope.NEW_ENTRIES, document, scan.headers)

    async def _parse(
        self, scope: ParseScope, body: bytes, headers: dict[str, str]
    ) -> list[ParsedEntry]:
        """Parse a document in a worker, counting how much of the fetched one it is."""
        self._metrics.feed_parsed(scope)
        return await self._workers.parse(body, headers)

    async def _clean_all(self, entries: list[ParsedEntry]) -> list[CleanText]:
        """(title, body, summary) of each entry as plain text, cleaned in a worker."""
        try:
            return await self._workers.clean(entries)
        except WorkerLost:
            # The pool is replaced; cleaning here keeps the items of a document already read.
            return await asyncio.to_thread(clean_entries, entries)

    async def _record_failure(self, feed: Feed, reason: str) -> None:
        delay = min(
            self._config.poll_seconds * 2 ** (feed.consecutive_failures + 1),
            max(MAX_BACKOFF_SECONDS, self._config.poll_seconds),
        )
        now = self._clock()
        await self._storage.record_feed_failure(feed.id, reason, now, now + delay)
        self._metrics.feed_failed(feed.name)
        log.warning(
            "feed failed feed=%r url=%s failures=%d retry_in=%ds reason=%s",
            feed.name,
            feed.url,
            feed.consecutive_failures + 1,
            delay,
            reason,
        )

    async def _store(self, feed: Feed, entries: list[ParsedEntry]) -> FeedOutcome:
        known = await self._storage.known_identities(feed.id, [e.identity for e in entries])
        now = self._clock()
        fresh = [entry for entry in entries if entry.identity not in known]
        # Cleaning HTML is the costly step: keep it off the event loop so chats stay responsive.
        texts = await self._clean_all(fresh)
        items = [
            self._prepare(feed, entry, cleaned, now)
            for entry, cleaned in zip(fresh, texts, strict=True)
        ]
        stored = await self._storage.store_items(feed.id, items, now, wib_at(now).hour)
        titles = {item.identity: item.title for item in items}
        for identity, story_id in stored.stories:
            self._stories.remember(story_id, titles[identity], now)
        if stored.alerts_queued:
            self._on_alerts_queued()
        return FeedOutcome(PollOutcome.FETCHED, stored.new_items, stored.alerts_queued)

    def _prepare(
        self, feed: Feed, entry: ParsedEntry, cleaned: tuple[str, str, str], now: float
    ) -> NewItem:
        title, body, summary = cleaned
        published = entry.published_at
        if published is not None and published > now + 3600:
            published = None  # a date in the future says nothing about when it was published
        story_id = self._stories.find_story(title, now)
        alerts: dict[int, tuple[str, ...]] = {}
        if self._should_alert(feed, published, now):
            alerts = self._topics.chats_for(prepare_document(title, body), feed.region)
        return NewItem(
            identity=entry.identity,
            title=title,
            summary=summary,
            body=body[:MAX_BODY_CHARS],
            link=entry.link,
            published_at=published,
            story_id=story_id,
            alerts=tuple(alerts.items()),
        )

    @staticmethod
    def _should_alert(feed: Feed, published: float | None, now: float) -> bool:
        # A feed's first fetch is its back catalogue, and old entries are not news.
        if not feed.initialised:
            return False
        return published is None or published >= now - STORY_WINDOW_SECONDS


def _log_late_failure(task: asyncio.Task[FeedOutcome]) -> None:
    # Nobody awaits a feed that outlived its poll: its unexpected failure is reported here.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("feed poll failed after its poll ended: %s", task.get_name(), exc_info=error)
