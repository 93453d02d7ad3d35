"""Reads see committed data only: a write still in progress, or rolled back, is invisible."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot

from bot.delivery.sender import Sender, SendLimits
from bot.standin import TelegramStandIn
from storage import Storage
from storage.models import FeedSeed, NewItem, OutboxEntry

ALREADY_QUEUED, ROLLED_BACK = 101, 202


class WriteAbandoned(Exception):
    """Stands for whatever makes a write transaction roll back (disk full, a bug)."""


@pytest.fixture
async def storage(database: Path | str) -> AsyncIterator[WatchedStorage]:
    store = WatchedStorage(database)
    await store.open()
    await store.sync_feeds([FeedSeed("http://127.0.0.1/f", "ANTARA Banten", "Banten")])
    yield store
    await store.close()


def news(title: str, chats: tuple[int, ...]) -> NewItem:
    return NewItem(
        identity=title,
        title=title,
        summary="Ringkasan",
        body="",
        link="https://berita.example/x",
        published_at=time.time(),
        alerts=tuple((chat_id, ("banjir",)) for chat_id in chats),
    )


async def store_news(storage: Storage, title: str, chats: tuple[int, ...]) -> int:
    """Store one item alerting the chats; return the item's id."""
    for chat_id in chats:
        await storage.register_chat(chat_id, "private", "", time.time())
    (feed,) = await storage.list_feeds()
    await storage.store_items(feed.id, [news(title, chats)], time.time())
    (item,) = [item for item in await storage.latest_items(10) if item.title == title]
    return item.id


class WatchedStorage(Storage):
    """The real storage, counting the sender's looks at the outbox."""

    def __init__(self, location: Path | str) -> None:
        super().__init__(location)
        self.outbox_reads = 0
        self._looked = asyncio.Event()

    async def pending_outbox(self, now: float, limit: int) -> list[OutboxEntry]:
        entries = await super().pending_outbox(now, limit)
        self.outbox_reads += 1
        self._looked.set()
        return entries

    async def outbox_read(self, count: int) -> None:
        """Wait until the outbox has been read `count` times."""
        async with asyncio.timeout(30):
            while self.outbox_reads < count:
                self._looked.clear()
                await self._looked.wait()


class HeldWrite:
    """A write transaction that queues an alert, then waits, uncommitted, until rolled back."""

    def __init__(self, storage: Storage, chat_id: int, item_id: int) -> None:
        self._storage, self._chat_id, self._item_id = storage, chat_id, item_id
        self.queued = asyncio.Event()
        self.roll_back = asyncio.Event()
        self.own_view: list[int] = []

    async def run(self) -> None:
        async with self._storage._write() as db:
            await db.execute(
                "INSERT INTO deliveries (chat_id, item_id, topics, created_at) VALUES (?, ?, ?, ?)",
                (self._chat_id, self._item_id, "banjir", time.time()),
            )
            # The transaction's own task reads what it has written so far.
            self.own_view = [e.chat_id for e in await self._storage.pending_outbox(time.time(), 10)]
            self.queued.set()
            await self.roll_back.wait()
            raise WriteAbandoned


async def test_an_uncommitted_outbox_row_is_invisible_and_gone_after_rollback(
    storage: Storage,
) -> None:
    await storage.register_chat(ROLLED_BACK, "private", "", time.time())
    item_id = await store_news(storage, "Banjir Serang", ())
    held = HeldWrite(storage, ROLLED_BACK, item_id)
    writing = asyncio.create_task(held.run())
    await asyncio.wait_for(held.queued.wait(), 30)

    assert held.own_view == [ROLLED_BACK]
    assert await storage.pending_outbox(time.time(), 10) == []
    assert await storage.outbox_backlog() == 0
    assert await storage.next_outbox_time() is None

    held.roll_back.set()
    with pytest.raises(WriteAbandoned):
        await asyncio.wait_for(writing, 30)
    assert await storage.pending_outbox(time.time(), 10) == []


async def test_committed_writes_are_read_at_once(storage: Storage) -> None:
    item_id = await store_news(storage, "Banjir Cilegon", (ALREADY_QUEUED,))
    (entry,) = await storage.pending_outbox(time.time(), 10)
    assert (entry.chat_id, entry.item.id if entry.item else None) == (ALREADY_QUEUED, item_id)
    assert await storage.claim_delivery(entry.id, claim=7)
    assert await storage.mark_sent(entry.id, 7, time.time())
    assert await storage.pending_outbox(time.time(), 10) == []
    await storage.add_topic(ALREADY_QUEUED, "Banjir", "banjir", time.time())
    assert [t.text for t in await storage.list_topics(ALREADY_QUEUED)] == ["Banjir"]


async def test_the_sender_never_sends_a_row_that_is_rolled_back(storage: WatchedStorage) -> None:
    await storage.register_chat(ROLLED_BACK, "private", "", time.time())
    await store_news(storage, "Banjir Cilegon", (ALREADY_QUEUED,))
    item_id = await store_news(storage, "Banjir Serang", ())
    held = HeldWrite(storage, ROLLED_BACK, item_id)
    writing = asyncio.create_task(held.run())
    await asyncio.wait_for(held.queued.wait(), 30)
    async with (
        TelegramStandIn() as telegram,
        Bot(telegram.token, base_url=f"{telegram.base_url}/bot") as bot,
    ):
        sender = Sender(bot, storage, time.time, SendLimits())
        sender.start()
        try:
            # The sender looks at the outbox while the other write is still in progress.
            await storage.outbox_read(1)
            held.roll_back.set()
            with pytest.raises(WriteAbandoned):
                await asyncio.wait_for(writing, 30)
            # A second look means everything the first look found has been started.
            await storage.outbox_read(2)
            await telegram.wait_for_messages(ALREADY_QUEUED, 1, timeout=30)
        finally:
            await sender.stop()
        assert telegram.messages_to(ROLLED_BACK) == []


async def test_a_write_cancelled_while_another_process_holds_the_lock_leaves_no_lock_behind(
    tmp_path: Path,
) -> None:
    # A poller stopping while it waits for the file's lock: the BEGIN it asked for runs on in
    # the connection's thread and, once the other process lets go, must not keep the lock.
    path = tmp_path / "warta.db"
    stopping, other = Storage(path), Storage(path)
    await stopping.open()
    await other.open()
    try:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process, mid-write
        waiting = asyncio.create_task(stopping.register_chat(1, "private", "Budi", time.time()))
        # Its first wait is the BEGIN itself: nothing between taking the process's write turn
        # and asking SQLite for the file's lock waits.
        while not stopping._write_lock.locked():  # noqa: ASYNC110
            await asyncio.sleep(0)
        waiting.cancel()
        holder.execute("COMMIT")
        holder.close()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        # Both processes write again: the file's lock was given back.
        await other.register_chat(2, "private", "Citra", time.time())
        await stopping.register_chat(3, "private", "Dewi", time.time())
    finally:
        await stopping.close()
        await other.close()
