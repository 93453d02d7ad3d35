"""Queries about digests: alerts held for one message, and the outbox row that sends them."""

from __future__ import annotations

from storage.chats import CHAT_COLUMNS, chat_from_row
from storage.database import Database
from storage.items import ITEM_COLUMNS, item_from_row
from storage.models import Chat, Item


class DigestQueries(Database):
    """Held alerts become one digest per chat, sent through the outbox like any message."""

    async def chats_with_held_alerts(self) -> list[tuple[Chat, float]]:
        """Active chats, not paused, with alerts waiting for a digest, and the oldest's time.

        A paused chat's held alerts are kept for the digest after it resumes.
        """
        columns = ", ".join(f"c.{name} AS {name}" for name in CHAT_COLUMNS.split(", "))
        rows = await self._all(
            f"SELECT {columns}, min(d.created_at) AS oldest FROM chats c JOIN deliveries d "
            "ON d.chat_id = c.id WHERE c.active = 1 AND c.paused = 0 AND d.held = 1 "
            "AND d.digest_id IS NULL "
            "AND d.status = 'pending' GROUP BY c.id"
        )
        return [(chat_from_row(row), float(row["oldest"])) for row in rows]

    async def create_digest(self, chat_id: int, now: float) -> int | None:
        """Gather a chat's held alerts into a digest queued for sending; None if none wait."""
        async with self._write() as db:
            created = await db.fetch_one(
                "INSERT INTO digests (chat_id, created_at) VALUES (?, ?) RETURNING id",
                (chat_id, now),
            )
            assert created is not None
            digest_id = int(created["id"])
            claimed = await db.execute(
                "UPDATE deliveries SET digest_id = ? WHERE chat_id = ? AND held = 1 "
                "AND digest_id IS NULL AND status = 'pending'",
                (digest_id, chat_id),
            )
            if claimed == 0:
                await db.execute("DELETE FROM digests WHERE id = ?", (digest_id,))
                return None
            await db.execute(
                "INSERT INTO deliveries (chat_id, digest_id, created_at) VALUES (?, ?, ?)",
                (chat_id, digest_id, now),
            )
            await db.execute("UPDATE chats SET last_digest_at = ? WHERE id = ?", (now, chat_id))
        return digest_id

    async def last_digest_at(self, chat_id: int) -> float | None:
        """When the chat's last digest was made."""
        row = await self._one("SELECT last_digest_at FROM chats WHERE id = ?", (chat_id,))
        return float(row["last_digest_at"]) if row and row["last_digest_at"] is not None else None

    async def digest_items(self, digest_id: int) -> list[tuple[int, Item, tuple[str, ...]]]:
        """The alerts of a digest not sent yet, oldest first: (delivery id, item, topics)."""
        rows = await self._all(
            f"SELECT d.id AS delivery_id, {ITEM_COLUMNS}, d.topics FROM deliveries d "
            "JOIN items i ON i.id = d.item_id JOIN feeds f ON f.id = i.feed_id "
            "WHERE d.digest_id = ? AND d.held = 1 AND d.status = 'pending' ORDER BY d.id",
            (digest_id,),
        )
        return [
            (
                int(row["delivery_id"]),
                item_from_row(row),
                tuple(t for t in row["topics"].split("\n") if t),
            )
            for row in rows
        ]
