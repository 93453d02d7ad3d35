"""Article pages off the polling path: a teaser-only feed's new items are stored at once, and
their pages fetched here, in a queue of their own (bounded overall and per site by the
ArticleFetcher, each page within its budget), while the poller goes on with other feeds.

Each item waits in the database (a pending article) until its page's text is had or its budget
ends; then it is matched, on the article or on its teaser, and its alerts queued in the same
transaction that takes it off the list. The items whose pages ended while a match was being
stored are matched together, in one transaction: the database sees a write per batch of pages,
not one per page, and feeds' stores wait behind none of them for long. A poller that dies
leaves its items there: once due, any poller matches them on their teaser
(`FeedPoller.match_overdue_articles`), and none is alerted twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.feeds.articles import ArticleFailure, ArticleFetcher
from storage import DATABASE_ERRORS, StorageClosedError
from storage.models import PendingArticle

log = logging.getLogger(__name__)

# A page's outcome: the item, its article's text (None: not had) and why not.
PageOutcome = tuple[PendingArticle, str | None, str | None]
# What to do with items once their pages are had or given up.
Match = Callable[[Sequence[PageOutcome]], Awaitable[object]]
# Our own database failing: the items stay pending for a sweep.
_DATABASE_GONE: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError)


class PageQueue:
    """Fetches the pages of pending articles, each within its budget, and hands them on."""

    def __init__(self, fetcher: ArticleFetcher, match: Match) -> None:
        self._fetcher = fetcher
        self._match = match
        self._fetching: dict[int, asyncio.Task[None]] = {}
        self._ended: dict[int, PageOutcome] = {}  # pages had or given up, not yet matched
        self._matching: asyncio.Task[None] | None = None
        self._in_match: set[int] = set()

    def __len__(self) -> int:
        return len(self._fetching) + len(self._ended) + len(self._in_match)

    def waiting_for(self, item_id: int) -> bool:
        """Whether this queue is fetching the item's page or matching the item."""
        return item_id in self._fetching or item_id in self._ended or item_id in self._in_match

    def add(self, pending: PendingArticle) -> None:
        """Fetch an item's page in the background and match the item when done."""
        if self.waiting_for(pending.item_id):
            return
        task = asyncio.create_task(self._fetch(pending), name=f"article-{pending.item_id}")
        self._fetching[pending.item_id] = task
        task.add_done_callback(functools.partial(self._fetched, pending.item_id))

    async def wait_until_empty(self) -> None:
        """Wait until every page in the queue has been had or given up, and its item matched."""
        while self._fetching or self._matching is not None:
            await asyncio.wait([*self._fetching.values(), *filter(None, [self._matching])])

    async def close(self) -> None:
        """Stop fetching and matching: the items stay pending in the database, for a sweep."""
        tasks = [*self._fetching.values(), *filter(None, [self._matching])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _fetch(self, pending: PendingArticle) -> None:
        outcome = await self._fetcher.within_budget(pending.link)
        if isinstance(outcome, ArticleFailure):
            self._ended[pending.item_id] = (pending, None, f"{pending.link}: {outcome.reason}")
        else:
            self._ended[pending.item_id] = (pending, outcome, None)
        if self._matching is None:
            self._matching = asyncio.create_task(self._match_ended(), name="article-matches")
            self._matching.add_done_callback(self._matched)

    async def _match_ended(self) -> None:
        """Match the items whose pages ended, those that end meanwhile in the next batch."""
        while self._ended:
            batch = list(self._ended.values())
            self._in_match = set(self._ended)
            self._ended.clear()
            try:
                await self._match(batch)
            except _DATABASE_GONE as error:
                # The items stay pending: a sweep matches them on their teaser once due.
                log.warning("pending articles not matched items=%d: %s", len(batch), error)
            finally:
                self._in_match = set()

    def _fetched(self, item_id: int, task: asyncio.Task[None]) -> None:
        self._fetching.pop(item_id, None)
        _log_failure(task)

    def _matched(self, task: asyncio.Task[None]) -> None:
        self._matching = None
        _log_failure(task)
        if self._ended and not task.cancelled():  # ended while the last batch was stored
            self._matching = asyncio.create_task(self._match_ended(), name="article-matches")
            self._matching.add_done_callback(self._matched)


def _log_failure(task: asyncio.Task[None]) -> None:
    # Nobody awaits these tasks: an unexpected failure is reported here (the items stay
    # pending, for a sweep to match on their teaser).
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("pending articles failed: %s", task.get_name(), exc_info=error)
