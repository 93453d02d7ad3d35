"""Queries about digests: alerts held for one message, and the outbox row that sends them."""

from __future__ import annotations

from storage.chats import CHAT_COLUMNS, chat_from_row
from storage.database import Database
from storage.items import ITEM_COLUMNS, item_from_row
from storage.models import Chat, Item


class DigestQueries(Database):
    """Held alerts become one digest per chat, sent through the outbox like any message."""

    async def chats_with_held_alerts(self) -> list[tuple[Chat, float]]:
        """Active chats with alerts waiting for a digest, and when the oldest was queued."""
        columns = ", ".join(f"c.{name.strip()}" for name in CHAT_COLUMNS.split(","))
        rows = await self._all(
            f"SELECT {columns}, min(d.created_at) FROM chats c JOIN deliveries d "
            "ON d.chat_id = c.id WHERE c.active = 1 AND d.held = 1 AND d.digest_id IS NULL "
            "AND d.status = 'pending' GROUP BY c.id"
        )
        return [(chat_from_row(row), float(row[-1])) for row in rows]

    async def create_digest(self, chat_id: int, now: float) -> int | None:
        """Gather a chat's held alerts into a digest queued for sending; None if none wait."""
        async with self._write() as db:
            cursor = await db.execute(
                "INSERT INTO digests (chat_id, created_at) VALUES (?, ?)", (chat_id, now)
            )
            digest_id = cursor.lastrowid
            claimed = await db.execute(
                "UPDATE deliveries SET digest_id = ? WHERE chat_id = ? AND held = 1 "
                "AND digest_id IS NULL AND status = 'pending'",
                (digest_id, chat_id),
            )
            if claimed.rowcount == 0:
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
        return float(row[0]) if row and row[0] is not None else None

    async def digest_items(self, digest_id: int) -> list[tuple[Item, tuple[str, ...]]]:
        """The items of a digest with the topics that matched each, oldest first."""
        rows = await self._all(
            f"SELECT {ITEM_COLUMNS}, d.topics FROM deliveries d JOIN items i ON i.id = d.item_id "
            "JOIN feeds f ON f.id = i.feed_id WHERE d.digest_id = ? AND d.held = 1 ORDER BY d.id",
            (digest_id,),
        )
        return [
            (item_from_row(row), tuple(t for t in row["topics"].split("\n") if t)) for row in rows
        ]

    async def finish_digest(self, digest_id: int, status: str, now: float) -> None:
        """Close the alerts a digest carried once the digest itself is sent or given up."""
        async with self._write() as db:
            await db.execute(
                "UPDATE deliveries SET status = ?, finished_at = ? "
                "WHERE digest_id = ? AND held = 1 AND status = 'pending'",
                (status, now, digest_id),
            )
