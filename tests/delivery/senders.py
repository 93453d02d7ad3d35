"""Several senders, each as its own process would run it, draining one outbox."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import BaseRateLimiter, ExtBot

from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender, SendLimits
from bot.ops.clock import ServerClock
from bot.ops.heartbeat import Heartbeat
from bot.standin import TelegramStandIn
from storage import Storage, is_postgres_url
from storage.models import FeedSeed, NewItem

Request = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


async def queue_alerts(storage: Storage, chats: dict[int, str], titles: list[str]) -> None:
    """Register chats and store items, in order, each alerting every one of them."""
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/f", "ANTARA Banten", "Banten")])
    for chat_id, chat_type in chats.items():
        await storage.register_chat(chat_id, chat_type, "", time.time())
    (feed,) = await storage.list_feeds()
    for title in titles:
        item = NewItem(
            identity=title,
            title=title,
            summary="Ringkasan",
            body="",
            link="https://berita.example/x",
            published_at=time.time(),
            alerts=tuple((chat_id, ("banjir",)) for chat_id in chats),
        )
        await storage.store_items(feed.id, [item], time.time())


def deliveries(telegram: TelegramStandIn) -> Counter[tuple[int, str]]:
    """How often Telegram accepted each (chat, headline)."""
    return Counter((m.chat_id, (m.plain_text or "").split("\n")[1]) for m in telegram.sent)


class Gate(BaseRateLimiter[None]):
    """A network that holds every message until the test opens it (never, for a sender that
    dies with its messages in flight); notes the chats it held and the calls it let through."""

    def __init__(self) -> None:
        self.held: list[int] = []
        self.passed = 0
        self._open = asyncio.Event()
        self._changed = asyncio.Event()

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Hold a sendMessage until the gate opens; anything else goes at once."""
        if endpoint != "sendMessage":
            return await callback(*args, **kwargs)
        self.held.append(int(data["chat_id"]))
        self._changed.set()
        await self._open.wait()
        try:
            return await callback(*args, **kwargs)
        finally:
            self.passed += 1
            self._changed.set()

    def open(self) -> None:
        """Let held and later messages through."""
        self._open.set()

    async def wait_for(self, predicate: Callable[[Gate], bool]) -> None:
        """Wait until predicate(self) holds; 30 s means hung."""
        async with asyncio.timeout(30):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()


@dataclass
class RunningSender:
    """A sender with the storage and process id its process would have."""

    sender: Sender
    storage: Storage
    process_id: int


@asynccontextmanager
async def sender_process(
    telegram: TelegramStandIn,
    database: Path | str,
    limits: SendLimits,
    *,
    limiter: BaseRateLimiter[Any] | None = None,
    beating: bool = True,
    process_timeout: float = 20.0,
    local_clock: Callable[[], float] = time.time,
) -> AsyncIterator[RunningSender]:
    """A started Sender with its own storage and registered process: beating, or silent from
    the start (a process that died once it registered). Its machine's clock is `local_clock`;
    as Warta's processes do, it takes shared times from the database server's clock."""
    storage = Storage(database)
    await storage.open()
    clock = ServerClock(local_clock)
    if is_postgres_url(database):
        await clock.measure(storage)
    heartbeat = Heartbeat(storage, ["sender"], clock)
    if beating:
        await heartbeat.start()
    else:
        await storage.register_process(heartbeat.process_id, "sender", "test", os.getpid(), clock())
    base_url = f"{telegram.base_url}/bot"
    rate_limiter = limiter if limiter is not None else RateLimiter(limits.per_second)
    try:
        async with ExtBot(telegram.token, base_url=base_url, rate_limiter=rate_limiter) as bot:
            sender = Sender(
                bot,
                storage,
                clock,
                limits,
                process_id=heartbeat.process_id,
                process_timeout=process_timeout,
                wall=clock,
            )
            sender.start()
            try:
                yield RunningSender(sender, storage, heartbeat.process_id)
            finally:
                await sender.stop(grace=1.0)
    finally:
        await heartbeat.stop()
        await storage.close()
