"""Article pages off the polling path: a teaser-only feed's new items are stored at once, and
their pages fetched here, in a queue of their own (bounded overall and per site by the
ArticleFetcher, each page within its budget), while the poller goes on with other feeds.

Each item waits in the database (a pending article) until its page's text is had or its budget
ends; then it is matched, on the article or on its teaser, and its alerts queued in the same
transaction that takes it off the list. A poller that dies leaves its items there: once due,
any poller matches them on their teaser (`sweep`), and none is alerted twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from bot.feeds.articles import ArticleFailure, ArticleFetcher
from storage import DATABASE_ERRORS, StorageClosedError
from storage.models import PendingArticle

log = logging.getLogger(__name__)

# What to do with an item once its page is had (the text) or not (None, and why not).
Match = Callable[[PendingArticle, str | None, str | None], Awaitable[object]]
# Our own database failing: the item stays pending for a sweep.
_DATABASE_GONE: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError)


class PageQueue:
    """Fetches the pages of pending articles, each within its budget, and hands each on."""

    def __init__(self, fetcher: ArticleFetcher, match: Match) -> None:
        self._fetcher = fetcher
        self._match = match
        self._waiting: dict[int, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def waiting_for(self, item_id: int) -> bool:
        """Whether this queue is fetching the item's page."""
        return item_id in self._waiting

    def add(self, pending: PendingArticle) -> None:
        """Fetch an item's page in the background and match the item when done."""
        if pending.item_id in self._waiting:
            return
        task = asyncio.create_task(self._fetch(pending), name=f"article-{pending.item_id}")
        self._waiting[pending.item_id] = task
        task.add_done_callback(functools.partial(self._done, pending.item_id))

    async def wait_until_empty(self) -> None:
        """Wait until every page in the queue has been had or given up, and its item matched."""
        while self._waiting:
            await asyncio.wait(list(self._waiting.values()))

    async def close(self) -> None:
        """Stop fetching: the items stay pending in the database, for a sweep to match."""
        tasks = list(self._waiting.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _done(self, item_id: int, task: asyncio.Task[None]) -> None:
        self._waiting.pop(item_id, None)
        # Nobody awaits the page's task: its unexpected failure is reported here (the item
        # stays pending, for a sweep to match on its teaser).
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("pending article failed item=%d", item_id, exc_info=error)

    async def _fetch(self, pending: PendingArticle) -> None:
        outcome = await self._fetcher.within_budget(pending.link)
        try:
            if isinstance(outcome, ArticleFailure):
                await self._match(pending, None, f"{pending.link}: {outcome.reason}")
            else:
                await self._match(pending, outcome, None)
        except _DATABASE_GONE as error:
            # The item stays pending: a sweep matches it on its teaser once it is due.
            log.warning("pending article not matched item=%d: %s", pending.item_id, error)
