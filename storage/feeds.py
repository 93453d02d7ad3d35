"""Queries about feeds: configuration, HTTP cache and error state."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import aiosqlite

from storage.database import Database
from storage.models import Feed, FeedAdded, FeedSeed, FeedStatus

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

    async def add_feed(
        self, seed: FeedSeed, added_by: int | None, now: float, *, refresh: bool = False
    ) -> FeedAdded:
        """Add a feed, or bring back a removed one; `refresh` renames one already there."""
        async with self._write() as db:
            return await _upsert_feed(db, seed, added_by, now, refresh=refresh)

    async def import_feeds(self, seeds: Iterable[FeedSeed], now: float) -> list[FeedAdded]:
        """Add or refresh many feeds in one transaction (an OPML import)."""
        async with self._write() as db:
            return [await _upsert_feed(db, seed, None, now, refresh=True) for seed in seeds]

    async def remove_feed(self, feed_id: int, now: float) -> str | None:
        """Stop polling a feed (its items stay); its name, or None if it was not enabled."""
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE feeds SET enabled = 0, removed_at = ? WHERE id = ? AND enabled = 1 "
                "RETURNING name",
                (now, feed_id),
            )
            row = await cursor.fetchone()
            await cursor.close()
        return str(row[0]) if row else None

    async def feed_statuses(self, now: float) -> list[FeedStatus]:
        """Every enabled feed with its health and the items it published in the last day."""
        rows = await self._all(
            "SELECT f.id, f.url, f.name, f.region, f.enabled, f.last_success_at, f.last_error, "
            "f.consecutive_failures, (SELECT count(*) FROM items i WHERE i.feed_id = f.id "
            "AND coalesce(i.published_at, i.fetched_at) >= ?) FROM feeds f WHERE f.enabled = 1 "
            "ORDER BY f.region = '', f.region COLLATE NOCASE, f.name COLLATE NOCASE, f.id",
            (now - 24 * 3600,),
        )
        return [
            FeedStatus(
                id=row[0],
                url=row[1],
                name=row[2],
                region=row[3],
                enabled=bool(row[4]),
                last_success_at=row[5],
                last_error=row[6],
                consecutive_failures=row[7],
                items_24h=row[8],
            )
            for row in rows
        ]


async def _upsert_feed(
    db: aiosqlite.Connection, seed: FeedSeed, added_by: int | None, now: float, *, refresh: bool
) -> FeedAdded:
    cursor = await db.execute("SELECT id, enabled FROM feeds WHERE url = ?", (seed.url,))
    row = await cursor.fetchone()
    await cursor.close()
    if row is None:
        inserted = await db.execute(
            "INSERT INTO feeds (url, name, region, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
            (seed.url, seed.name, seed.region, added_by, now),
        )
        assert inserted.lastrowid is not None
        return FeedAdded(inserted.lastrowid, "added")
    if row[1] and not refresh:
        return FeedAdded(row[0], "exists")
    await db.execute(
        "UPDATE feeds SET name = ?, region = ?, enabled = 1, removed_at = NULL, "
        "next_fetch_at = NULL WHERE id = ?",
        (seed.name, seed.region, row[0]),
    )
    return FeedAdded(row[0], "exists" if row[1] else "restored")


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
