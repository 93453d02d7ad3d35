"""Queries about feeds: configuration, HTTP cache and error state."""

from __future__ import annotations

from collections.abc import Iterable

from storage.database import Database, Row, Session
from storage.models import Feed, FeedAdded, FeedAddOutcome, FeedSeed, FeedStatus

_FEED_COLUMNS = (
    "id, url, name, region, etag, last_modified, last_success_at, last_error, "
    "consecutive_failures, next_fetch_at, initialised, poll_interval, poll_reason"
)

# Held by a process that is alive (beat since :alive, not stopped) and within its lease.
_HELD_BY_THE_LIVING = (
    "claimed_by IS NOT NULL AND claim_until >= :now AND EXISTS (SELECT 1 FROM processes p "
    "WHERE p.id = feeds.claimed_by AND p.stopped_at IS NULL AND p.heartbeat_at >= :alive)"
)
# A fetch's outcome gives back its owner's claim; a claim another poller took since (this one's
# lease had passed) stays with that poller.
_MINE = "(CAST(:owner AS BIGINT) IS NULL OR claimed_by = :owner)"
_GIVE_BACK = (
    f"claimed_by = CASE WHEN {_MINE} THEN NULL ELSE claimed_by END, "
    f"claim_until = CASE WHEN {_MINE} THEN NULL ELSE claim_until END"
)


class FeedQueries(Database):
    """Feeds and how fetching them went."""

    async def sync_feeds(self, seeds: Iterable[FeedSeed]) -> int:
        """Insert configured feeds and refresh their names and regions; return the feed count."""
        async with self._write() as db:
            await db.execute_many(
                "INSERT INTO feeds (url, name, region, full_text) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET name = excluded.name, region = excluded.region, "
                "full_text = excluded.full_text",
                [(seed.url, seed.name, seed.region, seed.full_text.value) for seed in seeds],
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

    async def claim_feeds(
        self, owner: int, now: float, limit: int, lease_until: float, alive_since: float
    ) -> list[Feed]:
        """Claim up to `limit` due feeds for a process to fetch; the feeds it now holds.

        A feed is due when its interval or back-off has passed and nobody holds it: never
        claimed, given back, its lease passed, or its holder dead (no heartbeat since
        alive_since, or stopped). The most overdue feeds go first.
        """
        async with self._write() as db:
            rows = await db.fetch_all(
                "UPDATE feeds SET claimed_by = :owner, claim_until = :until WHERE id IN ("
                "SELECT id FROM feeds WHERE enabled = 1 "
                "AND (next_fetch_at IS NULL OR next_fetch_at <= :now) "
                f"AND NOT ({_HELD_BY_THE_LIVING}) "
                "ORDER BY coalesce(next_fetch_at, 0), id LIMIT :limit"
                f"{self.dialect.for_update_skip_locked('feeds')}) RETURNING {_FEED_COLUMNS}",
                {
                    "owner": owner,
                    "until": lease_until,
                    "now": now,
                    "alive": alive_since,
                    "limit": limit,
                },
            )
        return sorted((_feed(row) for row in rows), key=lambda feed: feed.id)

    async def make_feeds_due(self) -> int:
        """Make every enabled feed due at once, except those backed off after failing (a poll
        on demand); how many were not due yet."""
        async with self._write() as db:
            return await db.execute(
                "UPDATE feeds SET next_fetch_at = NULL WHERE enabled = 1 "
                "AND consecutive_failures = 0 AND next_fetch_at IS NOT NULL"
            )

    async def make_feed_due(self, feed_id: int, now: float) -> bool:
        """Make one enabled feed due at `now` (its back-off too); False when it was already."""
        async with self._write() as db:
            changed = await db.execute(
                "UPDATE feeds SET next_fetch_at = ? WHERE id = ? AND enabled = 1 "
                "AND next_fetch_at > ?",
                (now, feed_id, now),
            )
        return changed > 0

    async def release_feed_claims(self, owner: int) -> int:
        """Give back every feed a process holds (a clean stop); how many it held."""
        async with self._write() as db:
            return await db.execute(
                "UPDATE feeds SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = ?",
                (owner,),
            )

    async def release_feed_claim(self, feed_id: int, owner: int) -> None:
        """Give one feed back unfetched, due as it was (its document could not be read here)."""
        async with self._write() as db:
            await db.execute(
                "UPDATE feeds SET claimed_by = NULL, claim_until = NULL "
                "WHERE id = ? AND claimed_by = ?",
                (feed_id, owner),
            )

    async def list_feeds(self) -> list[Feed]:
        """Every enabled feed."""
        rows = await self._all(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE enabled = 1 ORDER BY id")
        return [_feed(row) for row in rows]

    async def record_feed_success(
        self,
        feed_id: int,
        etag: str | None,
        last_modified: str | None,
        now: float,
        *,
        next_fetch_at: float | None = None,
        owner: int | None = None,
        interval: tuple[float, str] | None = None,
    ) -> None:
        """Remember the cache validators of a good fetch, clear the error state and give the
        feed back (its owner's claim; any claim when owner is None), due at next_fetch_at;
        `interval` is the (seconds, reason) it was chosen."""
        seconds, reason = interval if interval is not None else (None, None)
        async with self._write() as db:
            await db.execute(
                "UPDATE feeds SET etag = :etag, last_modified = :modified, initialised = 1, "
                "last_fetch_at = :now, last_success_at = :now, last_error = NULL, "
                "consecutive_failures = 0, next_fetch_at = :next, poll_interval = :interval, "
                f"poll_reason = :reason, {_GIVE_BACK} WHERE id = :feed",
                {
                    "etag": etag,
                    "modified": last_modified,
                    "now": now,
                    "next": next_fetch_at,
                    "interval": seconds,
                    "reason": reason,
                    "owner": owner,
                    "feed": feed_id,
                },
            )

    async def record_feed_failure(
        self,
        feed_id: int,
        error: str,
        now: float,
        retry_at: float,
        *,
        owner: int | None = None,
        reason: str | None = None,
    ) -> None:
        """Store a fetch error on the feed and when to try it again (and why: backoff,
        Retry-After), and give the feed back."""
        async with self._write() as db:
            await db.execute(
                "UPDATE feeds SET last_fetch_at = :now, last_error = :error, "
                "consecutive_failures = consecutive_failures + 1, next_fetch_at = :retry, "
                "poll_interval = :interval, poll_reason = :reason, "
                f"{_GIVE_BACK} WHERE id = :feed",
                {
                    "now": now,
                    "error": error,
                    "retry": retry_at,
                    "interval": retry_at - now,
                    "reason": reason,
                    "owner": owner,
                    "feed": feed_id,
                },
            )

    async def recent_item_times(self, feed_id: int, since: float, limit: int) -> list[float]:
        """When a feed's newest items (at most `limit`, none before `since`) were published,
        or fetched when they carry no date: its publishing rate."""
        rows = await self._all(
            "SELECT coalesce(published_at, fetched_at) AS at FROM items WHERE feed_id = ? "
            "AND coalesce(published_at, fetched_at) >= ? ORDER BY at DESC LIMIT ?",
            (feed_id, since, limit),
        )
        return [float(row["at"]) for row in rows]

    async def next_due_at(self) -> float | None:
        """When the next enabled feed falls due (None: none is scheduled)."""
        row = await self._one(
            "SELECT min(coalesce(next_fetch_at, 0)) AS due FROM feeds WHERE enabled = 1"
        )
        return None if row is None or row["due"] is None else float(row["due"])

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
            "f.poll_interval AS poll_interval, f.poll_reason AS poll_reason, "
            "f.next_fetch_at AS next_fetch_at, "
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
                poll_interval=row["poll_interval"],
                poll_reason=row["poll_reason"],
                next_fetch_at=row["next_fetch_at"],
            )
            for row in rows
        ]


async def _upsert_feed(
    db: Session, seed: FeedSeed, added_by: int | None, now: float, *, refresh: bool
) -> FeedAdded:
    row = await db.fetch_one("SELECT id, enabled FROM feeds WHERE url = ?", (seed.url,))
    if row is None:
        inserted = await db.fetch_one(
            "INSERT INTO feeds (url, name, region, full_text, added_by, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (seed.url, seed.name, seed.region, seed.full_text.value, added_by, now),
        )
        assert inserted is not None
        return FeedAdded(int(inserted["id"]), FeedAddOutcome.ADDED)
    if row["enabled"] and not refresh:
        return FeedAdded(row["id"], FeedAddOutcome.EXISTS)
    await db.execute(
        "UPDATE feeds SET name = ?, region = ?, full_text = ?, enabled = 1, removed_at = NULL, "
        "next_fetch_at = NULL WHERE id = ?",
        (seed.name, seed.region, seed.full_text.value, row["id"]),
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
        poll_interval=row["poll_interval"],
        poll_reason=row["poll_reason"],
    )
