"""Queries about the delivery outbox."""

from __future__ import annotations

import sqlite3

from storage.database import Database
from storage.items import ITEM_COLUMNS, item_from_row
from storage.models import OutboxEntry

# Each chat's oldest pending message: only it may be sent, so a chat's messages keep their order.
# Alerts held for a digest wait outside this line; their digest takes their place in it.
_OUTBOX_HEADS = (
    "JOIN (SELECT min(id) AS first_id FROM deliveries WHERE status = 'pending' AND held = 0 "
    "GROUP BY chat_id) head ON head.first_id = d.id"
)


class OutboxQueries(Database):
    """Messages waiting to be sent, and what became of them."""

    async def pending_outbox(self, now: float, limit: int) -> list[OutboxEntry]:
        """The oldest pending message of each active chat, if due by now; alerts first."""
        rows = await self._all(
            "SELECT d.id, d.chat_id, c.type, d.attempts, d.topics, d.broadcast_id, b.text_html, "
            "c.language, c.link_previews, c.silent, d.digest_id, "
            f"{ITEM_COLUMNS} FROM deliveries d JOIN chats c ON c.id = d.chat_id "
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
        row = await self._one(
            "SELECT count(*) FROM deliveries WHERE status = 'pending' AND held = 0"
        )
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


def _outbox_entry(row: sqlite3.Row) -> OutboxEntry:
    has_item = row["item_id"] is not None
    return OutboxEntry(
        id=row[0],
        chat_id=row[1],
        chat_type=row[2],
        attempts=row[3],
        item=item_from_row(row) if has_item else None,
        topics=tuple(line for line in row[4].split("\n") if line),
        broadcast_id=row[5],
        broadcast_html=row[6],
        language=row[7],
        link_previews=bool(row[8]),
        silent=bool(row[9]),
        digest_id=row[10],
    )
