"""WARTA_SEND_RATE above Telegram's free 30/s: what goes beyond it is paid, and only that."""

from __future__ import annotations

import bisect
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import ExtBot

from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender, SendLimits
from bot.standin import FeedServer, TelegramStandIn
from bot.standin.telegram import RecordedRequest
from storage import Storage
from storage.models import FeedSeed
from tests.factories import register_readers
from tests.inprocess import ADMIN_ID, RunningBot, confirmation, current_text, received, running_bot
from tests.pipeline.test_send import queue_alerts

ANNOUNCEMENT = "Pemeliharaan server malam ini pukul 23.00 WIB"
FREE_PER_SECOND = 30
PAID_PER_SECOND = 1000
SEND_RATE = 100


def most_in_one_second(stamps: list[float]) -> int:
    """The most calls the stand-in saw within any one second."""
    ordered = sorted(stamps)
    counts = (i + 1 - bisect.bisect_right(ordered, t - 1.0) for i, t in enumerate(ordered))
    return max(counts, default=0)


def accepted_sends(telegram: TelegramStandIn) -> list[RecordedRequest]:
    """The messages Telegram took, in the order they arrived."""
    return [r for r in telegram.requests_for("sendMessage") if r.status == 200]


@pytest.fixture
async def fast_warta(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[RunningBot]:
    """The bot with WARTA_SEND_RATE=100."""
    feeds.publish("/banten.xml", [])
    async with running_bot(tmp_path, telegram, feeds, send_rate=SEND_RATE) as bot:
        yield bot


async def test_a_broadcast_beyond_the_free_rate_pays_only_for_what_is_beyond_it(
    fast_warta: RunningBot,
) -> None:
    telegram = fast_warta.telegram
    readers = await register_readers(fast_warta.services.storage, 5000, 400)
    await fast_warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.enforce_limits(per_second=FREE_PER_SECOND, paid_per_second=PAID_PER_SECOND)
    started = len(telegram.requests)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
    askers = list(range(8000, 8040))
    for chat_id in askers:
        telegram.user_says(chat_id, "/help")

    def everyone_answered(tg: TelegramStandIn) -> bool:
        delivered = received(tg, readers, ANNOUNCEMENT).values()
        return all(tg.messages_to(chat_id) for chat_id in askers) and all(delivered)

    await telegram.wait_for(everyone_answered, timeout=60)
    await telegram.wait_for(lambda tg: "selesai" in current_text(tg, confirm), timeout=60)
    assert telegram.rejected_429 == 0
    calls = [r for r in telegram.requests[started:] if r.method != "getUpdates"]
    sends = [r for r in calls if r.method == "sendMessage" and r.status == 200]
    # More than the free rate went out, and what went beyond it was paid for.
    assert any(r.paid for r in sends if r.chat_id in set(readers))
    # A reply is never paid for: it waits for the free budget, ahead of the broadcast.
    assert not any(r.paid for r in sends if r.chat_id in set(askers))
    # Never more than 30 free messages in a second, nor more than the rate in all.
    assert most_in_one_second([r.timestamp for r in sends if not r.paid]) <= FREE_PER_SECOND
    assert most_in_one_second([r.timestamp for r in calls]) <= SEND_RATE


async def test_at_the_default_rate_nothing_is_paid_for(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/banten.xml", [])
    async with running_bot(tmp_path, telegram, feeds) as warta:
        readers = await register_readers(warta.services.storage, 5000, 90)
        await warta.say(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
        confirm = await confirmation(telegram)
        telegram.enforce_limits(per_second=FREE_PER_SECOND, paid_per_second=PAID_PER_SECOND)
        telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
        await telegram.wait_for(
            lambda tg: all(received(tg, readers, ANNOUNCEMENT).values()), timeout=60
        )
    assert telegram.rejected_429 == 0
    assert len(accepted_sends(telegram)) > FREE_PER_SECOND
    assert not any(r.paid for r in telegram.requests)


async def test_per_chat_and_per_group_limits_hold_at_a_paid_rate(
    telegram: TelegramStandIn, storage: Storage
) -> None:
    chats = {chat_id: "private" for chat_id in range(1, 61)}
    chats |= {-chat_id: "supergroup" for chat_id in range(1, 21)}
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/f", "ANTARA Banten", "Banten")])
    await queue_alerts(storage, chats, ["Banjir satu", "Banjir dua", "Banjir tiga"])
    telegram.enforce_limits(
        per_second=FREE_PER_SECOND,
        per_group_per_minute=20,
        per_chat_per_second=1,
        paid_per_second=PAID_PER_SECOND,
    )
    limiter = RateLimiter.for_send_rate(SEND_RATE)
    base_url = f"{telegram.base_url}/bot"
    async with ExtBot(telegram.token, base_url=base_url, rate_limiter=limiter) as bot:
        sender = Sender(bot, storage, time.time, SendLimits(paid_broadcast=True))
        sender.start()
        for chat_id in chats:
            await telegram.wait_for_messages(chat_id, 3, timeout=60)
        await sender.stop()
    assert telegram.rejected_429 == 0
    assert await storage.outbox_backlog() == 0
    sends = accepted_sends(telegram)
    # The first round goes to all 80 chats at once: whatever of the free 30 the bot's other
    # calls (getMe) left goes free, only the rest is paid for.
    others = len([r for r in telegram.requests if r.method != "sendMessage"])
    first_round = sends[: len(chats)]
    assert sum(not r.paid for r in first_round) >= FREE_PER_SECOND - others
    assert any(r.paid for r in first_round)
    assert most_in_one_second([r.timestamp for r in sends if not r.paid]) <= FREE_PER_SECOND
    # As Telegram saw them: a private chat's messages a second apart, a group's three.
    for chat_id, chat_type in chats.items():
        stamps = [r.timestamp for r in sends if r.chat_id == chat_id]
        spacing = 1.0 if chat_type == "private" else 3.0
        assert all(b - a >= spacing for a, b in itertools.pairwise(stamps))


async def test_without_stars_the_refused_messages_go_at_the_free_rate_and_none_is_lost(
    telegram: TelegramStandIn, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    chats = {chat_id: "private" for chat_id in range(1, 81)}
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/f", "ANTARA Banten", "Banten")])
    await queue_alerts(storage, chats, ["Banjir satu"])
    telegram.enforce_limits(per_second=FREE_PER_SECOND, paid_per_second=PAID_PER_SECOND)
    telegram.stars_balance = 0.5  # five paid messages, then Telegram refuses
    limiter = RateLimiter.for_send_rate(SEND_RATE)
    base_url = f"{telegram.base_url}/bot"
    async with ExtBot(telegram.token, base_url=base_url, rate_limiter=limiter) as bot:
        sender = Sender(bot, storage, time.time, SendLimits(paid_broadcast=True))
        sender.start()
        for chat_id in chats:
            await telegram.wait_for_messages(chat_id, 1, timeout=60)
        await sender.stop()
    assert await storage.delivery_counts(0) == {"sent": len(chats)}
    assert telegram.rejected_429 == 0
    refused = [r for r in telegram.requests_for("sendMessage") if r.status == 400]
    assert refused
    assert all(r.paid for r in refused)
    assert sum(r.paid for r in accepted_sends(telegram)) == 5
    assert "paid broadcast refused" in caplog.text
