"""The running bot with feeds reachable on loopback, and the operators' helpers."""

from __future__ import annotations

import time

import pytest

from bot.standin import SentMessage, TelegramStandIn
from storage import Storage
from tests.inprocess import ADMIN_ID, RunningBot


@pytest.fixture
async def operator_bot(warta: RunningBot) -> RunningBot:
    """The bot as tests run it, with WARTA_ALLOW_PRIVATE_FEEDS=127.0.0.1 (the feed server's)."""
    return warta


async def register_readers(storage: Storage, first_id: int, count: int) -> list[int]:
    """Chats that have started the bot, written straight to storage (fast for hundreds)."""
    ids = list(range(first_id, first_id + count))
    for chat_id in ids:
        await storage.register_chat(chat_id, "private", f"Pembaca {chat_id}", time.time())
    return ids


async def confirmation(telegram: TelegramStandIn, chat_id: int = ADMIN_ID) -> SentMessage:
    """The newest message with buttons in a chat, once there is one."""

    def with_buttons(tg: TelegramStandIn) -> list[SentMessage]:
        return [m for m in tg.messages_to(chat_id) if m.callback_data]

    await telegram.wait_for(lambda tg: bool(with_buttons(tg)))
    return with_buttons(telegram)[-1]


def current_text(telegram: TelegramStandIn, message: SentMessage) -> str:
    """The text a message shows now, after its edits."""
    stored = telegram.message(message.chat_id, message.message_id) or {}
    return str(stored.get("text", ""))


def received(telegram: TelegramStandIn, chat_ids: list[int], text: str) -> dict[int, int]:
    """How many times each chat got a message with exactly this text."""
    counts = dict.fromkeys(chat_ids, 0)
    for message in telegram.sent:
        if message.chat_id in counts and not message.is_edit and message.plain_text == text:
            counts[message.chat_id] += 1
    return counts
