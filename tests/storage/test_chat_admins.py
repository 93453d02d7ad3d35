"""The groups and channels a user was seen administering: the Mini App's list to confirm."""

from __future__ import annotations

from storage import Storage

BUDI, SITI = 5101, 5102
GROUP, OTHER_GROUP = -1005201, -1005202


async def test_storage_remembers_administrators_of_active_chats_only(storage: Storage) -> None:
    await storage.register_chat(BUDI, "private", "Budi", 1.0)
    await storage.register_chat(GROUP, "supergroup", "Warga Serang", 1.0)
    await storage.register_chat(OTHER_GROUP, "group", "RT 05", 1.0)
    await storage.remember_chat_admin(GROUP, BUDI, 10.0)
    await storage.remember_chat_admin(OTHER_GROUP, BUDI, 5.0)
    await storage.remember_chat_admin(-1009999, BUDI, 5.0)  # never stored: nothing noted
    await storage.remember_chat_admin(OTHER_GROUP, BUDI, 20.0)  # seen again: latest first
    chats = await storage.chats_administered_by(BUDI, 10)
    assert [chat.id for chat in chats] == [OTHER_GROUP, GROUP]
    assert [chat.id for chat in await storage.chats_administered_by(BUDI, 1)] == [OTHER_GROUP]
    await storage.deactivate_chat(OTHER_GROUP, "bot left", 30.0)
    await storage.forget_chat_admin(GROUP, BUDI)
    assert await storage.chats_administered_by(BUDI, 10) == []
    assert await storage.chats_administered_by(SITI, 10) == []
