"""Queries about stored items, and queueing their alerts in the same transaction."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Sequence

import aiosqlite

from storage.database import BUSY_TIMEOUT_MS, Database
from storage.models import Item, NewItem, StoredItems

ITEM_COLUMNS = (
    "i.id AS item_id, i.feed_id AS item_feed_id, i.title AS item_title, "
    "i.summary AS item_summary, i.link AS item_link, i.published_at AS item_published_at, "
    "i.fetched_at AS item_fetched_at, f.name AS feed_name, f.region AS feed_region"
)


_NO_ID_ABOVE = 2**63 - 1  # SQLite's largest rowid
_MATCHING_ITEMS = (
    f"SELECT {ITEM_COLUMNS}, i.body AS body FROM items_fts JOIN items i ON i.id = items_fts.rowid "
    # Ordered by the index's own rowid (= i.id), FTS5 stops after `limit` matches;
    # ordered by i.id, SQLite would sort every match first (seconds at a million items).
    "JOIN feeds f ON f.id = i.feed_id WHERE items_fts MATCH ? AND items_fts.rowid < ? "
    "ORDER BY items_fts.rowid DESC LIMIT ?"
)
_LATEST_ITEMS = (
    f"SELECT {ITEM_COLUMNS}, i.body AS body FROM items i JOIN feeds f ON f.id = i.feed_id "
    "WHERE i.id < ? ORDER BY i.id DESC LIMIT ?"
)


class SearchStoppedError(Exception):
    """A search was stopped before it finished because its caller said so."""


class ItemQueries(Database):
    """Items, their full-text index and the alerts they queue."""

    # SQLite steps between a search's questions whether to go on (a fraction of a millisecond;
    # each question waits for Python's lock, so not much more often).
    search_check_steps = 10_000

    async def known_identities(self, feed_id: int, identities: Sequence[str]) -> set[str]:
        """Which of these entry identities the feed already has stored."""
        known: set[str] = set()
        for start in range(0, len(identities), 500):
            chunk = identities[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._all(
                f"SELECT identity FROM items WHERE feed_id = ? AND identity IN ({marks})",
                (feed_id, *chunk),
            )
            known.update(row["identity"] for row in rows)
        return known

    async def store_items(
        self, feed_id: int, items: Sequence[NewItem], now: float, local_hour: int = 12
    ) -> StoredItems:
        """Store new entries and queue their alerts in the same transaction (the outbox).

        local_hour is the hour in WIB now, for chats' quiet hours.
        """
        stories: list[tuple[str, int]] = []
        alerts = 0
        async with self._write() as db:
            for item in items:
                cursor = await db.execute(
                    "INSERT OR IGNORE INTO items (feed_id, identity, title, summary, body, link, "
                    "published_at, fetched_at, story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        feed_id,
                        item.identity,
                        item.title,
                        item.summary,
                        item.body,
                        item.link,
                        item.published_at,
                        now,
                        item.story_id,
                    ),
                )
                if cursor.rowcount == 0 or cursor.lastrowid is None:
                    continue
                # An item that starts a new story is that story: its id is the story id.
                story_id = item.story_id if item.story_id is not None else cursor.lastrowid
                stories.append((item.identity, story_id))
                alerts += await _queue_alerts(
                    db, cursor.lastrowid, story_id, item.alerts, now, local_hour
                )
        return StoredItems(len(stories), alerts, tuple(stories))

    async def recent_titles(self, since: float) -> list[tuple[int, str, float]]:
        """(story id, title, fetched at) of items fetched since a moment, oldest first."""
        rows = await self._all(
            "SELECT coalesce(story_id, id) AS story_id, title, fetched_at FROM items "
            "WHERE fetched_at >= ? ORDER BY id",
            (since,),
        )
        return [(int(row["story_id"]), row["title"], float(row["fetched_at"])) for row in rows]

    async def latest_items(self, limit: int) -> list[Item]:
        """The most recently stored items."""
        rows = await self._all(
            f"SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
            "ORDER BY i.id DESC LIMIT ?",
            (limit,),
        )
        return [item_from_row(row) for row in rows]

    async def search_items(
        self,
        fts_query: str | None,
        limit: int,
        *,
        before_id: int | None = None,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> list[tuple[Item, str]]:
        """Newest items (older than before_id, if given) whose words satisfy an FTS5 query
        (every item when it is None), with their body for checking.

        Raises SearchStoppedError as soon as keep_going answers False.
        """
        # A connection of its own, in a worker thread: a long search holds up neither the
        # event loop nor the queries of everybody else, and sees only committed items.
        return await asyncio.to_thread(
            self._search_items,
            fts_query,
            limit,
            _NO_ID_ABOVE if before_id is None else before_id,
            keep_going,
        )

    def _search_items(
        self, fts_query: str | None, limit: int, before_id: int, keep_going: Callable[[], bool]
    ) -> list[tuple[Item, str]]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)) as db:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA query_only = 1")
            db.set_progress_handler(lambda: not keep_going(), self.search_check_steps)
            try:
                if fts_query is None:
                    rows = db.execute(_LATEST_ITEMS, (before_id, limit)).fetchall()
                else:
                    rows = db.execute(_MATCHING_ITEMS, (fts_query, before_id, limit)).fetchall()
            except sqlite3.OperationalError as error:
                if "interrupted" in str(error):
                    raise SearchStoppedError from error
                raise
        return [(item_from_row(row), row["body"]) for row in rows]

    async def prune_items(self, before: float) -> int:
        """Delete items fetched before a moment (their finished outbox rows go with them).

        An item whose alert still waits (for its turn, a retry, a digest or a paused chat's
        resume) is kept until the alert is done.
        """
        async with self._write() as db:
            cursor = await db.execute(
                "DELETE FROM items WHERE fetched_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries "
                "d WHERE d.item_id = items.id AND d.status = 'pending')",
                (before,),
            )
            return cursor.rowcount


# Held for a digest instead of sent at once: digest delivery, quiet hours, or a group whose
# pending alerts already fill its share of Telegram's 20 messages a minute.
_HELD = """CASE
    WHEN delivery != 'instant' THEN 1
    WHEN quiet_start IS NOT NULL AND (
        (quiet_start <= quiet_end AND :hour >= quiet_start AND :hour < quiet_end)
        OR (quiet_start > quiet_end AND (:hour >= quiet_start OR :hour < quiet_end))) THEN 1
    WHEN type IN ('group', 'supergroup', 'channel') AND (SELECT count(*) FROM deliveries p
        WHERE p.chat_id = chats.id AND p.status = 'pending' AND p.held = 0) >= :burst THEN 1
    ELSE 0 END"""
GROUP_BURST = 3


async def _queue_alerts(
    db: aiosqlite.Connection,
    item_id: int,
    story_id: int,
    alerts: Sequence[tuple[int, tuple[str, ...]]],
    now: float,
    local_hour: int,
) -> int:
    """Insert one outbox row per chat; a chat that already had this story gets none."""
    queued = 0
    for chat_id, topics in alerts:
        cursor = await db.execute(
            "INSERT OR IGNORE INTO deliveries (chat_id, item_id, story_id, topics, created_at, "
            f"held) SELECT id, :item, :story, :topics, :now, {_HELD} FROM chats "
            "WHERE id = :chat AND active = 1 AND paused = 0",
            {
                "item": item_id,
                "story": story_id,
                "topics": "\n".join(topics),
                "now": now,
                "chat": chat_id,
                "hour": local_hour,
                "burst": GROUP_BURST,
            },
        )
        queued += cursor.rowcount
    return queued


def item_from_row(row: sqlite3.Row) -> Item:
    """An Item from a row selected with ITEM_COLUMNS."""
    return Item(
        id=row["item_id"],
        feed_id=row["item_feed_id"],
        title=row["item_title"],
        summary=row["item_summary"],
        link=row["item_link"],
        published_at=row["item_published_at"],
        fetched_at=row["item_fetched_at"],
        source_name=row["feed_name"],
        region=row["feed_region"],
    )
