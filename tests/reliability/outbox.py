"""Queued alerts and a Sender draining them: the common ground of the delivery scenarios."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telegram.ext import ExtBot

from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender, SendLimits
from bot.standin import TelegramStandIn
from storage import Storage
from storage.models import FeedSeed, NewItem

# Telegram's limits relaxed so that thousands of alerts take seconds, not minutes.
FAST = SendLimits(
    per_second=1000.0, private_chat_interval=0.0, group_chat_interval=0.0, max_backoff=0.2
)


def headline(number: int) -> str:
    return f"Banjir rendam Serang, laporan nomor {number}"


@asynccontextmanager
async def queued_alerts(
    database: Path | str, chats: int, items: int, storage_type: type[Storage] = Storage
) -> AsyncIterator[Storage]:
    """Private chats 1..chats, each with one alert per item queued, items in publishing order."""
    storage = storage_type(database)
    await storage.open()
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/banten.xml", "ANTARA Banten", "Banten")])
    for chat_id in range(1, chats + 1):
        await storage.register_chat(chat_id, "private", "", time.time())
    (feed,) = await storage.list_feeds()
    alerts = tuple((chat_id, ("banjir",)) for chat_id in range(1, chats + 1))
    news = [
        NewItem(f"urn:{n}", headline(n), "Ringkasan", "", f"https://berita.example/{n}",
                time.time(), alerts=alerts)
        for n in range(items)
    ]  # fmt: skip
    await storage.store_items(feed.id, news, time.time())
    try:
        yield storage
    finally:
        await storage.close()


@asynccontextmanager
async def sending(
    telegram: TelegramStandIn, storage: Storage, limits: SendLimits
) -> AsyncIterator[Sender]:
    """The real Sender, started, talking to the stand-in through the bot's rate limiter."""
    limiter = RateLimiter(limits.per_second)
    base_url = f"{telegram.base_url}/bot"
    async with ExtBot(telegram.token, base_url=base_url, rate_limiter=limiter) as bot:
        sender = Sender(bot, storage, time.time, limits)
        sender.start()
        try:
            yield sender
        finally:
            await sender.stop()


async def drained(storage: Storage, timeout: float) -> None:
    """Wait until nothing is left to send."""
    async with asyncio.timeout(timeout):
        # The outbox itself is the condition: the sender announces nothing when it is done.
        while await storage.outbox_backlog():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def arrivals(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    """Headlines of the alerts Telegram accepted for a chat, in the order it accepted them."""
    return [(m.plain_text or "").split("\n")[1] for m in telegram.messages_to(chat_id)]


def first_arrivals(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    """Each headline once, in the order it first arrived."""
    return list(dict.fromkeys(arrivals(telegram, chat_id)))
