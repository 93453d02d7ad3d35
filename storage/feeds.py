"""Queries about feeds: configuration, HTTP cache and error state."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from storage.database import Database
from storage.models import Feed, FeedSeed

_FEED_COLUMNS = (
    "id, url, name, region, etag, last_modified, last_success_at, last_error, "
    "consecutive_failures, next_fetch_at, initialised"
)


class FeedQueries(Database):
    """Feeds and how fetching them went."""

    async def sync_feeds(self, seeds: Iterable[FeedSeed]) -> int:
        """Insert configured feeds and refresh their names and regions; return the feed count."""
        async with self._write() as db:
            await db.executemany(
                "INSERT INTO feeds (url, name, region) VALUES (?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET name = excluded.name, region = excluded.region",
                [(seed.url, seed.name, seed.region) for seed in seeds],
            )
        row = await self._one("SELECT count(*) FROM feeds WHERE enabled = 1")
        return int(row[0]) if row else 0

    async def due_feeds(self, now: float) -> list[Feed]:
        """Enabled feeds whose back-off, if any, has passed."""
        rows = await self._all(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE enabled = 1 "
            "AND (next_fetch_at IS NULL OR next_fetch_at <= ?) ORDER BY id",
            (now,),
        )
        return [_feed(row) for row in rows]

    async def list_feeds(self) -> list[Feed]:
        """Every enabled feed."""
        rows = await self._all(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE enabled = 1 ORDER BY id")
        return [_feed(row) for row in rows]

    async def record_feed_success(
        self, feed_id: int, etag: str | None, last_modified: str | None, now: float
    ) -> None:
        """Remember the cache validators of a good fetch and clear the error state."""
        async with self._write() as db:
            await db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, initialised = 1, last_fetch_at = ?, "
                "last_success_at = ?, last_error = NULL, consecutive_failures = 0, "
                "next_fetch_at = NULL WHERE id = ?",
                (etag, last_modified, now, now, feed_id),
            )

    async def record_feed_failure(
        self, feed_id: int, error: str, now: float, retry_at: float
    ) -> None:
        """Store a fetch error on the feed and when to try it again."""
        async with self._write() as db:
            await db.execute(
                "UPDATE feeds SET last_fetch_at = ?, last_error = ?, "
                "consecutive_failures = consecutive_failures + 1, next_fetch_at = ? WHERE id = ?",
                (now, error, retry_at, feed_id),
            )


def _feed(row: sqlite3.Row) -> Feed:
    return Feed(
        id=row[0],
        url=row[1],
        name=row[2],
        region=row[3],
        etag=row[4],
        last_modified=row[5],
        last_success_at=row[6],
        last_error=row[7],
        consecutive_failures=row[8],
        next_fetch_at=row[9],
        initialised=bool(row[10]),
    )
