"""Queries about operators' broadcasts."""

from __future__ import annotations

from storage.database import Database
from storage.models import BroadcastReport


class BroadcastQueries(Database):
    """Announcements to every active chat, one outbox row per recipient."""

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
