"""Storage refusing writes in the middle of sending: nothing sent twice, nothing lost, logged.

Nothing real makes a write of one kind fail on cue (a disk that fills exactly then), so these
storages are the real one with a switch that refuses one kind of write, as a full disk would.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender
from bot.standin import TelegramStandIn
from storage import Storage
from storage.models import BroadcastReport, FeedSeed, NewItem
from tests.reliability.outbox import FAST, arrivals, drained, headline, queued_alerts, sending


class FullDisk(Storage):
    """Real storage whose writes of the named kind fail while `refusing` is set."""

    refused_write = "mark_sent"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.refusing = True
        self.refused = 0

    def _refuse(self) -> None:
        if self.refusing:
            self.refused += 1
            raise sqlite3.OperationalError("database or disk is full")

    async def mark_sent(self, *args: Any, **kwargs: Any) -> Any:
        if self.refused_write == "mark_sent":
            self._refuse()
        return await super().mark_sent(*args, **kwargs)

    async def schedule_retry(self, *args: Any, **kwargs: Any) -> Any:
        if self.refused_write == "schedule_retry":
            self._refuse()
        return await super().schedule_retry(*args, **kwargs)


class FullDiskOnRetry(FullDisk):
    refused_write = "schedule_retry"


class UnreadableDigests(Storage):
    """Real storage whose first read of a digest's alerts fails (an I/O error)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.failures_left = 1

    async def digest_items(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures_left:
            self.failures_left -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return await super().digest_items(*args, **kwargs)


async def refused_at_least(storage: FullDisk, count: int) -> None:
    async with asyncio.timeout(30):
        while storage.refused < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_an_alert_sent_but_not_recorded_is_not_sent_again(
    tmp_path: Path, telegram: TelegramStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    async with queued_alerts(tmp_path / "warta.db", 1, 2, FullDisk) as storage:
        assert isinstance(storage, FullDisk)
        async with sending(telegram, storage, FAST):
            await refused_at_least(storage, 3)
            storage.refusing = False
            await drained(storage, timeout=30)
        assert await storage.delivery_counts(0) == {"sent": 2}
    assert arrivals(telegram, 1) == [headline(0), headline(1)]
    assert "send outcome not recorded chat=1 delivery=1 outcome=sent" in caplog.text


async def test_a_retry_that_cannot_be_recorded_is_logged_and_the_alert_still_arrives(
    tmp_path: Path, telegram: TelegramStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.fail_next(status=502, chat_id=1)
    async with queued_alerts(tmp_path / "warta.db", 1, 1, FullDiskOnRetry) as storage:
        assert isinstance(storage, FullDisk)
        async with sending(telegram, storage, FAST):
            await refused_at_least(storage, 2)
            storage.refusing = False
            await drained(storage, timeout=30)
        assert await storage.delivery_counts(0) == {"sent": 1}
    assert arrivals(telegram, 1) == [headline(0)]
    assert "send outcome not recorded chat=1 delivery=1 outcome=retry" in caplog.text


async def test_a_digest_that_cannot_be_read_is_logged_and_sent_later(
    tmp_path: Path, telegram: TelegramStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    storage = UnreadableDigests(tmp_path / "warta.db")
    await storage.open()
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/b.xml", "ANTARA Banten", "Banten")])
    await storage.register_chat(1, "private", "", time.time())
    await storage.update_chat(1, delivery="hourly")
    (feed,) = await storage.list_feeds()
    news = [
        NewItem(f"urn:{n}", headline(n), "Ringkasan", "", f"https://berita.example/{n}",
                time.time(), alerts=((1, ("banjir",)),))
        for n in range(3)
    ]  # fmt: skip
    await storage.store_items(feed.id, news, time.time())
    assert await storage.create_digest(1, time.time()) is not None
    try:
        async with sending(telegram, storage, FAST):
            await drained(storage, timeout=30)
        assert await storage.delivery_counts(0) == {"sent": 3}
    finally:
        await storage.close()
    (digest,) = [m.plain_text or "" for m in telegram.messages_to(1)]
    assert all(headline(n) in digest for n in range(3))
    (failure,) = [r for r in caplog.records if "send task failed" in r.getMessage()]
    assert failure.getMessage() == "send task failed chat=1 delivery=4"


async def test_a_broadcast_whose_last_send_is_recorded_late_is_still_reported(
    tmp_path: Path, telegram: TelegramStandIn
) -> None:
    storage = FullDisk(tmp_path / "warta.db")
    await storage.open()
    now = time.time()
    for chat_id in (1, 2):
        await storage.register_chat(chat_id, "private", "", now)
    broadcast_id = await storage.draft_broadcast(9, "<b>Pengumuman</b>", now)
    assert await storage.start_broadcast(broadcast_id, 0, now) == 2
    reports: list[BroadcastReport] = []

    async def report(done: BroadcastReport) -> None:
        reports.append(done)

    base_url = f"{telegram.base_url}/bot"
    limiter = RateLimiter(FAST.per_second)
    try:
        async with ExtBot(telegram.token, base_url=base_url, rate_limiter=limiter) as bot:
            sender = Sender(bot, storage, time.time, FAST, on_broadcast_done=report)
            sender.start()
            try:
                await refused_at_least(storage, 2)  # both sends went out, neither is recorded
                storage.refusing = False
                await drained(storage, timeout=30)
                async with asyncio.timeout(30):
                    while not reports:  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
            finally:
                await sender.stop()
    finally:
        await storage.close()
    assert [(r.id, r.admin_chat_id, r.sent, r.failed) for r in reports] == [(broadcast_id, 9, 2, 0)]
    assert [len(telegram.messages_to(chat_id)) for chat_id in (1, 2)] == [1, 1]
