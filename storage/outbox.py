"""Queries about the delivery outbox."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import INTEGRITY_ERRORS, Database, Row, Session
from storage.items import ITEM_COLUMNS, item_from_row
from storage.models import DeliveryStatus, OutboxEntry, TimeZone

# What may go out now: pending, not held for a digest, and (but for broadcasts) to a chat that is
# not paused. A paused chat's alerts and digests wait, kept, until it resumes.
_SENDABLE = (
    "{d}.status = 'pending' AND {d}.held = 0 AND ({d}.broadcast_id IS NOT NULL "
    "OR {d}.chat_id NOT IN (SELECT id FROM chats WHERE paused = 1))"
)
# Sendable alerts and broadcast messages, each walked in queueing order along its own index
# (migration 0007), so that finding the first few hundred heads costs a few hundred rows, not a
# pass over every waiting message.
_WAITING_ALERTS = "d.status = 'pending' AND d.held = 0 AND d.broadcast_id IS NULL AND c.paused = 0"
_WAITING_BROADCASTS = "d.status = 'pending' AND d.held = 0 AND d.broadcast_id IS NOT NULL"
# d is its chat's head, its oldest sendable message: only it may be sent, so a chat's messages
# keep their order (alerts held for a digest wait outside this line; their digest takes their
# place in it). And no sender is sending to its (active) chat now: a chat's next message is never
# claimed while its previous one is claimed by anybody.
_HEAD_OF_FREE_CHAT = (
    "c.active = 1 AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.chat_id = d.chat_id "
    "AND e.status = 'pending' AND (e.claim IS NOT NULL OR (e.id < d.id AND e.held = 0 "
    "AND (e.broadcast_id IS NOT NULL OR c.paused = 0))))"
)
_ENTRY_COLUMNS = (
    "d.id AS id, d.chat_id AS chat_id, c.type AS chat_type, d.attempts AS attempts, "
    "d.topics AS topics, d.broadcast_id AS broadcast_id, b.text_html AS broadcast_html, "
    "c.language AS language, c.link_previews AS link_previews, c.silent AS silent, "
    "c.time_zone AS time_zone, d.digest_id AS digest_id, d.parts_sent AS parts_sent"
)


class OutboxQueries(Database):
    """Messages waiting to be sent, and what became of them.

    The sender claims a message just before sending it; every later change of its row is made
    only while the row is pending and claimed by that sender (see migrations 0004 and 0007).
    """

    async def pending_outbox(self, now: float, limit: int) -> list[OutboxEntry]:
        """The oldest sendable message of each chat free to send to by now; alerts first."""
        rows: list[Row] = []
        for waiting in (_WAITING_ALERTS, _WAITING_BROADCASTS):
            if len(rows) < limit:
                rows += await self._all(
                    f"SELECT {_ENTRY_COLUMNS}, {ITEM_COLUMNS} FROM deliveries d "
                    "JOIN chats c ON c.id = d.chat_id "
                    "LEFT JOIN items i ON i.id = d.item_id LEFT JOIN feeds f ON f.id = i.feed_id "
                    "LEFT JOIN broadcasts b ON b.id = d.broadcast_id "
                    f"WHERE {waiting} AND d.next_attempt_at <= ? AND c.send_after <= ? "
                    f"AND {_HEAD_OF_FREE_CHAT} ORDER BY d.id LIMIT ?",
                    (now, now, limit - len(rows)),
                )
        return [_outbox_entry(row) for row in rows]

    async def next_outbox_time(self, limit: int = 500) -> float | None:
        """When the earliest waiting message may go (its retry time, its chat's spacing), among
        the `limit` oldest heads of free chats of each kind (alerts, broadcasts)."""
        dues: list[float] = []
        for waiting in (_WAITING_ALERTS, _WAITING_BROADCASTS):
            row = await self._one(
                "SELECT min(due) AS due FROM (SELECT CASE WHEN d.next_attempt_at > c.send_after "
                "THEN d.next_attempt_at ELSE c.send_after END AS due FROM deliveries d "
                f"JOIN chats c ON c.id = d.chat_id WHERE {waiting} AND {_HEAD_OF_FREE_CHAT} "
                "ORDER BY d.id LIMIT ?) heads",
                (limit,),
            )
            if row is not None and row["due"] is not None:
                dues.append(float(row["due"]))
        return min(dues, default=None)

    async def outbox_mark(self) -> int:
        """A number that grows whenever a message is queued (by any process): the newest id."""
        row = await self._one("SELECT max(id) AS newest FROM deliveries")
        return int(row["newest"]) if row and row["newest"] is not None else 0

    async def outbox_backlog(self) -> int:
        """How many messages wait to be sent (not those held for a digest or a paused chat)."""
        row = await self._one(
            f"SELECT count(*) AS total FROM deliveries d WHERE {_SENDABLE.format(d='d')}"
        )
        return int(row["total"]) if row else 0

    async def release_dead_claims(self, owner: int, alive_since: float) -> int:
        """Free the claims of processes that stopped or fell silent: those messages may go again.

        A process is alive while it has not stopped and its heartbeat is at or after
        `alive_since`; `owner` (the caller) keeps its own claims whatever its heartbeat says.
        """
        async with self._write() as db:
            return await db.execute(
                "UPDATE deliveries SET claim = NULL WHERE status = 'pending' "
                "AND claim IS NOT NULL AND claim != ? AND NOT EXISTS (SELECT 1 FROM processes p "
                "WHERE p.id = deliveries.claim AND p.stopped_at IS NULL AND p.heartbeat_at >= ?)",
                (owner, alive_since),
            )

    async def claim_outbox(
        self, delivery_ids: Sequence[int], owner: int, now: float
    ) -> list[OutboxEntry]:
        """Claim those of these messages that may go now, for the process `owner`, atomically.

        Each must still be sendable, unclaimed, due, its chat's oldest sendable message, and its
        chat free (active, spaced, nothing of it claimed). The claimed messages come back as they
        are now (alerts first); another sender taking a chat at the same moment makes this one
        claim nothing this time.
        """
        if not delivery_ids:
            return []
        marks = ",".join("?" * len(delivery_ids))
        lock = self.dialect.for_update_skip_locked("d")
        try:
            async with self._write() as db:
                claimed = await db.fetch_all(
                    "UPDATE deliveries SET claim = ? WHERE id IN (SELECT d.id FROM deliveries d "
                    f"JOIN chats c ON c.id = d.chat_id WHERE d.id IN ({marks}) "
                    "AND d.status = 'pending' AND d.held = 0 "
                    "AND (d.broadcast_id IS NOT NULL OR c.paused = 0) AND d.claim IS NULL "
                    "AND d.next_attempt_at <= ? AND c.send_after <= ? "
                    f"AND {_HEAD_OF_FREE_CHAT}{lock}) RETURNING id",
                    (owner, *delivery_ids, now, now),
                )
                if not claimed:
                    return []
                ids = [int(row["id"]) for row in claimed]
                rows = await db.fetch_all(
                    f"SELECT {_ENTRY_COLUMNS}, {ITEM_COLUMNS} FROM deliveries d "
                    "JOIN chats c ON c.id = d.chat_id "
                    "LEFT JOIN items i ON i.id = d.item_id LEFT JOIN feeds f ON f.id = i.feed_id "
                    "LEFT JOIN broadcasts b ON b.id = d.broadcast_id "
                    f"WHERE d.id IN ({','.join('?' * len(ids))}) "
                    "ORDER BY d.broadcast_id IS NOT NULL, d.id",
                    ids,
                )
        except INTEGRITY_ERRORS:
            # Only one claimed message per chat (the deliveries_claimed index): another sender
            # claimed a message of one of these chats in the same instant. Nothing was claimed.
            return []
        return [_outbox_entry(row) for row in rows]

    async def claim_delivery(self, delivery_id: int, claim: int) -> bool:
        """Take one message for sending now; False if it may no longer go (cancelled, paused,
        its chat's previous message still claimed)."""
        async with self._write() as db:
            changed = await db.execute(
                f"UPDATE deliveries AS d SET claim = ? WHERE d.id = ? AND d.claim IS NULL "
                f"AND {_SENDABLE.format(d='d')} AND NOT EXISTS (SELECT 1 FROM deliveries e "
                "WHERE e.chat_id = d.chat_id AND e.status = 'pending' AND e.claim IS NOT NULL)",
                (claim, delivery_id),
            )
            return changed > 0

    async def mark_sent(
        self,
        delivery_id: int,
        claim: int,
        now: float,
        *,
        chat_ready_at: float = 0.0,
        message_id: int | None = None,
    ) -> bool:
        """Telegram accepted the message (for a digest: its last part); False if not ours.

        Its chat's next message goes no sooner than chat_ready_at, whichever sender sends it;
        message_id is the Telegram message an alert became.
        """
        async with self._write() as db:
            await _space_chat(db, delivery_id, chat_ready_at)
            changed = await db.execute(
                "UPDATE deliveries SET status = 'sent', attempts = attempts + 1, "
                "last_error = NULL, finished_at = ?, claim = NULL, "
                "message_id = coalesce(?, message_id) "
                "WHERE id = ? AND status = 'pending' AND claim = ?",
                (now, message_id, delivery_id, claim),
            )
            if changed == 0:
                return False
            await _finish_digest_alerts(db, delivery_id, DeliveryStatus.SENT, None, now)
            return True

    async def mark_failed(
        self, delivery_id: int, claim: int, reason: str, now: float, *, chat_ready_at: float = 0.0
    ) -> bool:
        """Give up on a message, keeping the reason; a digest's delivered parts stay sent."""
        async with self._write() as db:
            await _space_chat(db, delivery_id, chat_ready_at)
            changed = await db.execute(
                "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, "
                "last_error = ?, finished_at = ?, claim = NULL "
                "WHERE id = ? AND status = 'pending' AND claim = ?",
                (reason, now, delivery_id, claim),
            )
            if changed == 0:
                return False
            await _finish_digest_alerts(db, delivery_id, DeliveryStatus.FAILED, reason, now)
            return True

    async def schedule_retry(
        self,
        delivery_id: int,
        claim: int,
        reason: str,
        retry_at: float,
        *,
        count_attempt: bool,
        chat_ready_at: float = 0.0,
    ) -> bool:
        """Put a message back in the outbox until a later moment, unclaimed."""
        async with self._write() as db:
            await _space_chat(db, delivery_id, chat_ready_at)
            changed = await db.execute(
                "UPDATE deliveries SET attempts = attempts + ?, last_error = ?, "
                "next_attempt_at = ?, claim = NULL "
                "WHERE id = ? AND status = 'pending' AND claim = ?",
                (1 if count_attempt else 0, reason, retry_at, delivery_id, claim),
            )
            return changed > 0

    async def record_digest_part(
        self, delivery_id: int, claim: int, parts_sent: int, alert_ids: Sequence[int], now: float
    ) -> bool:
        """Telegram accepted one more part of a digest: count it and mark its alerts sent."""
        async with self._write() as db:
            changed = await db.execute(
                "UPDATE deliveries SET parts_sent = ? "
                "WHERE id = ? AND status = 'pending' AND claim = ?",
                (parts_sent, delivery_id, claim),
            )
            if changed == 0:
                return False
            for start in range(0, len(alert_ids), 500):
                chunk = alert_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                await db.execute(
                    "UPDATE deliveries SET status = 'sent', finished_at = ? "
                    f"WHERE id IN ({marks}) AND held = 1 AND status = 'pending' AND digest_id = "
                    "(SELECT digest_id FROM deliveries WHERE id = ?)",
                    (now, *chunk, delivery_id),
                )
            return True

    async def delivery_counts(self, since: float) -> dict[DeliveryStatus, int]:
        """Alerts per final status finished since a moment."""
        rows = await self._all(
            "SELECT status, count(*) AS total FROM deliveries WHERE item_id IS NOT NULL "
            "AND finished_at >= ? GROUP BY status",
            (since,),
        )
        return {DeliveryStatus(row["status"]): int(row["total"]) for row in rows}


async def _space_chat(db: Session, delivery_id: int, ready_at: float) -> None:
    """Hold the chat of a message until ready_at (later only: a 429 may ask for longer)."""
    if ready_at <= 0:
        return
    # Whatever became of the row, Telegram answered a message to this chat: space the next.
    await db.execute(
        "UPDATE chats SET send_after = ? WHERE send_after < ? AND id = "
        "(SELECT chat_id FROM deliveries WHERE id = ?)",
        (ready_at, ready_at, delivery_id),
    )


async def _finish_digest_alerts(
    db: Session,
    delivery_id: int,
    status: DeliveryStatus,
    reason: str | None,
    now: float,
) -> None:
    """Close the alerts a digest row still carried (nothing for any other row)."""
    await db.execute(
        "UPDATE deliveries SET status = ?, last_error = coalesce(?, last_error), finished_at = ? "
        "WHERE digest_id = (SELECT digest_id FROM deliveries WHERE id = ?) "
        "AND held = 1 AND status = 'pending'",
        (status, reason, now, delivery_id),
    )


def _outbox_entry(row: Row) -> OutboxEntry:
    """An OutboxEntry from a row selected with _ENTRY_COLUMNS and ITEM_COLUMNS."""
    has_item = row["item_id"] is not None
    return OutboxEntry(
        id=row["id"],
        chat_id=row["chat_id"],
        chat_type=row["chat_type"],
        attempts=row["attempts"],
        item=item_from_row(row) if has_item else None,
        topics=tuple(line for line in row["topics"].split("\n") if line),
        broadcast_id=row["broadcast_id"],
        broadcast_html=row["broadcast_html"],
        language=row["language"],
        link_previews=bool(row["link_previews"]),
        silent=bool(row["silent"]),
        time_zone=TimeZone(row["time_zone"]),
        digest_id=row["digest_id"],
        parts_sent=row["parts_sent"],
    )
