"""Poll every due feed: fetch → parse → clean → store, matching and queueing alerts on the way.

Any number of pollers, in any number of processes, share the feeds: a poll claims the due feeds
it fetches in the database, a few at a time as it has room for them, so each feed is fetched by
one poller per interval and the pollers share the work by how fast each gets through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import httpx

from bot.config import Config
from bot.feeds.articles import (
    ARTICLE_BUDGET_SECONDS,
    ArticleExtraction,
    ArticleFetcher,
    feed_text_length,
    is_web_link,
    wants_articles,
)
from bot.feeds.extraction import ExtractionInThread
from bot.feeds.fetch import FetchedFeed, FetchError, fetch_feed
from bot.feeds.parse import FeedParseError, ParsedEntry
from bot.feeds.pending import PageOutcome, PageQueue
from bot.feeds.prescan import scan_feed
from bot.feeds.schedule import (
    RATE_ITEMS,
    RATE_WINDOW_SECONDS,
    Bounds,
    Interval,
    Reason,
    failure_interval,
    feed_ttl_seconds,
    jitter,
    publishing_interval,
    pushed_interval,
    retry_after_seconds,
    success_interval,
)
from bot.feeds.sites import SiteSlots
from bot.feeds.stories import STORY_WINDOW_SECONDS, StoryMatcher
from bot.feeds.workers import (
    CleanText,
    FeedWorkers,
    InThreads,
    ParserDied,
    WorkerLost,
    clean_entries,
)
from bot.matching import prepare_document
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS
from bot.ops.metrics import Metrics, ParseScope
from bot.places.follow import (
    covering_names,
    names_by_place,
    names_saying_where,
    places_of_item,
    word_names_by_place,
)
from bot.places.gazetteer import Gazetteer
from bot.topics.registry import TopicRegistry
from bot.wib import hours_at
from storage import DATABASE_ERRORS, Storage, StorageClosedError
from storage.models import Feed, FullTextMode, NewItem, PageWait, PendingItem, PendingMatch

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 4000
# The poll job looks for due feeds this often (each feed has its own next poll time), and a
# look waits this long at most for the feeds it started; slower ones carry on in the background.
LOOK_SECONDS = 5.0
# A poller holds at most this many feeds per fetch slot (being fetched, parsed or stored): it
# claims more as it finishes them, so a busy poller leaves the rest to the others.
FEEDS_IN_HAND_PER_SLOT = 4
# A claim outlives the fetch's own time limit by this long, for parsing and storing; a claim
# whose process died is free at once (heartbeats), whatever its lease.
CLAIM_MARGIN_SECONDS = 120.0
# Of an unforeseen error's message, this much is kept as the feed's error.
UNEXPECTED_DETAIL_CHARS = 200
# Failures of our own database, not of the feed: never recorded as the feed's error.
_NOT_THE_FEEDS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError)
# Pending articles past their budget matched on their teaser per look, at most.
SWEEP_BATCH = 100
# Entries matched between two turns of the event loop.
PREPARE_BATCH = 16
# A hub pushes the few entries it has news of: a pushed document with more new entries than
# this is not stored, and its feed's own document is polled instead (the poller's own bounds).
MAX_PUSHED_ENTRIES = 100


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
    LEFT = "left"  # not asked: its site stayed busy with other pollers' requests


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where a new entry happens (its "where" by code), and the names that say it: for topics
    limited to a place (`named`) and for words that are also places' names (`words`)."""

    places: dict[str, str]
    named: dict[str, tuple[str, ...]]
    words: frozenset[str]


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What polling one feed did."""

    status: PollOutcome
    new_items: int = 0
    alerts_queued: int = 0
    # The failure is recorded on the feed, which backs off: it is not to be polled at once.
    backed_off: bool = False


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
        owner: int = 0,
        workers: FeedWorkers | None = None,
        extraction: ArticleExtraction | None = None,
        on_fetched: Callable[[Feed, FetchedFeed], Awaitable[None]] | None = None,
        gazetteer: Gazetteer | None = None,
        article_budget: float = ARTICLE_BUDGET_SECONDS,
    ) -> None:
        """owner is this process's id (its heartbeat's): the claims it takes are in its name;
        on_fetched sees each new document (WebSub looks for a hub in it); with a gazetteer,
        each new item is located and its places stored and matched against place followers;
        a new item of a teaser-only feed waits article_budget seconds at most for its page."""
        self._gazetteer = gazetteer
        self._place_names = names_by_place(gazetteer) if gazetteer is not None else {}
        self._word_names = word_names_by_place(gazetteer) if gazetteer is not None else {}
        self._on_fetched = on_fetched
        self._storage = storage
        self._owner = owner
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
        # Article pages: extraction processes in `warta run`, a thread of its own when none.
        self._own_extraction: ExtractionInThread | None = None
        if extraction is None:
            extraction = self._own_extraction = ExtractionInThread()
        self._article_budget = article_budget
        self._articles = ArticleFetcher(client, extraction, budget=article_budget)
        # Pages are fetched apart from polling: a feed's items are stored without waiting.
        self._pages = PageQueue(self._articles, self._match_pending)
        # Feeds are fetched concurrently but their new entries prepared (cleaned, located,
        # matched) one feed at a time.
        self._prepare_lock = asyncio.Lock()
        self._in_hand = config.fetch_concurrency * FEEDS_IN_HAND_PER_SLOT
        self._fetching: dict[int, asyncio.Task[FeedOutcome]] = {}
        # Feeds whose site slot is taken and whose request is under way (not waiting for a slot).
        self._asking: set[int] = set()
        self._claimed_at: dict[int, float] = {}  # feed id → when this poller claimed it
        # At most 2 requests at a time to one site, from every poller together; a fetch waits
        # for its site's turn before it takes a fetch place.
        self._sites = SiteSlots(
            storage,
            owner,
            clock,
            lease_seconds=config.fetch_timeout * 2 + CLAIM_MARGIN_SECONDS,
            wait_seconds=config.fetch_timeout * 2,
        )
        self._bounds = Bounds(config.poll_seconds, config.longest_poll)
        self._looking: asyncio.Task[None] | None = None
        self._look_again = False

    def look(self) -> None:
        """Poll the due feeds in the background, unless a poll is under way (then once more
        after it): the poll job's tick, and the wake-up when a feed is added."""
        if self._looking is not None and not self._looking.done():
            self._look_again = True
            return
        self._looking = asyncio.create_task(self._look(), name="poll-look")
        self._looking.add_done_callback(_log_look_failure)

    async def _look(self) -> None:
        # A wake-up during the poll may be for a feed added after the claim: look once more.
        self._look_again = True
        while self._look_again:
            self._look_again = False
            try:
                await self.match_overdue_articles()
                due = await self._storage.next_due_at()
                if due is not None and due <= self._clock():
                    await self.poll_once(wait=LOOK_SECONDS)
            except DATABASE_ERRORS as error:
                log.warning("poll look failed: %s", error)

    async def match_overdue_articles(self) -> int:
        """Match on their teaser the pending articles past their budget that no living poller
        is fetching (this one's lost, or a dead poller's); how many alerts that queued."""
        now = self._clock()
        due = await self._storage.due_pending_articles(
            now, self._owner or None, now - PROCESS_TIMEOUT_SECONDS, SWEEP_BATCH
        )
        lost = [(p, None, None) for p in due if not self._pages.waiting_for(p.item_id)]
        return await self._match_pending(lost) if lost else 0

    async def wait_for_articles(self) -> None:
        """Wait until every article page being fetched has been had or given up, and its item
        matched."""
        await self._pages.wait_until_empty()

    async def wait_for_look(self) -> None:
        """Wait until the background poll (and any asked for during it) has ended."""
        while self._looking is not None and not self._looking.done():
            await asyncio.wait([self._looking])

    async def load_recent_stories(self) -> None:
        """Remember the titles of recent items so restarts keep one alert per story."""
        await self._storage.catch_up_stories(self._stories, self._clock())

    async def poll_once(self, wait: float | None = None) -> PollSummary:
        """Claim and poll the due feeds concurrently (bounded) and summarise.

        A poll waits for its feeds `wait` seconds at most (one poll interval when not given),
        and a feed still being fetched is left out of the next poll: a slow server never holds
        up the other feeds' news.
        """
        wait = self._config.poll_seconds if wait is None else wait
        deadline = asyncio.get_running_loop().time() + wait
        tasks = await self._claim_and_start(deadline)
        outcomes = await self._outcomes(tasks, deadline)
        summary = PollSummary(
            fetched=sum(o.status == PollOutcome.FETCHED for o in outcomes),
            unchanged=sum(o.status == PollOutcome.UNCHANGED for o in outcomes),
            failed=sum(o.status == PollOutcome.FAILED for o in outcomes),
            new_items=sum(o.new_items for o in outcomes),
            alerts_queued=sum(o.alerts_queued for o in outcomes),
            still_fetching=len(tasks) - len(outcomes),
        )
        log.info(
            "poll done feeds=%d fetched=%d unchanged=%d failed=%d new_items=%d alerts_queued=%d "
            "still_fetching=%d",
            len(tasks),
            summary.fetched,
            summary.unchanged,
            summary.failed,
            summary.new_items,
            summary.alerts_queued,
            summary.still_fetching,
        )
        # A feed left for its busy site, or still waiting for a slot there, was not asked: a
        # poller whose sites other pollers keep busy is working, as one whose feeds they took is.
        asked = summary.fetched + summary.unchanged + summary.failed + self._still_asking(tasks)
        self._metrics.poll_done(summary.fetched + summary.unchanged, summary.new_items, asked)
        return summary

    def _still_asking(self, tasks: list[asyncio.Task[FeedOutcome]]) -> int:
        """How many of a poll's unfinished feeds have their request under way."""
        late = {task for task in tasks if not task.done()}
        return sum(
            task in late for feed_id, task in self._fetching.items() if feed_id in self._asking
        )

    async def wait_for_fetches(self) -> None:
        """Wait until the fetches still running from earlier polls have ended."""
        while self._fetching:
            await asyncio.wait(list(self._fetching.values()))

    async def close(self) -> None:
        """Stop the fetches still running from earlier polls and give their feeds back."""
        self._look_again = False
        if self._looking is not None:
            self._looking.cancel()
            await asyncio.gather(self._looking, return_exceptions=True)
        tasks = list(self._fetching.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._pages.close()
        if self._owner:
            # A database already closed or gone: the process's stop (or its silence) frees them.
            with contextlib.suppress(*DATABASE_ERRORS, StorageClosedError):
                await self._storage.release_feed_claims(self._owner)
        if self._own_extraction is not None:
            self._own_extraction.close()

    async def _claim_and_start(self, deadline: float) -> list[asyncio.Task[FeedOutcome]]:
        """Claim due feeds as there is room for them, and start each; until none is left due."""
        round_at = self._clock()
        tasks: list[asyncio.Task[FeedOutcome]] = []
        while True:
            room = self._in_hand - len(self._fetching)
            if room <= 0:
                if not await self._feed_done(deadline):
                    return tasks
                continue
            feeds = await self._claim(room)
            # A feed claimed again while this poller still works on it (its lease passed) is
            # left to the fetch already running.
            tasks += [self._start(f, round_at) for f in feeds if f.id not in self._fetching]
            if len(feeds) < room:
                return tasks

    async def _claim(self, limit: int) -> list[Feed]:
        now = self._clock()
        lease = self._config.fetch_timeout * 2 + CLAIM_MARGIN_SECONDS
        return await self._storage.claim_feeds(
            self._owner, now, limit, now + lease, now - PROCESS_TIMEOUT_SECONDS
        )

    async def _feed_done(self, deadline: float) -> bool:
        """Wait until one of the feeds in hand is done; False when the poll's time is up first."""
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        done, _ = await asyncio.wait(
            list(self._fetching.values()), timeout=remaining, return_when=asyncio.FIRST_COMPLETED
        )
        return bool(done)

    def _start(self, feed: Feed, claimed_at: float) -> asyncio.Task[FeedOutcome]:
        task = asyncio.create_task(self._poll_bounded(feed), name=f"poll-feed-{feed.id}")
        self._fetching[feed.id] = task
        self._claimed_at[feed.id] = claimed_at
        task.add_done_callback(functools.partial(self._forget, feed.id))
        return task

    def _forget(self, feed_id: int, task: asyncio.Task[FeedOutcome]) -> None:
        if self._fetching.get(feed_id) is task:
            del self._fetching[feed_id]
            self._claimed_at.pop(feed_id, None)

    async def _outcomes(
        self, tasks: list[asyncio.Task[FeedOutcome]], deadline: float
    ) -> list[FeedOutcome]:
        """The outcomes of the feeds done within one poll interval; the others carry on."""
        if not tasks:
            return []
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        done, late = await asyncio.wait(tasks, timeout=remaining)
        for task in late:
            task.add_done_callback(_log_late_failure)
        return [task.result() for task in tasks if task in done]

    async def _poll_bounded(self, feed: Feed) -> FeedOutcome:
        try:
            async with self._unread:
                fetched = await self._fetch(feed)
                # The fetch slot is free again: parsing and storing never hold up another fetch.
                return await self._ingest(feed, fetched)
        except _NOT_THE_FEEDS:
            raise  # not the feed's doing: the poll's look reports it
        except Exception as error:  # noqa: BLE001 - see _record_unexpected
            return await self._record_unexpected(feed, error)

    async def poll_feed(self, feed: Feed) -> FeedOutcome:
        """Fetch, parse and store one feed; a failure is recorded on the feed, not raised."""
        try:
            return await self._ingest(feed, await self._fetch(feed))
        except _NOT_THE_FEEDS:
            raise
        except Exception as error:  # noqa: BLE001 - see _record_unexpected
            return await self._record_unexpected(feed, error)

    async def _record_unexpected(self, feed: Feed, error: Exception) -> FeedOutcome:
        """A failure nobody foresaw, in what a feed sent or in our handling of it: recorded as
        the feed's error, so the feed is given back and backs off instead of staying claimed
        with nothing to show, and the other feeds go on."""
        log.error("feed poll failed unexpectedly feed=%r", feed.name, exc_info=error)
        detail = " ".join(str(error).split())[:UNEXPECTED_DETAIL_CHARS]
        reason = f"unexpected error: {type(error).__name__}" + (f": {detail}" if detail else "")
        await self._record_failure(feed, reason)
        return FeedOutcome(PollOutcome.FAILED)

    async def _fetch(self, feed: Feed) -> FetchedFeed | FeedOutcome:
        """The feed's new document, or the outcome when there is none (304, failure, its site
        busy too long)."""
        try:
            fetched = await self._fetch_in_turn(feed)
            if fetched is None:
                return await self._leave(feed)
            if fetched.not_modified:
                await self._record_success(feed, feed.etag, feed.last_modified, fetched)
                return FeedOutcome(PollOutcome.UNCHANGED)
        except FetchError as error:
            await self._record_failure(feed, error.reason, error.retry_after)
            return FeedOutcome(PollOutcome.FAILED)
        return fetched

    async def _fetch_in_turn(self, feed: Feed) -> FetchedFeed | None:
        """The feed's response, asked in one of its site's slots and a fetch place; None when
        no slot of the site came free in time."""
        async with self._sites.slot(feed.url, self._limit) as turn:
            if not turn:
                return None
            self._asking.add(feed.id)
            try:
                return await fetch_feed(
                    self._client,
                    feed.url,
                    etag=feed.etag,
                    last_modified=feed.last_modified,
                    max_bytes=self._config.max_feed_bytes,
                    total_timeout=self._config.fetch_timeout * 2,
                )
            finally:
                self._asking.discard(feed.id)

    async def _leave(self, feed: Feed) -> FeedOutcome:
        """Give the feed back unfetched and still due, for the next poll: its site stayed busy."""
        log.info("feed left for the next poll feed=%r: its site is busy", feed.name)
        if self._owner:
            await self._storage.release_feed_claim(feed.id, self._owner)
        return FeedOutcome(PollOutcome.LEFT)

    async def _ingest(self, feed: Feed, fetched: FetchedFeed | FeedOutcome) -> FeedOutcome:
        """Parse and store a fetched document's new entries, and record the feed's success."""
        if isinstance(fetched, FeedOutcome):
            return fetched
        if self._on_fetched is not None:
            await self._on_fetched(feed, fetched)
        try:
            outcome = await self._store_new(feed, await self._new_entries(feed, fetched))
        except FeedParseError as error:  # ParserDied too: the document killed its parser
            await self._record_failure(feed, error.reason)
            return FeedOutcome(PollOutcome.FAILED)
        except WorkerLost:
            # The parser processes are closing, or were stopped with the service (the bot
            # stops): not the feed's doing, so nothing is recorded, and the feed is given back
            # still due, for the next poll (here or in another poller).
            log.warning("feed left for the next poll feed=%r: its parser process ended", feed.name)
            if self._owner:
                await self._storage.release_feed_claim(feed.id, self._owner)
            return FeedOutcome(PollOutcome.FAILED)
        await self._record_success(feed, fetched.etag, fetched.last_modified, fetched)
        return outcome

    async def _store_new(self, feed: Feed, entries: list[ParsedEntry]) -> FeedOutcome:
        """Store the new entries (cleaning them in a worker); a teaser-only feed's are matched
        later, when their article pages are had or given up (see _match_pending)."""
        if not entries:
            return FeedOutcome(PollOutcome.FETCHED)
        awaiting = await self._awaiting_pages(feed, entries)
        # Prepared one feed at a time (the CPU's caches stay warm), stored outside the lock: the
        # next feed is prepared while this one's store waits for the database.
        async with self._prepare_lock:
            items, now = await self._prepare_new(feed, entries, awaiting)
        return await self._store(feed, items, now)

    async def ingest_pushed(self, feed: Feed, body: bytes, headers: dict[str, str]) -> FeedOutcome:
        """A document a WebSub hub pushed: parsed, cleaned, stored and matched as a fetched one.

        The feed's cache validators and schedule stay as its last poll left them, unless the
        document killed its parser: that is the feed's error, and the feed backs off. FAILED:
        the document was not stored (unreadable, its parser process died, or far more new
        entries than a push carries); database errors raise.
        """
        try:
            entries = await self._new_entries(
                feed, FetchedFeed(False, body, headers, None, None, feed.url)
            )
            if len(entries) > MAX_PUSHED_ENTRIES and await self._too_many_new(feed, entries):
                log.warning("pushed document not stored feed=%r: %d new entries, more than a "
                            "push carries", feed.name, len(entries))  # fmt: skip
                return FeedOutcome(PollOutcome.FAILED)
            outcome = await self._store_new(feed, entries)
        except ParserDied as error:
            # Polling instead would read it again (the feed's own document is, as a rule, the
            # one pushed) and kill again, as would every push of it: the feed backs off.
            await self._record_failure(feed, error.reason)
            return FeedOutcome(PollOutcome.FAILED, backed_off=True)
        except FeedParseError as error:
            log.warning("pushed document unreadable feed=%r: %s", feed.name, error.reason)
            return FeedOutcome(PollOutcome.FAILED)
        except WorkerLost:
            log.warning("pushed document not read feed=%r: its parser process ended", feed.name)
            return FeedOutcome(PollOutcome.FAILED)
        if entries:
            log.info("push stored feed=%r new_items=%d alerts_queued=%d", feed.name,
                     outcome.new_items, outcome.alerts_queued)  # fmt: skip
        return outcome

    async def _too_many_new(self, feed: Feed, entries: list[ParsedEntry]) -> bool:
        """Whether more than MAX_PUSHED_ENTRIES of the entries are not stored yet."""
        known = await self._storage.known_identities(feed.id, [e.identity for e in entries])
        return len(entries) - len(known) > MAX_PUSHED_ENTRIES

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

    async def _record_success(
        self, feed: Feed, etag: str | None, last_modified: str | None, fetched: FetchedFeed
    ) -> None:
        """Record a good fetch and give the feed back, due again its interval after its poll
        (from its publishing rate and what the site asks for)."""
        now = self._clock()
        interval = await self._interval_after_success(feed, fetched, now)
        claimed_at = self._claimed_at.get(feed.id)
        next_fetch_at = None
        if claimed_at is not None:  # polled by the poll job, not on its own
            next_fetch_at = claimed_at + interval.seconds + jitter(feed.id, interval, self._bounds)
        await self._storage.record_feed_success(
            feed.id,
            etag,
            last_modified,
            now,
            next_fetch_at=next_fetch_at,
            owner=self._owner or None,
            interval=(interval.seconds, interval.reason.value),
        )

    async def _interval_after_success(
        self, feed: Feed, fetched: FetchedFeed, now: float
    ) -> Interval:
        lease_left = None if self._bounds.fixed else await self._lease_left(feed, now)
        if lease_left is not None:
            return pushed_interval(self._bounds, lease_left)
        times: list[float] = []
        if not self._bounds.fixed:
            times = await self._storage.recent_item_times(
                feed.id, now - RATE_WINDOW_SECONDS, RATE_ITEMS
            )
        by_rate = publishing_interval(self._bounds, times, now)
        ttl = feed_ttl_seconds(fetched.body)
        if fetched.not_modified and feed.poll_reason == Reason.TTL:
            ttl = feed.poll_interval  # a 304 has no body: the ttl is the one it had
        return success_interval(self._bounds, by_rate, fetched.headers, ttl, now)

    async def _lease_left(self, feed: Feed, now: float) -> float | None:
        """How long the feed's WebSub hub still pushes its new items to us (None: it does not;
        a lease that ended unrenewed is no push, whatever its status says)."""
        subscription = await self._storage.push_subscription(feed.id)
        if subscription is None or not subscription.pushing(now):
            return None
        assert subscription.lease_until is not None  # pushing says so
        return subscription.lease_until - now

    async def _record_failure(
        self, feed: Feed, reason: str, retry_after: str | None = None
    ) -> None:
        now = self._clock()
        interval = failure_interval(
            self._bounds, feed.consecutive_failures + 1, retry_after_seconds(retry_after, now)
        )
        delay = interval.seconds
        await self._storage.record_feed_failure(
            feed.id,
            reason,
            now,
            now + delay,
            owner=self._owner or None,
            reason=interval.reason.value,
        )
        self._metrics.feed_failed(feed.name)
        log.warning(
            "feed failed feed=%r url=%s failures=%d retry_in=%ds reason=%s",
            feed.name,
            feed.url,
            feed.consecutive_failures + 1,
            delay,
            reason,
        )

    async def _awaiting_pages(self, feed: Feed, entries: list[ParsedEntry]) -> set[str]:
        """The new entries of a teaser-only feed whose alerts wait for their article page."""
        settings = await self._storage.article_settings(feed.id)
        if settings.mode is FullTextMode.NEVER:
            return set()
        known = await self._storage.known_identities(feed.id, [e.identity for e in entries])
        fresh = [entry for entry in entries if entry.identity not in known]
        lengths = [feed_text_length(entry) for entry in fresh]
        if settings.mode is FullTextMode.AUTO:
            await self._storage.record_text_lengths(feed.id, lengths)
        # The back catalogue is never alerted: it tells what the feed sends, but no page is had.
        if not feed.initialised or not fresh:
            return set()
        if not wants_articles(settings.mode, [*settings.text_lengths, *lengths]):
            return set()
        # Only the items that may alert are worth a page (not entries days old).
        now = self._clock()
        return {
            e.identity
            for e in fresh
            if self._should_alert(feed, e.published_at, now) and is_web_link(e.link)
        }

    async def _match_pending(self, outcomes: Sequence[PageOutcome]) -> int:
        """Match pending articles' items on their article (or their teaser, when the page was
        not had) and queue their alerts, unless another poller did already; the alerts
        queued."""
        items = await self._storage.pending_items([pending.item_id for pending, _, _ in outcomes])
        found = [
            (item, article or "", failure)
            for pending, article, failure in outcomes
            if (item := items.get(pending.item_id)) is not None  # else matched already
        ]
        failures: dict[int, list[str]] = {}
        for item, _, failure in found:
            if failure is not None:
                failures.setdefault(item.feed_id, []).append(failure)
        matches = []
        for start in range(0, len(found), PREPARE_BATCH):
            batch = found[start : start + PREPARE_BATCH]
            # As in _store: the batch is located before any of it is matched.
            placed = [self._placed(i.region, i.title, i.teaser, article) for i, article, _ in batch]
            for (item, article, _), where in zip(batch, placed, strict=True):
                alerts = self._alerts(
                    item.feed_id, item.region, item.title, item.teaser, article, where
                )
                body = f"{article}\n{item.teaser}"[:MAX_BODY_CHARS] if article else None
                matches.append(
                    PendingMatch(
                        item.item_id, item.story_id, item.title, body,
                        tuple(where.places), tuple(alerts.items()),
                    )
                )  # fmt: skip
            await asyncio.sleep(0)  # as in _store: chats and feeds go on between the batches
        if failures:
            await self._count_article_failures(failures, items)
        if not matches:
            return 0
        now = self._clock()
        queued = await self._storage.match_pending_articles(matches, now, hours_at(now))
        if queued:
            self._on_alerts_queued()
        return queued

    async def _count_article_failures(
        self, failures: dict[int, list[str]], items: dict[int, PendingItem]
    ) -> None:
        """Count on their feeds the pages not had (their items were matched on their teaser)."""
        await self._storage.record_article_failures(
            [(feed_id, len(reasons), reasons[-1]) for feed_id, reasons in failures.items()],
            self._clock(),
        )
        names = {item.feed_id: item.feed_name for item in items.values()}
        for feed_id, reasons in failures.items():
            self._metrics.articles_failed(names[feed_id], len(reasons))
            log.warning("article pages failed feed=%r count=%d last=%s", names[feed_id],
                        len(reasons), reasons[-1])  # fmt: skip

    async def _prepare_new(
        self, feed: Feed, entries: list[ParsedEntry], awaiting: set[str]
    ) -> tuple[list[NewItem], float]:
        """The entries the feed has not stored yet, cleaned, located and matched; and when."""
        known = await self._storage.known_identities(feed.id, [e.identity for e in entries])
        now = self._clock()
        fresh = [entry for entry in entries if entry.identity not in known]
        # Cleaning HTML is the costly step: keep it off the event loop so chats stay responsive.
        texts = await self._clean_all(fresh)
        items: list[NewItem] = []
        for start in range(0, len(fresh), PREPARE_BATCH):
            batch = list(
                zip(
                    fresh[start : start + PREPARE_BATCH],
                    texts[start : start + PREPARE_BATCH],
                    strict=True,
                )
            )
            # The batch is located before any of it is matched: matching against every topic
            # leaves the locator's code and tables cold, which costs more than locating does.
            # An item waiting for its page is located and matched once, when the page is had.
            placed = [
                None if entry.identity in awaiting else self._placed(feed.region, title, teaser)
                for entry, (title, teaser, _) in batch
            ]
            items.extend(
                self._prepare(feed, entry, cleaned, where, now)
                for (entry, cleaned), where in zip(batch, placed, strict=True)
            )
            if len(batch) == PREPARE_BATCH:
                # Matching takes about a millisecond an entry: a document of thousands would hold
                # the event loop (chats, other feeds) for seconds without these breaks.
                await asyncio.sleep(0)
        return items, now

    async def _store(self, feed: Feed, items: list[NewItem], now: float) -> FeedOutcome:
        """Store prepared items, queueing their alerts; story ids are found inside the store,
        which first shows the matcher what others stored."""
        if not items:
            return FeedOutcome(PollOutcome.FETCHED)  # every entry stored already: no turn taken
        pages = PageWait(now + self._article_budget, self._owner or None)
        stored = await self._storage.store_items(
            feed.id, items, now, hours_at(now), stories=self._stories, pages=pages
        )
        self._metrics.store_turn(stored.turn_seconds, stored.turn_wait_seconds)
        for pending in stored.pending:
            self._pages.add(pending)
        for identity, why in stored.unsearchable:
            log.warning("item stored without search words feed=%r item=%r: %s", feed.name,
                        identity, why)  # fmt: skip
        for identity, why in stored.refused:
            log.warning("item refused by the database feed=%r item=%r: %s", feed.name,
                        identity, why)  # fmt: skip
        if stored.alerts_queued:
            self._on_alerts_queued()
        return FeedOutcome(PollOutcome.FETCHED, stored.new_items, stored.alerts_queued)

    def _placed(self, region: str, title: str, teaser: str, article: str = "") -> _Placed:
        """Where an item happens, with the names of its places that topics may say."""
        if self._gazetteer is None:
            return _Placed({}, {}, frozenset())
        places = places_of_item(
            self._gazetteer, region, title=title, teaser=teaser, article=article
        )
        return _Placed(
            places,
            names_saying_where(self._gazetteer, self._place_names, places),
            covering_names(self._word_names, places),
        )

    def _prepare(
        self,
        feed: Feed,
        entry: ParsedEntry,
        cleaned: tuple[str, str, str],
        placed: _Placed | None,
        now: float,
    ) -> NewItem:
        """The item to store, with its alerts (none yet when they wait for its article page)."""
        title, teaser, summary = cleaned
        published = entry.published_at
        if published is not None and published > now + 3600:
            published = None  # a date in the future says nothing about when it was published
        places: dict[str, str] = {}
        alerts: dict[int, tuple[str, ...]] = {}
        if placed is not None:  # else located and matched once, when its page is had or given up
            places = placed.places
            if self._should_alert(feed, published, now):
                alerts = self._alerts(feed.id, feed.region, title, teaser, "", placed)
        return NewItem(
            identity=entry.identity,
            title=title,
            summary=summary,
            body=teaser[:MAX_BODY_CHARS],
            link=entry.link,
            published_at=published,
            alerts=tuple(alerts.items()),
            places=tuple(places),
            awaits_page=entry.link if placed is None else None,
        )

    def _alerts(
        self, feed_id: int, region: str, title: str, teaser: str, article: str, placed: _Placed
    ) -> dict[int, tuple[str, ...]]:
        """Who is alerted to an item that happens where `placed` says; topics see the article
        text too, if there is one."""
        # The article goes first: its dateline's place opens the text, where the matcher reads
        # a dateline. The summary stays the teaser's; the stored body is what /latest searches.
        body = f"{article}\n{teaser}" if article else teaser
        document = prepare_document(title, body, region)
        return self._topics.chats_for(
            document, region, placed.places, placed.named, placed.words, feed_id=feed_id
        )

    @staticmethod
    def _should_alert(feed: Feed, published: float | None, now: float) -> bool:
        # A feed's first fetch is its back catalogue, and old entries are not news.
        if not feed.initialised:
            return False
        return published is None or published >= now - STORY_WINDOW_SECONDS


def _log_look_failure(task: asyncio.Task[None]) -> None:
    # The poll runs in the background: nobody awaits it, so its unexpected failure shows here.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("poll failed", exc_info=error)


def _log_late_failure(task: asyncio.Task[FeedOutcome]) -> None:
    # Nobody awaits a feed that outlived its poll: its unexpected failure is reported here.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("feed poll failed after its poll ended: %s", task.get_name(), exc_info=error)
