"""Fetch a list of feeds once each, bounded, and say how each one is doing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from bot.feeds.fetch import FetchError, fetch_feed
from bot.feeds.parse import FeedParseError
from bot.feeds.workers import FeedWorkers, InThreads
from storage.models import FeedSeed

DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class FeedCheck:
    """How one feed answered: `problem` is None when it is a readable feed."""

    feed: FeedSeed
    problem: str | None
    items: int
    newest_at: float | None  # publication time of its newest item
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether the feed could be fetched and parsed."""
        return self.problem is None


async def check_feeds(
    client: httpx.AsyncClient,
    feeds: Sequence[FeedSeed],
    *,
    max_bytes: int,
    timeout: float,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[FeedCheck], None] = lambda check: None,
    workers: FeedWorkers | None = None,
) -> list[FeedCheck]:
    """Check every feed, at most `concurrency` at a time; results in the order given. Documents
    are parsed by `workers` (worker processes, as the bot parses them: a document that kills
    its parser is that feed's problem, not the check's end), in threads when none are given."""
    limit = asyncio.Semaphore(max(concurrency, 1))
    parsers = workers if workers is not None else InThreads()

    async def bounded(feed: FeedSeed) -> FeedCheck:
        async with limit:
            result = await check_feed(
                client, feed, max_bytes=max_bytes, timeout=timeout, workers=parsers
            )
        on_done(result)
        return result

    return list(await asyncio.gather(*(bounded(feed) for feed in feeds)))


async def check_feed(
    client: httpx.AsyncClient,
    feed: FeedSeed,
    *,
    max_bytes: int,
    timeout: float,
    workers: FeedWorkers | None = None,
) -> FeedCheck:
    """Fetch and parse one feed (by `workers`, else in a thread), timing it."""
    started = time.monotonic()
    try:
        fetched = await fetch_feed(
            client,
            feed.url,
            etag=None,
            last_modified=None,
            max_bytes=max_bytes,
            total_timeout=timeout,
        )
        parser = workers if workers is not None else InThreads()
        entries = await parser.parse(fetched.body, fetched.headers)
    except (FetchError, FeedParseError) as error:
        return FeedCheck(feed, error.reason, 0, None, time.monotonic() - started)
    dates = [entry.published_at for entry in entries if entry.published_at is not None]
    return FeedCheck(feed, None, len(entries), max(dates, default=None), time.monotonic() - started)
