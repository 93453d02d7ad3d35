"""Queries about chats: registration, deactivation, migration."""

from __future__ import annotations

from storage.database import Database, Row
from storage.models import Chat, DeliveryMode, TimeZone

CHAT_COLUMNS = (
    "id, type, title, active, language, delivery, digest_hour, quiet_start, quiet_end, "
    "link_previews, silent, paused, managed_by, managing, time_zone"
)
_SETTABLE = frozenset(
    {
        "language",
        "delivery",
        "digest_hour",
        "quiet_start",
        "quiet_end",
        "time_zone",
        "link_previews",
        "silent",
        "paused",
        "managed_by",
        "managing",
        "title",
    }
)


def chat_from_row(row: Row) -> Chat:
    """A Chat from a row selected with CHAT_COLUMNS."""
    return Chat(
        id=row["id"],
        type=row["type"],
        title=row["title"],
        active=bool(row["active"]),
        language=row["language"],
        delivery=DeliveryMode(row["delivery"]),
        digest_hour=row["digest_hour"],
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        time_zone=TimeZone(row["time_zone"]),
        link_previews=bool(row["link_previews"]),
        silent=bool(row["silent"]),
        paused=bool(row["paused"]),
        managed_by=row["managed_by"],
        managing=row["managing"],
    )


class ChatQueries(Database):
    """Chats the bot talks to."""

    async def register_chat(
        self, chat_id: int, chat_type: str, title: str, now: float, language: str = "id"
    ) -> bool:
        """Create or re-activate a chat; return True if it was new or inactive."""
        async with self._write() as db:
            before = await db.fetch_one("SELECT active FROM chats WHERE id = ?", (chat_id,))
            await db.execute(
                "INSERT INTO chats (id, type, title, active, created_at, language) "
                "VALUES (?, ?, ?, 1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET type = excluded.type, title = excluded.title, "
                "active = 1, inactive_reason = NULL",
                (chat_id, chat_type, title, now, language),
            )
        return before is None or not before["active"]

    async def get_chat(self, chat_id: int) -> Chat | None:
        """One chat by id, with its settings."""
        row = await self._one(f"SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?", (chat_id,))
        return chat_from_row(row) if row else None

    async def update_chat(self, chat_id: int, **config: object) -> None:
        """Change some of a chat's settings (names are the Chat fields)."""
        unknown = set(config) - _SETTABLE
        if unknown:
            raise ValueError(f"not chat settings: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in config)
        async with self._write() as db:
            await db.execute(
                f"UPDATE chats SET {assignments} WHERE id = ?", (*config.values(), chat_id)
            )

    async def deactivate_chat(self, chat_id: int, reason: str, now: float) -> int:
        """Mark a chat inactive and drop its pending alerts; return how many were dropped."""
        async with self._write() as db:
            await db.execute(
                "UPDATE chats SET active = 0, inactive_reason = ? WHERE id = ?", (reason, chat_id)
            )
            return await db.execute(
                "UPDATE deliveries SET status = 'dropped', last_error = ?, finished_at = ? "
                "WHERE chat_id = ? AND status = 'pending'",
                (reason, now, chat_id),
            )

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Move a chat (topics and outbox follow by cascade) to its new supergroup id."""
        async with self._write() as db:
            exists = await db.fetch_one("SELECT 1 AS found FROM chats WHERE id = ?", (new_id,))
            if exists:
                # Both ids known: keep the new chat, bring over what the old one had that the new
                # one lacks (what both had goes with the old chat, by cascade).
                await db.execute(
                    "UPDATE topics SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS (SELECT 1 "
                    "FROM topics t WHERE t.chat_id = ? AND t.key = topics.key)",
                    (new_id, old_id, new_id),
                )
                await db.execute(
                    "UPDATE deliveries SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS (SELECT 1 "
                    "FROM deliveries d WHERE d.chat_id = ? AND (d.story_id = deliveries.story_id "
                    "OR d.broadcast_id = deliveries.broadcast_id))",
                    (new_id, old_id, new_id),
                )
                await db.execute("DELETE FROM chats WHERE id = ?", (old_id,))
            else:
                await db.execute(
                    "UPDATE chats SET id = ?, type = 'supergroup' WHERE id = ?", (new_id, old_id)
                )

    async def active_chat_ids(self) -> list[int]:
        """Ids of every chat that still receives messages."""
        return [row["id"] for row in await self._all("SELECT id FROM chats WHERE active = 1")]

    async def remember_chat_admin(self, chat_id: int, user_id: int, now: float) -> None:
        """Note that a user administers a stored group or channel (nothing if it is unknown)."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO chat_admins (chat_id, user_id, seen_at) "
                "SELECT id, ?, ? FROM chats WHERE id = ? "
                "ON CONFLICT (chat_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
                (user_id, now, chat_id),
            )

    async def forget_chat_admin(self, chat_id: int, user_id: int) -> None:
        """A user no longer administers the chat (Telegram said so)."""
        async with self._write() as db:
            await db.execute(
                "DELETE FROM chat_admins WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
            )

    async def chats_administered_by(self, user_id: int, limit: int) -> list[Chat]:
        """The active groups and channels the user was seen administering, latest first."""
        columns = ", ".join(f"c.{name.strip()}" for name in CHAT_COLUMNS.split(","))
        rows = await self._all(
            f"SELECT {columns} FROM chat_admins a JOIN chats c ON c.id = a.chat_id "
            "WHERE a.user_id = ? AND c.active = 1 AND c.type <> 'private' "
            "ORDER BY a.seen_at DESC, c.id LIMIT ?",
            (user_id, limit),
        )
        return [chat_from_row(row) for row in rows]
