"""Queries about feeds: configuration, HTTP cache and error state."""

from __future__ import annotations

from collections.abc import Iterable

from storage.database import Database, Row, Session
from storage.models import Feed, FeedAdded, FeedAddOutcome, FeedSeed, FeedStatus

_FEED_COLUMNS = (
    "id, url, name, region, etag, last_modified, last_success_at, last_error, "
    "consecutive_failures, next_fetch_at, initialised"
)


class FeedQueries(Database):
    """Feeds and how fetching them went."""

    async def sync_feeds(self, seeds: Iterable[FeedSeed]) -> int:
        """Insert configured feeds and refresh their names and regions; return the feed count."""
        async with self._write() as db:
            await db.execute_many(
                "INSERT INTO feeds (url, name, region) VALUES (?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET name = excluded.name, region = excluded.region",
                [(seed.url, seed.name, seed.region) for seed in seeds],
            )
        row = await self._one("SELECT count(*) AS total FROM feeds WHERE enabled = 1")
        return int(row["total"]) if row else 0

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
            row = await db.fetch_one(
                "UPDATE feeds SET enabled = 0, removed_at = ? WHERE id = ? AND enabled = 1 "
                "RETURNING name",
                (now, feed_id),
            )
        return str(row["name"]) if row else None

    async def feed_statuses(self, now: float) -> list[FeedStatus]:
        """Every enabled feed with its health and the items it published in the last day."""
        rows = await self._all(
            "SELECT f.id AS id, f.url AS url, f.name AS name, f.region AS region, "
            "f.enabled AS enabled, f.last_success_at AS last_success_at, "
            "f.last_error AS last_error, f.consecutive_failures AS consecutive_failures, "
            "(SELECT count(*) FROM items i WHERE i.feed_id = f.id "
            "AND coalesce(i.published_at, i.fetched_at) >= ?) AS items_24h "
            "FROM feeds f WHERE f.enabled = 1 "
            "ORDER BY f.region = '', lower(f.region), lower(f.name), f.id",
            (now - 24 * 3600,),
        )
        return [
            FeedStatus(
                id=row["id"],
                url=row["url"],
                name=row["name"],
                region=row["region"],
                enabled=bool(row["enabled"]),
                last_success_at=row["last_success_at"],
                last_error=row["last_error"],
                consecutive_failures=row["consecutive_failures"],
                items_24h=row["items_24h"],
            )
            for row in rows
        ]


async def _upsert_feed(
    db: Session, seed: FeedSeed, added_by: int | None, now: float, *, refresh: bool
) -> FeedAdded:
    row = await db.fetch_one("SELECT id, enabled FROM feeds WHERE url = ?", (seed.url,))
    if row is None:
        inserted = await db.fetch_one(
            "INSERT INTO feeds (url, name, region, added_by, added_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id",
            (seed.url, seed.name, seed.region, added_by, now),
        )
        assert inserted is not None
        return FeedAdded(int(inserted["id"]), FeedAddOutcome.ADDED)
    if row["enabled"] and not refresh:
        return FeedAdded(row["id"], FeedAddOutcome.EXISTS)
    await db.execute(
        "UPDATE feeds SET name = ?, region = ?, enabled = 1, removed_at = NULL, "
        "next_fetch_at = NULL WHERE id = ?",
        (seed.name, seed.region, row["id"]),
    )
    return FeedAdded(
        row["id"], FeedAddOutcome.EXISTS if row["enabled"] else FeedAddOutcome.RESTORED
    )


def _feed(row: Row) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        region=row["region"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_success_at=row["last_success_at"],
        last_error=row["last_error"],
        consecutive_failures=row["consecutive_failures"],
        next_fetch_at=row["next_fetch_at"],
        initialised=bool(row["initialised"]),
    )
