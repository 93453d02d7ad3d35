"""Queries about the topics chats follow."""

from __future__ import annotations

from storage.database import Database, Row
from storage.models import Topic


class TopicQueries(Database):
    """Topics, one row per chat and canonical key."""

    async def add_topic(
        self, chat_id: int, text: str, key: str, now: float, region: str | None = None
    ) -> Topic | None:
        """Add a topic; None when the chat already follows one with the same key."""
        async with self._write() as db:
            row = await db.fetch_one(
                "INSERT INTO topics (chat_id, text, key, created_at, region) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (chat_id, text, key, now, region),
            )
        return Topic(int(row["id"]), chat_id, text, region) if row else None

    async def remove_topic(self, chat_id: int, topic_id: int) -> Topic | None:
        """Remove one of a chat's topics by id; return it, or None if it was not there."""
        async with self._write() as db:
            row = await db.fetch_one(
                "DELETE FROM topics WHERE chat_id = ? AND id = ? "
                "RETURNING id, chat_id, text, region",
                (chat_id, topic_id),
            )
        return _topic(row) if row else None

    async def find_topic(self, chat_id: int, key: str) -> Topic | None:
        """A chat's topic by canonical key."""
        row = await self._one(
            "SELECT id, chat_id, text, region FROM topics WHERE chat_id = ? AND key = ?",
            (chat_id, key),
        )
        return _topic(row) if row else None

    async def list_topics(self, chat_id: int) -> list[Topic]:
        """A chat's topics in the order they were added."""
        rows = await self._all(
            "SELECT id, chat_id, text, region FROM topics WHERE chat_id = ? ORDER BY id", (chat_id,)
        )
        return [_topic(row) for row in rows]

    async def active_topics(self) -> list[Topic]:
        """Every topic of every active chat, for the matching index."""
        rows = await self._all(
            "SELECT t.id AS id, t.chat_id AS chat_id, t.text AS text, t.region AS region "
            "FROM topics t JOIN chats c ON c.id = t.chat_id WHERE c.active = 1"
        )
        return [_topic(row) for row in rows]

    async def matching_version(self) -> int:
        """A number that goes up with every change of the topics, the regions followed or the
        chats' activity (database triggers, in the changing transaction)."""
        row = await self._one("SELECT version FROM matching_version WHERE id = 1")
        return int(row["version"]) if row else 0


def _topic(row: Row) -> Topic:
    """A Topic from a row with the columns id, chat_id, text and region."""
    return Topic(row["id"], row["chat_id"], row["text"], row["region"])
