"""Fetch a list of feeds once each, bounded, and say how each one is doing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from bot.feeds.fetch import FetchError, fetch_feed
from bot.feeds.parse import FeedParseError, parse_feed
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
) -> list[FeedCheck]:
    """Check every feed, at most `concurrency` at a time; results in the order given."""
    limit = asyncio.Semaphore(max(concurrency, 1))

    async def bounded(feed: FeedSeed) -> FeedCheck:
        async with limit:
            result = await check_feed(client, feed, max_bytes=max_bytes, timeout=timeout)
        on_done(result)
        return result

    return list(await asyncio.gather(*(bounded(feed) for feed in feeds)))


async def check_feed(
    client: httpx.AsyncClient, feed: FeedSeed, *, max_bytes: int, timeout: float
) -> FeedCheck:
    """Fetch and parse one feed, timing it."""
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
        parsed = await asyncio.to_thread(parse_feed, fetched.body, fetched.headers)
    except (FetchError, FeedParseError) as error:
        return FeedCheck(feed, error.reason, 0, None, time.monotonic() - started)
    dates = [entry.published_at for entry in parsed.entries if entry.published_at is not None]
    return FeedCheck(
        feed, None, len(parsed.entries), max(dates, default=None), time.monotonic() - started
    )
