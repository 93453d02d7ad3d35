"""Search stored items: full-text candidates, confirmed by the same matcher as alerts.

A search may cost a reader a moment, never anybody else: the query and the confirmation run in
worker threads (the query on a connection of its own), at most `CONCURRENT_SEARCHES` at a time
bot-wide and one per chat (in the order asked), and each stops when its time budget is spent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from bot.matching import TopicQuery, parse_topic, prepare_document
from bot.matching.fts import candidate_query
from storage import Storage
from storage.items import SearchStoppedError
from storage.models import Item

log = logging.getLogger(__name__)

# Candidates checked per round, newest first: most searches are done after the first round,
# and fetching an item costs more than finding it. At most 400 are checked in all.
ROUNDS = (20, 80, 300)
# A coarser query lets through more items that the matcher refuses: looking at ten times as
# many candidates finds what the exact query would have found.
COARSE_ROUNDS = (*ROUNDS, 600, 1000, 2000)
BUDGET_SECONDS = 2.0
# Two searches use at most the machine's two cores' worth of worker threads; the rest wait.
CONCURRENT_SEARCHES = 2
# A reader who taps /latest again and again has it answered in turn; beyond these (the one
# running included) the bot says the earlier ones are still running, instead of queueing work.
MAX_IN_LINE_PER_CHAT = 3


class SearchBusyError(Exception):
    """The chat already has as many searches in line as it may."""


@dataclass(slots=True)
class _Lane:
    """One chat's searches: the one running and those waiting behind it."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    in_line: int = 0


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The items found, newest first; `complete` is False when the time budget ran out."""

    items: list[Item] = field(default_factory=list)
    complete: bool = True


class NewsSearch:
    """Finds the newest stored items that topics match."""

    def __init__(
        self,
        storage: Storage,
        *,
        budget: float = BUDGET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._storage = storage
        self._budget = budget
        self._clock = clock
        self._turns = asyncio.Semaphore(CONCURRENT_SEARCHES)
        self._lanes: dict[int, _Lane] = {}

    async def latest(
        self, queries: Sequence[TopicQuery], limit: int = 5, *, chat_id: int | None = None
    ) -> SearchResult:
        """The newest items that any of the queries matches, found within the time budget.

        A chat's searches take turns; SearchBusyError when it has too many in line already.
        """
        async with self._chat_turn(chat_id), self._turns:
            deadline = self._clock() + self._budget
            result = await self._search(queries, limit, lambda: self._clock() < deadline)
        if not result.complete:
            log.info(
                "search stopped at its time budget topics=%d found=%d",
                len(queries),
                len(result.items),
            )
        return result

    @contextlib.asynccontextmanager
    async def _chat_turn(self, chat_id: int | None) -> AsyncIterator[None]:
        """A chat's searches one at a time, in the order asked, and only a few in line."""
        if chat_id is None:
            yield
            return
        lane = self._lanes.setdefault(chat_id, _Lane())
        if lane.in_line >= MAX_IN_LINE_PER_CHAT:
            raise SearchBusyError(chat_id)
        lane.in_line += 1
        try:
            async with lane.turn:
                yield
        finally:
            lane.in_line -= 1
            if not lane.in_line:
                del self._lanes[chat_id]

    async def _search(
        self, queries: Sequence[TopicQuery], limit: int, keep_going: Callable[[], bool]
    ) -> SearchResult:
        candidates_query = candidate_query(queries)
        if candidates_query is None:
            return SearchResult()
        rounds = ROUNDS if candidates_query.exact else COARSE_ROUNDS
        found: list[Item] = []
        before_id: int | None = None
        for size in rounds:
            try:
                candidates = await self._storage.search_items(
                    candidates_query.expression, size, before_id=before_id, keep_going=keep_going
                )
            except SearchStoppedError:
                return SearchResult(found, complete=False)
            wanted = limit - len(found)
            confirmed, finished = await asyncio.to_thread(
                _confirm, candidates, queries, wanted, keep_going
            )
            found.extend(confirmed)
            if not finished:
                return SearchResult(found, complete=False)
            if len(found) == limit or len(candidates) < size:
                break
            before_id = candidates[-1][0].id
        return SearchResult(found)


async def and_instead(search: NewsSearch, query: TopicQuery, chat_id: int) -> str | None:
    """The topic's AND form when, as a phrase, it finds no stored item but the AND does.

    A reader who writes "banjir Serang" usually means both words, not the phrase; the answer
    is None when that is not the case or the chat is searching already.
    """
    alternative = query.as_and()
    if alternative is None:
        return None
    try:
        if (await search.latest([query], 1, chat_id=chat_id)).items:
            return None
        found = await search.latest([parse_topic(alternative)], 1, chat_id=chat_id)
    except SearchBusyError:
        return None
    return alternative if found.items else None


def _confirm(
    candidates: list[tuple[Item, str]],
    queries: Sequence[TopicQuery],
    wanted: int,
    keep_going: Callable[[], bool],
) -> tuple[list[Item], bool]:
    """Up to `wanted` candidates the matcher confirms, and False if time ran out first."""
    confirmed: list[Item] = []
    for item, body in candidates:
        if not keep_going():
            return confirmed, False
        document = prepare_document(item.title, body, item.region)
        if any(query.matches(document) for query in queries):
            confirmed.append(item)
            if len(confirmed) == wanted:
                break
    return confirmed, True
