"""The chats the bot serves: registered as they talk, followed to a supergroup, linked channels."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from telegram.constants import ChatType

from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import Chat


class ChatRegistry:
    """The one place that registers, re-activates, moves and links chats."""

    def __init__(
        self,
        storage: Storage,
        topics: TopicRegistry,
        clock: Callable[[], float],
        wake_sender: Callable[[], None],
    ) -> None:
        self._storage = storage
        self._topics = topics
        self._clock = clock
        self._wake_sender = wake_sender

    async def enter(self, chat_id: int, chat_type: str, title: str, language: str) -> Chat:
        """The chat as stored, registered (or re-activated) first if needed: talking revives it."""
        stored = await self._storage.get_chat(chat_id)
        if stored is not None and stored.active:
            return stored
        await self._storage.register_chat(chat_id, chat_type, title, self._clock(), language)
        return await self._stored(chat_id)

    async def leave(self, chat_id: int, reason: str) -> None:
        """Stop serving a chat that removed or blocked the bot; its waiting alerts are dropped."""
        await self._storage.deactivate_chat(chat_id, reason, self._clock())

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Keep a group's topics, regions and settings when it becomes a supergroup."""
        await self._storage.migrate_chat(old_chat_id, new_chat_id)
        self.moved(old_chat_id, new_chat_id)

    def moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """Match a chat's topics under its new id (the move itself is already stored)."""
        self._topics.move_chat(old_chat_id, new_chat_id)

    async def change(self, chat: Chat, changes: Mapping[str, object]) -> Chat:
        """Apply settings to a chat and return it as stored (see send_what_waited)."""
        await self._storage.update_chat(chat.id, **changes)
        return await self._stored(chat.id)

    def send_what_waited(self, before: Chat, after: Chat) -> None:
        """A chat just resumed: what waited during its pause goes out now.

        Called once the reader has the answer to the change, so the confirmation comes before
        the alerts that waited (the sender does not look at a paused chat until woken).
        """
        if before.paused and not after.paused:
            self._wake_sender()

    async def managed_channel(self, chat: Chat) -> Chat | None:
        """The active channel this private chat manages, if any."""
        if chat.managing is None:
            return None
        channel = await self._storage.get_chat(chat.managing)
        return channel if channel is not None and channel.active else None

    async def link_channel(self, chat: Chat, channel_id: int, title: str) -> None:
        """Let a private chat manage a channel (registered in the chat's language if new)."""
        now = self._clock()
        await self._storage.register_chat(channel_id, ChatType.CHANNEL, title, now, chat.language)
        await self._storage.update_chat(channel_id, managed_by=chat.id)
        await self._storage.update_chat(chat.id, managing=channel_id)
        await self.seen_administering(channel_id, chat.id)  # a private chat's id is its user's

    async def stop_managing(self, chat: Chat) -> None:
        """The private chat changes itself again (the channel keeps its settings)."""
        await self._storage.update_chat(chat.id, managing=None)

    async def unlink_channel(self, chat: Chat, channel: Chat) -> None:
        """Part a channel from a chat whose user no longer administers it."""
        await self._storage.update_chat(chat.id, managing=None)
        if channel.managed_by == chat.id:
            await self._storage.update_chat(channel.id, managed_by=None)

    async def seen_administering(self, chat_id: int, user_id: int) -> None:
        """Remember that a user administers a group or channel, for their Mini App's list."""
        await self._storage.remember_chat_admin(chat_id, user_id, self._clock())

    async def no_longer_administering(self, chat_id: int, user_id: int) -> None:
        """Telegram no longer lists the user among the chat's administrators."""
        await self._storage.forget_chat_admin(chat_id, user_id)

    async def administered_by(self, user_id: int, limit: int) -> list[Chat]:
        """The groups and channels the user was last seen administering (ask Telegram again)."""
        return await self._storage.chats_administered_by(user_id, limit)

    async def _stored(self, chat_id: int) -> Chat:
        stored = await self._storage.get_chat(chat_id)
        if stored is None:
            raise LookupError(f"chat {chat_id} is not stored")
        return stored
