"""The sender against the Telegram stand-in: limits, retries, refusals, and nothing lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.ext import ExtBot

from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender, SendLimits
from bot.standin import TelegramStandIn
from storage import Storage
from storage.models import FeedSeed, NewItem, OutboxEntry
from tests.inprocess import alert_titles
from tests.virtual_time import SendTimes, VirtualClock

FAST_RETRIES = SendLimits(max_attempts=3, max_backoff=0.2, outage_after=50)


@pytest.fixture
async def storage(storage: Storage) -> Storage:
    """The suite's database, with one feed."""
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/f", "ANTARA Banten", "Banten")])
    return storage


@pytest.fixture
async def bot(telegram: TelegramStandIn) -> AsyncIterator[Bot]:
    """A bot paced as the application paces it: one bot-wide budget."""
    limiter = RateLimiter(SendLimits().per_second)
    base_url = f"{telegram.base_url}/bot"
    async with ExtBot(telegram.token, base_url=base_url, rate_limiter=limiter) as client:
        yield client


async def queue_alerts(storage: Storage, chats: dict[int, str], titles: list[str]) -> None:
    """Register chats and store items that alert every one of them."""
    for chat_id, chat_type in chats.items():
        await storage.register_chat(chat_id, chat_type, "", time.time())
    items = [
        NewItem(
            identity=title,
            title=title,
            summary="Ringkasan <b>berita</b> & lainnya",
            body="",
            link="https://berita.example/x",
            published_at=time.time(),
            alerts=tuple((chat_id, ("banjir",)) for chat_id in chats),
        )
        for title in titles
    ]
    (feed,) = await storage.list_feeds()
    await storage.store_items(feed.id, items, time.time())


async def run_sender(bot: Bot, storage: Storage, limits: SendLimits = FAST_RETRIES) -> Sender:
    sender = Sender(bot, storage, time.time, limits)
    sender.start()
    return sender


async def test_alerts_are_escaped_html_that_telegram_accepts(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    await queue_alerts(storage, {1: "private"}, ['Banjir <Serang> & "Cilegon" </b>'])
    sender = await run_sender(bot, storage)
    (message,) = await telegram.wait_for_messages(1, 1)
    await sender.stop()
    assert message.parse_mode == "HTML"
    assert 'Banjir <Serang> & "Cilegon" </b>' in (message.plain_text or "")
    assert await storage.outbox_backlog() == 0


async def test_telegram_limits_are_respected_without_a_single_429(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    # The bot-wide rate, on the wall clock; a group's spacing is checked in virtual time below.
    telegram.enforce_limits(per_second=30, per_chat_per_second=1)
    chats = {chat_id: "private" for chat_id in range(1, 41)}
    await queue_alerts(storage, chats, ["Banjir satu", "Banjir dua", "Banjir tiga"])
    sender = await run_sender(bot, storage, SendLimits())
    await telegram.wait_for(lambda tg: len(tg.sent) == 3 * len(chats), timeout=30)
    await sender.stop()
    assert telegram.rejected_429 == 0
    assert alert_titles(telegram, 7) == ["Banjir satu", "Banjir dua", "Banjir tiga"]


@pytest.mark.parametrize(
    ("chat_id", "chat_type", "interval"), [(7, "private", 1.0), (-500, "group", 3.0)]
)
async def test_a_chats_messages_are_spaced_by_its_limit_in_virtual_time(
    telegram: TelegramStandIn, storage: Storage, chat_id: int, chat_type: str, interval: float
) -> None:
    titles = ["Banjir satu", "Banjir dua", "Banjir tiga"]
    await queue_alerts(storage, {chat_id: chat_type}, titles)
    clock = VirtualClock()  # its wall time starts now, after the alerts were queued
    times = SendTimes(clock)
    base_url = f"{telegram.base_url}/bot"
    async with ExtBot(telegram.token, base_url=base_url, rate_limiter=times) as bot:
        sender = Sender(
            bot,
            storage,
            clock.wall,
            SendLimits(),
            wall=clock.wall,
            monotonic=clock,
            sleep=clock.sleep,
        )
        sender.start()
        await telegram.wait_for_messages(chat_id, 3, timeout=30)
        await sender.stop()
    assert alert_titles(telegram, chat_id) == titles
    # Seconds of spacing, waited out on the virtual clock: the test itself takes milliseconds.
    assert len(times.gaps()) == 2
    assert all(gap >= interval for gap in times.gaps())


async def test_a_message_that_reaches_telegram_late_does_not_crowd_the_chats_next_one(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    telegram.enforce_limits(per_chat_per_second=1)
    # The first alert takes a slow path: it reaches Telegram 0.7 s after it left.
    telegram.delay_next(0.7, chat_id=7)
    await queue_alerts(storage, {7: "private"}, ["Banjir satu", "Banjir dua"])
    sender = await run_sender(bot, storage, SendLimits())
    await telegram.wait_for_messages(7, 2, timeout=30)
    await sender.stop()
    assert telegram.rejected_429 == 0
    assert alert_titles(telegram, 7) == ["Banjir satu", "Banjir dua"]


async def test_429_waits_retry_after_and_sends_the_same_alert_again(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    telegram.fail_next(status=429, retry_after=1, chat_id=1)
    await queue_alerts(storage, {1: "private"}, ["Banjir Serang"])
    sender = await run_sender(bot, storage)
    await telegram.wait_for_messages(1, 1)
    await sender.stop()
    attempts = [r for r in telegram.requests_for("sendMessage") if r.chat_id == 1]
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].timestamp - attempts[0].timestamp >= 0.95


async def test_server_errors_are_retried_then_given_up_with_the_reason(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    telegram.fail_next(2, status=502, chat_id=1)
    telegram.fail_next(10, status=500, chat_id=2)
    await queue_alerts(storage, {1: "private", 2: "private"}, ["Banjir Serang"])
    sender = await run_sender(bot, storage)
    await telegram.wait_for_messages(1, 1)
    await telegram.wait_for(
        lambda tg: sum(r.chat_id == 2 for r in tg.requests_for("sendMessage")) == 3
    )
    await sender.stop()
    counts = await storage.delivery_counts(0)
    assert counts == {"sent": 1, "failed": 1}


async def test_blocked_and_unknown_chats_are_deactivated_and_dropped(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    telegram.block(1)
    telegram.forget_chat(2)
    await queue_alerts(storage, {1: "private", 2: "private", 3: "private"}, ["A1", "A2"])
    sender = await run_sender(bot, storage)
    await telegram.wait_for_messages(3, 2)
    await sender.stop()
    assert await storage.active_chat_ids() == [3]
    tried = {r.chat_id for r in telegram.requests_for("sendMessage") if r.status != 200}
    assert tried == {1, 2}
    assert len(telegram.requests_for("sendMessage")) == 4  # one try each for 1 and 2
    assert await storage.outbox_backlog() == 0


async def test_a_migrated_group_gets_its_alert_at_the_new_id(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    telegram.migrate_chat(-100, -100200)
    await queue_alerts(storage, {-100: "group"}, ["Banjir Serang"])
    moved: list[tuple[int, int]] = []
    sender = Sender(
        bot, storage, time.time, FAST_RETRIES, on_chat_migrated=lambda a, b: moved.append((a, b))
    )
    sender.start()
    await telegram.wait_for_messages(-100200, 1)
    await sender.stop()
    assert moved == [(-100, -100200)]
    assert await storage.active_chat_ids() == [-100200]


async def test_a_message_telegram_refuses_does_not_hold_up_the_rest(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    telegram.fail_next(status=400, description="Bad Request: can't parse entities", chat_id=1)
    await queue_alerts(storage, {1: "private"}, ["Pertama", "Kedua"])
    sender = await run_sender(bot, storage)
    await telegram.wait_for_messages(1, 1)
    await sender.stop()
    assert alert_titles(telegram, 1) == ["Kedua"]
    assert await storage.delivery_counts(0) == {"sent": 1, "failed": 1}


async def test_after_an_outage_every_alert_arrives_in_order(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    telegram.fail_next(12, status=502, method="*")
    titles = [f"Berita {n}" for n in range(5)]
    await queue_alerts(storage, {1: "private", 2: "private"}, titles)
    limits = SendLimits(max_attempts=3, max_backoff=0.5, outage_after=3)
    # The outage's pauses and retries pass on a virtual clock: the order is what is checked.
    clock = VirtualClock()
    sender = Sender(
        bot, storage, clock.wall, limits, wall=clock.wall, monotonic=clock, sleep=clock.sleep
    )
    sender.start()
    await telegram.wait_for(lambda tg: len(tg.sent) == 10, timeout=30)
    await sender.stop()
    assert alert_titles(telegram, 1) == titles
    assert alert_titles(telegram, 2) == titles
    assert await storage.delivery_counts(0) == {"sent": 10}


async def test_a_message_claimed_by_a_process_that_died_goes_out_after_restart(
    telegram: TelegramStandIn, storage: Storage, bot: Bot
) -> None:
    await queue_alerts(storage, {1: "private"}, ["Banjir Serang", "Banjir Lebak"])
    (first,) = await storage.pending_outbox(time.time(), 10)
    # A sender claimed it and died before Telegram answered.
    assert await storage.claim_delivery(first.id, claim=12345)
    sender = await run_sender(bot, storage)
    await telegram.wait_for_messages(1, 2)
    await sender.stop()
    assert alert_titles(telegram, 1) == ["Banjir Serang", "Banjir Lebak"]
    assert await storage.delivery_counts(0) == {"sent": 2}


class ResumedWhileRead(Storage):
    """The real storage; chat 7 resumes, and wakes the sender, just as it reads the outbox."""

    sender: Sender | None = None

    async def pending_outbox(self, now: float, limit: int) -> list[OutboxEntry]:
        entries = await super().pending_outbox(now, limit)
        chat = await self.get_chat(7)
        if self.sender is not None and chat is not None and chat.paused:
            await self.update_chat(7, paused=False)
            self.sender.wake()
        return entries


async def never(_: float) -> None:
    """A sleep that never ends: only a wake-up moves the sender on."""
    await asyncio.Event().wait()


async def test_a_chat_resumed_while_the_sender_reads_the_outbox_gets_its_alert_at_once(
    telegram: TelegramStandIn, database: Path | str, bot: Bot
) -> None:
    storage = ResumedWhileRead(database)
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed("http://127.0.0.1/f", "ANTARA Banten", "Banten")])
        await queue_alerts(storage, {7: "private"}, ["Banjir satu"])
        await storage.update_chat(7, paused=True)
        sender = Sender(bot, storage, time.time, SendLimits(), sleep=never)
        storage.sender = sender
        sender.start()
        await telegram.wait_for_messages(7, 1, timeout=30)
        await sender.stop()
    finally:
        await storage.close()
    assert alert_titles(telegram, 7) == ["Banjir satu"]
