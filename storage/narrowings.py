"""Queries behind "why this alert" and "less like this": kept alerts, narrowings, their counts."""

from __future__ import annotations

from storage.database import Database, Row
from storage.items import ITEM_COLUMNS, item_from_row
from storage.models import AlertRecord, Narrowing, NarrowingKind

_NARROWING_COLUMNS = "id, chat_id, topic_id, kind, value"
_ALERT_SELECT = (
    f"SELECT d.id AS delivery_id, d.chat_id AS chat_id, d.topics AS topics, i.body AS item_body, "
    f"{ITEM_COLUMNS} FROM deliveries d JOIN items i ON i.id = d.item_id "
    "JOIN feeds f ON f.id = i.feed_id"
)


class NarrowingQueries(Database):
    """A chat's kept alerts as "why" explains them, and the narrowings readers chose."""

    async def kept_alert(self, chat_id: int, delivery_id: int) -> AlertRecord | None:
        """One of the chat's alerts with its item; None once retention removed the item."""
        row = await self._one(f"{_ALERT_SELECT} WHERE d.id = ? AND d.chat_id = ?",
                              (delivery_id, chat_id))  # fmt: skip
        return await self._alert_record(row) if row else None

    async def alert_by_message(self, chat_id: int, message_id: int) -> AlertRecord | None:
        """The alert that became this message of the chat, while its item is kept."""
        row = await self._one(
            f"{_ALERT_SELECT} WHERE d.chat_id = ? AND d.message_id = ?", (chat_id, message_id)
        )
        return await self._alert_record(row) if row else None

    async def digest_alerts(self, chat_id: int, digest_id: int) -> list[tuple[int, str]]:
        """The kept alerts a digest of the chat carried: (delivery id, title), oldest first."""
        rows = await self._all(
            "SELECT d.id AS id, i.title AS title FROM deliveries d "
            "JOIN items i ON i.id = d.item_id "
            "WHERE d.digest_id = ? AND d.chat_id = ? AND d.held = 1 ORDER BY d.id",
            (digest_id, chat_id),
        )
        return [(int(row["id"]), str(row["title"])) for row in rows]

    async def record_message_id(self, delivery_id: int, message_id: int) -> None:
        """Remember the Telegram message an alert became."""
        async with self._write() as db:
            await db.execute(
                "UPDATE deliveries SET message_id = ? WHERE id = ?", (message_id, delivery_id)
            )

    async def add_narrowing(
        self, chat_id: int, topic_id: int | None, kind: NarrowingKind, value: str, now: float
    ) -> bool:
        """Narrow a chat's topic (or, topic_id None, the chat); False if it already was."""
        async with self._write() as db:
            row = await db.fetch_one(
                "INSERT INTO narrowings (chat_id, topic_id, kind, value, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (chat_id, topic_id, kind, value, now),
            )
        return row is not None

    async def remove_narrowing(self, chat_id: int, narrowing_id: int) -> Narrowing | None:
        """Undo one of the chat's narrowings; None if it was not there."""
        async with self._write() as db:
            row = await db.fetch_one(
                f"DELETE FROM narrowings WHERE chat_id = ? AND id = ? "
                f"RETURNING {_NARROWING_COLUMNS}",
                (chat_id, narrowing_id),
            )
        return _narrowing(row) if row else None

    async def chat_narrowings(self, chat_id: int) -> list[Narrowing]:
        """A chat's narrowings in the order they were chosen."""
        rows = await self._all(
            f"SELECT {_NARROWING_COLUMNS} FROM narrowings WHERE chat_id = ? ORDER BY id",
            (chat_id,),
        )
        return [_narrowing(row) for row in rows]

    async def active_narrowings(self) -> list[Narrowing]:
        """Every narrowing of every active chat, for matching."""
        rows = await self._all(
            "SELECT n.id AS id, n.chat_id AS chat_id, n.topic_id AS topic_id, n.kind AS kind, "
            "n.value AS value FROM narrowings n JOIN chats c ON c.id = n.chat_id "
            "WHERE c.active = 1"
        )
        return [_narrowing(row) for row in rows]

    async def feed_name(self, feed_id: int) -> str | None:
        """The name of a feed (a muted one, shown to undo), or None once it is gone."""
        row = await self._one("SELECT name FROM feeds WHERE id = ?", (feed_id,))
        return str(row["name"]) if row else None

    async def record_explain_event(self, kind: str, topic: str, now: float) -> None:
        """Count a reader asking "why" (kind 'why') or narrowing (kind 'narrow') for a topic."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO explain_events (kind, topic, created_at) VALUES (?, ?, ?)",
                (kind, topic, now),
            )

    async def explain_counts(self, since: float, limit: int) -> list[tuple[str, int, int]]:
        """Per topic, since a moment: (topic, whys, narrowings), the most asked first."""
        rows = await self._all(
            "SELECT topic, count(*) FILTER (WHERE kind = 'why') AS whys, "
            "count(*) FILTER (WHERE kind = 'narrow') AS narrowed FROM explain_events "
            "WHERE created_at >= ? GROUP BY topic ORDER BY count(*) DESC, topic LIMIT ?",
            (since, limit),
        )
        return [(str(row["topic"]), int(row["whys"]), int(row["narrowed"])) for row in rows]

    async def _alert_record(self, row: Row) -> AlertRecord:
        places = await self._all(
            "SELECT place_code FROM item_places WHERE item_id = ? ORDER BY place_code",
            (row["item_id"],),
        )
        return AlertRecord(
            delivery_id=int(row["delivery_id"]),
            chat_id=int(row["chat_id"]),
            item=item_from_row(row),
            body=str(row["item_body"]),
            topics=tuple(line for line in row["topics"].split("\n") if line),
            places=tuple(str(place["place_code"]) for place in places),
        )


def _narrowing(row: Row) -> Narrowing:
    topic_id = row["topic_id"]
    return Narrowing(
        id=int(row["id"]),
        chat_id=int(row["chat_id"]),
        topic_id=None if topic_id is None else int(topic_id),
        kind=NarrowingKind(row["kind"]),
        value=str(row["value"]),
    )
