"""The one class that talks to the database: one method per query."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrate import apply_migrations
from storage.models import (
    BroadcastReport,
    Chat,
    Feed,
    FeedSeed,
    Item,
    NewItem,
    OutboxEntry,
    StoredItems,
    Topic,
)

BUSY_TIMEOUT_MS = 15_000
LOCKED_RETRIES = 8

_ITEM_COLUMNS = (
    "i.id AS item_id, i.feed_id AS item_feed_id, i.title AS item_title, "
    "i.summary AS item_summary, i.link AS item_link, i.published_at AS item_published_at, "
    "i.fetched_at AS item_fetched_at, f.name AS feed_name, f.region AS feed_region"
)
# Each chat's oldest pending message: only it may be sent, so a chat's messages keep their order.
_OUTBOX_HEADS = (
    "JOIN (SELECT min(id) AS first_id FROM deliveries WHERE status = 'pending' "
    "GROUP BY chat_id) head ON head.first_id = d.id"
)
_FEED_COLUMNS = (
    "id, url, name, region, etag, last_modified, last_success_at, last_error, "
    "consecutive_failures, next_fetch_at, initialised"
)


class StorageClosedError(RuntimeError):
    """The storage was used before `open()` or after `close()`."""


class Storage:
    """SQLite storage for chats, topics, feeds, items and the delivery outbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        # Tasks sharing one aiosqlite connection share its transaction: writes take turns.
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the database file, set pragmas and apply migrations."""
        if self._db is not None:
            raise RuntimeError("storage is already open")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await apply_migrations(db)
        self._db = db

    async def close(self) -> None:
        """Close the database; safe to call twice."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StorageClosedError("storage is not open")
        return self._db

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; retried while another process holds the lock."""
        async with self._write_lock:
            db = self.db
            for attempt in range(LOCKED_RETRIES):
                try:
                    await db.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or attempt == LOCKED_RETRIES - 1:
                        raise
                    await asyncio.sleep(0.5 * (attempt + 1))
            try:
                yield db
            except BaseException:
                await db.rollback()
                raise
            await self._commit(db)

    @staticmethod
    async def _commit(db: aiosqlite.Connection) -> None:
        for attempt in range(LOCKED_RETRIES):
            try:
                await db.commit()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == LOCKED_RETRIES - 1:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self.db.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    # -- chats ---------------------------------------------------------------

    async def register_chat(self, chat_id: int, chat_type: str, title: str, now: float) -> bool:
        """Create or re-activate a chat; return True if it was new or inactive."""
        async with self._write() as db:
            before = await (
                await db.execute("SELECT active FROM chats WHERE id = ?", (chat_id,))
            ).fetchone()
            await db.execute(
                "INSERT INTO chats (id, type, title, active, created_at) VALUES (?, ?, ?, 1, ?) "
                "ON CONFLICT (id) DO UPDATE SET type = excluded.type, title = excluded.title, "
                "active = 1, inactive_reason = NULL",
                (chat_id, chat_type, title, now),
            )
        return before is None or not before[0]

    async def get_chat(self, chat_id: int) -> Chat | None:
        """One chat by id."""
        row = await self._one("SELECT id, type, title, active FROM chats WHERE id = ?", (chat_id,))
        return Chat(row[0], row[1], row[2], bool(row[3])) if row else None

    async def deactivate_chat(self, chat_id: int, reason: str, now: float) -> int:
        """Mark a chat inactive and drop its pending alerts; return how many were dropped."""
        async with self._write() as db:
            await db.execute(
                "UPDATE chats SET active = 0, inactive_reason = ? WHERE id = ?", (reason, chat_id)
            )
            cursor = await db.execute(
                "UPDATE deliveries SET status = 'dropped', last_error = ?, finished_at = ? "
                "WHERE chat_id = ? AND status = 'pending'",
                (reason, now, chat_id),
            )
            return cursor.rowcount

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Move a chat (topics and outbox follow by cascade) to its new supergroup id."""
        async with self._write() as db:
            exists = await (
                await db.execute("SELECT 1 FROM chats WHERE id = ?", (new_id,))
            ).fetchone()
            if exists:
                # Both ids known: keep the new chat, bring over what the old one had.
                await db.execute(
                    "UPDATE OR IGNORE topics SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
                )
                await db.execute(
                    "UPDATE OR IGNORE deliveries SET chat_id = ? WHERE chat_id = ?",
                    (new_id, old_id),
                )
                await db.execute("DELETE FROM chats WHERE id = ?", (old_id,))
            else:
                await db.execute(
                    "UPDATE chats SET id = ?, type = 'supergroup' WHERE id = ?", (new_id, old_id)
                )

    async def active_chat_ids(self) -> list[int]:
        """Ids of every chat that still receives messages."""
        return [row[0] for row in await self._all("SELECT id FROM chats WHERE active = 1")]

    # -- topics --------------------------------------------------------------

    async def add_topic(self, chat_id: int, text: str, key: str, now: float) -> Topic | None:
        """Add a topic; None when the chat already follows one with the same key."""
        async with self._write() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO topics (chat_id, text, key, created_at) VALUES (?, ?, ?, ?)",
                (chat_id, text, key, now),
            )
            if cursor.rowcount == 0 or cursor.lastrowid is None:
                return None
            return Topic(cursor.lastrowid, chat_id, text)

    async def remove_topic(self, chat_id: int, topic_id: int) -> Topic | None:
        """Remove one of a chat's topics by id; return it, or None if it was not there."""
        async with self._write() as db:
            cursor = await db.execute(
                "DELETE FROM topics WHERE chat_id = ? AND id = ? RETURNING id, chat_id, text",
                (chat_id, topic_id),
            )
            row = await cursor.fetchone()
            await cursor.close()
        return Topic(row[0], row[1], row[2]) if row else None

    async def find_topic(self, chat_id: int, key: str) -> Topic | None:
        """A chat's topic by canonical key."""
        row = await self._one(
            "SELECT id, chat_id, text FROM topics WHERE chat_id = ? AND key = ?", (chat_id, key)
        )
        return Topic(row[0], row[1], row[2]) if row else None

    async def list_topics(self, chat_id: int) -> list[Topic]:
        """A chat's topics in the order they were added."""
        rows = await self._all(
            "SELECT id, chat_id, text FROM topics WHERE chat_id = ? ORDER BY id", (chat_id,)
        )
        return [Topic(row[0], row[1], row[2]) for row in rows]

    async def active_topics(self) -> list[Topic]:
        """Every topic of every active chat, for the matching index."""
        rows = await self._all(
            "SELECT t.id, t.chat_id, t.text FROM topics t JOIN chats c ON c.id = t.chat_id "
            "WHERE c.active = 1"
        )
        return [Topic(row[0], row[1], row[2]) for row in rows]

    # -- feeds ---------------------------------------------------------------

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

    # -- items and the outbox --------------------------------------------------

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
            known.update(row[0] for row in rows)
        return known

    async def store_items(self, feed_id: int, items: Sequence[NewItem], now: float) -> StoredItems:
        """Store new entries and queue their alerts in the same transaction (the outbox)."""
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
                alerts += await _queue_alerts(db, cursor.lastrowid, story_id, item.alerts, now)
        return StoredItems(len(stories), alerts, tuple(stories))

    async def recent_titles(self, since: float) -> list[tuple[int, str, float]]:
        """(story id, title, fetched at) of items fetched since a moment, oldest first."""
        rows = await self._all(
            "SELECT coalesce(story_id, id), title, fetched_at FROM items WHERE fetched_at >= ? "
            "ORDER BY id",
            (since,),
        )
        return [(int(row[0]), row[1], float(row[2])) for row in rows]

    async def latest_items(self, limit: int) -> list[Item]:
        """The most recently stored items."""
        rows = await self._all(
            f"SELECT {_ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
            "ORDER BY i.id DESC LIMIT ?",
            (limit,),
        )
        return [_item(row) for row in rows]

    async def search_items(self, fts_query: str, limit: int) -> list[tuple[Item, str]]:
        """Newest items whose words satisfy an FTS5 query, with their body for checking."""
        rows = await self._all(
            f"SELECT {_ITEM_COLUMNS}, i.body FROM items_fts JOIN items i ON i.id = items_fts.rowid "
            "JOIN feeds f ON f.id = i.feed_id WHERE items_fts MATCH ? ORDER BY i.id DESC LIMIT ?",
            (fts_query, limit),
        )
        return [(_item(row), row["body"]) for row in rows]

    async def prune_items(self, before: float) -> int:
        """Delete items fetched before a moment (their outbox rows go with them)."""
        async with self._write() as db:
            cursor = await db.execute("DELETE FROM items WHERE fetched_at < ?", (before,))
            return cursor.rowcount

    async def pending_outbox(self, now: float, limit: int) -> list[OutboxEntry]:
        """The oldest pending message of each active chat, if due by now; alerts first."""
        rows = await self._all(
            "SELECT d.id, d.chat_id, c.type, d.attempts, d.topics, d.broadcast_id, b.text_html, "
            f"{_ITEM_COLUMNS} FROM deliveries d JOIN chats c ON c.id = d.chat_id "
            "LEFT JOIN items i ON i.id = d.item_id LEFT JOIN feeds f ON f.id = i.feed_id "
            "LEFT JOIN broadcasts b ON b.id = d.broadcast_id "
            f"{_OUTBOX_HEADS} WHERE c.active = 1 AND d.next_attempt_at <= ? "
            "ORDER BY d.broadcast_id IS NOT NULL, d.id LIMIT ?",
            (now, limit),
        )
        return [_outbox_entry(row) for row in rows]

    async def next_outbox_time(self) -> float | None:
        """When the earliest waiting message becomes due, if any is waiting."""
        row = await self._one(
            "SELECT min(d.next_attempt_at) FROM deliveries d JOIN chats c ON c.id = d.chat_id "
            f"{_OUTBOX_HEADS} WHERE c.active = 1"
        )
        return float(row[0]) if row and row[0] is not None else None

    async def outbox_backlog(self) -> int:
        """How many messages wait to be sent."""
        row = await self._one("SELECT count(*) FROM deliveries WHERE status = 'pending'")
        return int(row[0]) if row else 0

    async def mark_sent(self, delivery_id: int, now: float) -> None:
        """Telegram accepted the message."""
        async with self._write() as db:
            await db.execute(
                "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, "
                "last_error = NULL, finished_at = ? WHERE id = ?",
                (now, delivery_id),
            )

    async def mark_failed(self, delivery_id: int, reason: str, now: float) -> None:
        """Give up on a message, keeping the reason."""
        async with self._write() as db:
            await db.execute(
                "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, "
                "last_error = ?, finished_at = ? WHERE id = ?",
                (reason, now, delivery_id),
            )

    async def schedule_retry(
        self, delivery_id: int, reason: str, retry_at: float, *, count_attempt: bool
    ) -> None:
        """Put a message back in the outbox until a later moment."""
        async with self._write() as db:
            await db.execute(
                "UPDATE deliveries SET attempts = attempts + ?, last_error = ?, "
                "next_attempt_at = ? WHERE id = ?",
                (1 if count_attempt else 0, reason, retry_at, delivery_id),
            )

    async def delivery_counts(self, since: float) -> dict[str, int]:
        """Alerts per final status finished since a moment."""
        rows = await self._all(
            "SELECT status, count(*) FROM deliveries WHERE item_id IS NOT NULL "
            "AND finished_at >= ? GROUP BY status",
            (since,),
        )
        return {row[0]: int(row[1]) for row in rows}

    # -- broadcasts ----------------------------------------------------------

    async def create_broadcast(self, admin_chat_id: int, text_html: str, now: float) -> int:
        """Store a broadcast and queue it for every active chat; return its id."""
        async with self._write() as db:
            cursor = await db.execute(
                "INSERT INTO broadcasts (admin_chat_id, text_html, created_at) VALUES (?, ?, ?)",
                (admin_chat_id, text_html, now),
            )
            broadcast_id = cursor.lastrowid
            await db.execute(
                "INSERT INTO deliveries (chat_id, broadcast_id, created_at) "
                "SELECT id, ?, ? FROM chats WHERE active = 1",
                (broadcast_id, now),
            )
        assert broadcast_id is not None
        return broadcast_id

    async def broadcast_recipients(self, broadcast_id: int) -> int:
        """How many chats a broadcast was queued for."""
        row = await self._one(
            "SELECT count(*) FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)
        )
        return int(row[0]) if row else 0

    async def unreported_finished_broadcast(self, broadcast_id: int) -> BroadcastReport | None:
        """The counts of a broadcast with nothing left pending, claimed once for reporting."""
        if await self._one(
            "SELECT 1 FROM deliveries WHERE broadcast_id = ? AND status = 'pending' LIMIT 1",
            (broadcast_id,),
        ):
            return None
        async with self._write() as db:
            cursor = await db.execute(
                "SELECT b.admin_chat_id, "
                "sum(d.status = 'sent'), sum(d.status IN ('failed', 'dropped')), "
                "sum(d.status = 'pending') FROM broadcasts b "
                "LEFT JOIN deliveries d ON d.broadcast_id = b.id "
                "WHERE b.id = ? AND b.reported_at IS NULL GROUP BY b.id",
                (broadcast_id,),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is None or (row[3] or 0) > 0:
                return None
            await db.execute(
                "UPDATE broadcasts SET reported_at = created_at WHERE id = ?", (broadcast_id,)
            )
        return BroadcastReport(broadcast_id, row[0], row[1] or 0, row[2] or 0, 0)


async def _queue_alerts(
    db: aiosqlite.Connection,
    item_id: int,
    story_id: int,
    alerts: Sequence[tuple[int, tuple[str, ...]]],
    now: float,
) -> int:
    """Insert one outbox row per chat; a chat that already had this story gets none."""
    queued = 0
    for chat_id, topics in alerts:
        cursor = await db.execute(
            "INSERT OR IGNORE INTO deliveries (chat_id, item_id, story_id, topics, created_at) "
            "SELECT id, ?, ?, ?, ? FROM chats WHERE id = ? AND active = 1",
            (item_id, story_id, "\n".join(topics), now, chat_id),
        )
        queued += cursor.rowcount
    return queued


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


def _item(row: sqlite3.Row) -> Item:
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


def _outbox_entry(row: sqlite3.Row) -> OutboxEntry:
    has_item = row["item_id"] is not None
    return OutboxEntry(
        id=row[0],
        chat_id=row[1],
        chat_type=row[2],
        attempts=row[3],
        item=_item(row) if has_item else None,
        topics=tuple(line for line in row[4].split("\n") if line),
        broadcast_id=row[5],
        broadcast_html=row[6],
    )
