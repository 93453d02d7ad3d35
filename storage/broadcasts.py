"""Queries about operators' broadcasts."""

from __future__ import annotations

from storage.database import Database, sum_or_zero
from storage.models import BroadcastJob, BroadcastReport, BroadcastStatus

# Deliveries finished this recently tell how fast a broadcast goes now.
RECENT_SECONDS = 20.0
_JOB_COLUMNS = (
    "id, admin_chat_id, text_html, status, progress_message_id, started_at, summarised_at"
)


class BroadcastQueries(Database):
    """Announcements to every active chat, one outbox row per recipient."""

    async def broadcast_recipients(self, broadcast_id: int) -> int:
        """How many chats a broadcast was queued for."""
        row = await self._one(
            "SELECT count(*) AS total FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)
        )
        return int(row["total"]) if row else 0

    async def unreported_finished_broadcast(self, broadcast_id: int) -> BroadcastReport | None:
        """The counts of a broadcast with nothing left pending, claimed once for reporting.

        The claim is one UPDATE: of senders in any number of processes finishing the broadcast
        at the same moment, exactly one gets the report.
        """
        if await self._one(
            "SELECT 1 FROM deliveries WHERE broadcast_id = ? AND status = 'pending' LIMIT 1",
            (broadcast_id,),
        ):
            return None
        async with self._write() as db:
            claimed = await db.fetch_one(
                "UPDATE broadcasts SET reported_at = created_at WHERE id = ? "
                "AND reported_at IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries d "
                "WHERE d.broadcast_id = broadcasts.id AND d.status = 'pending') "
                "RETURNING admin_chat_id",
                (broadcast_id,),
            )
            if claimed is None:
                return None
            counts = await db.fetch_one(
                "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, "
                "count(*) FILTER (WHERE status IN ('failed', 'dropped')) AS failed "
                "FROM deliveries WHERE broadcast_id = ?",
                (broadcast_id,),
            )
        return BroadcastReport(
            broadcast_id,
            claimed["admin_chat_id"],
            sum_or_zero(counts, "sent"),
            sum_or_zero(counts, "failed"),
            0,
        )

    async def audience_size(self) -> int:
        """How many chats a broadcast sent now would reach."""
        row = await self._one("SELECT count(*) AS total FROM chats WHERE active = 1")
        return int(row["total"]) if row else 0

    async def draft_broadcast(self, admin_chat_id: int, text_html: str, now: float) -> int:
        """Store a broadcast to preview; nothing is queued until start_broadcast."""
        async with self._write() as db:
            row = await db.fetch_one(
                "INSERT INTO broadcasts (admin_chat_id, text_html, created_at, status) "
                "VALUES (?, ?, ?, 'draft') RETURNING id",
                (admin_chat_id, text_html, now),
            )
        assert row is not None
        return int(row["id"])

    async def start_broadcast(
        self, broadcast_id: int, progress_message_id: int, now: float
    ) -> int | None:
        """Queue a draft for every active chat; its recipient count, or None if not a draft."""
        async with self._write() as db:
            started = await db.execute(
                "UPDATE broadcasts SET status = 'sending', started_at = ?, "
                "progress_message_id = ? WHERE id = ? AND status = 'draft'",
                (now, progress_message_id, broadcast_id),
            )
            if started == 0:
                return None
            queued = await db.execute(
                "INSERT INTO deliveries (chat_id, broadcast_id, created_at) "
                "SELECT id, ?, ? FROM chats WHERE active = 1",
                (broadcast_id, now),
            )
            return queued

    async def discard_broadcast(self, broadcast_id: int) -> bool:
        """Drop a draft that was never sent; False if it is not a draft."""
        async with self._write() as db:
            changed = await db.execute(
                "UPDATE broadcasts SET status = 'discarded' WHERE id = ? AND status = 'draft'",
                (broadcast_id,),
            )
            return changed > 0

    async def sending_broadcasts(self) -> list[int]:
        """Broadcasts that still have messages waiting, oldest first."""
        rows = await self._all(
            "SELECT b.id AS id FROM broadcasts b WHERE b.status = 'sending' AND EXISTS "
            "(SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id AND d.status = 'pending') "
            "ORDER BY b.id"
        )
        return [int(row["id"]) for row in rows]

    async def cancel_broadcast(self, broadcast_id: int, now: float) -> int | None:
        """Stop a broadcast: waiting rows are dropped as cancelled; None if none waited.

        Messages the sender has claimed are on their way to Telegram: they finish as sent or
        failed, and are all that can still go out once this returns.
        """
        async with self._write() as db:
            # Claiming the report here keeps the sender from calling a stopped broadcast done.
            stopped = await db.execute(
                "UPDATE broadcasts SET status = 'cancelled', reported_at = ? "
                "WHERE id = ? AND status = 'sending' AND EXISTS (SELECT 1 FROM deliveries d "
                "WHERE d.broadcast_id = broadcasts.id AND d.status = 'pending')",
                (now, broadcast_id),
            )
            if stopped == 0:
                return None
            dropped = await db.execute(
                "UPDATE deliveries SET status = 'dropped', last_error = 'cancelled', "
                "finished_at = ? WHERE broadcast_id = ? AND status = 'pending' "
                "AND claim IS NULL",
                (now, broadcast_id),
            )
            return dropped

    async def followed_broadcasts(self) -> list[int]:
        """Started broadcasts whose progress message has not become a summary yet."""
        rows = await self._all(
            "SELECT id FROM broadcasts WHERE status IN ('sending', 'cancelled') "
            "AND progress_message_id IS NOT NULL AND summarised_at IS NULL ORDER BY id"
        )
        return [int(row["id"]) for row in rows]

    async def broadcast_job(self, broadcast_id: int, now: float) -> BroadcastJob | None:
        """A broadcast with its delivery counts and the reasons of what was not delivered."""
        row = await self._one(
            f"SELECT {_JOB_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        if row is None:
            return None
        counts = await self._one(
            "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, "
            "count(*) FILTER (WHERE status IN ('failed', 'dropped')) AS failed, "
            "count(*) FILTER (WHERE status = 'pending') AS pending, "
            "count(*) FILTER (WHERE status != 'pending' AND finished_at >= ?) AS recent "
            "FROM deliveries WHERE broadcast_id = ?",
            (now - RECENT_SECONDS, broadcast_id),
        )
        failures = await self._all(
            "SELECT coalesce(last_error, '') AS reason, count(*) AS total FROM deliveries "
            "WHERE broadcast_id = ? AND status IN ('failed', 'dropped') "
            "GROUP BY reason ORDER BY total DESC",
            (broadcast_id,),
        )
        return BroadcastJob(
            id=row["id"],
            admin_chat_id=row["admin_chat_id"],
            text_html=row["text_html"],
            status=BroadcastStatus(row["status"]),
            progress_message_id=row["progress_message_id"],
            started_at=row["started_at"],
            summarised=row["summarised_at"] is not None,
            sent=sum_or_zero(counts, "sent"),
            failed=sum_or_zero(counts, "failed"),
            pending=sum_or_zero(counts, "pending"),
            recently_done=sum_or_zero(counts, "recent"),
            failures=tuple((str(f["reason"]), int(f["total"])) for f in failures),
        )

    async def claim_broadcast_summary(self, broadcast_id: int, now: float) -> bool:
        """Whether this caller turns the progress into the summary (only the first one does)."""
        async with self._write() as db:
            changed = await db.execute(
                "UPDATE broadcasts SET summarised_at = ? WHERE id = ? AND summarised_at IS NULL",
                (now, broadcast_id),
            )
            return changed > 0
