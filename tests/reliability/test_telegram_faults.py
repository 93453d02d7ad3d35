"""Faults on the way to Telegram: every alert arrives, in order, and only drops duplicate."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.delivery.sender import SendLimits
from bot.standin import TelegramStandIn
from tests.reliability.outbox import (
    FAST,
    arrivals,
    drained,
    first_arrivals,
    headline,
    queued_alerts,
    sending,
)

KINDS = ("429", "500", "502", "drop before accepting", "drop after accepting")
MOST_FAULTS_PER_CHAT = 2  # a message meets at most two faults: far from max_attempts


def inject_faults(telegram: TelegramStandIn, chats: int, count: int, seed: int) -> Counter[str]:
    """count faults of every kind in turn, each for the next send to a random chat."""
    pick = random.Random(seed)
    per_chat: Counter[int] = Counter()
    injected: Counter[str] = Counter()
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        chat_id = pick.choice(
            [c for c in range(1, chats + 1) if per_chat[c] < MOST_FAULTS_PER_CHAT]
        )
        per_chat[chat_id] += 1
        injected[kind] += 1
        if kind.startswith("drop"):
            telegram.drop_connection_next(
                after_accept=kind.endswith("after accepting"), chat_id=chat_id
            )
        else:
            telegram.fail_next(status=int(kind), chat_id=chat_id)
    return injected


def answered(telegram: TelegramStandIn) -> Counter[int]:
    return Counter(r.status for r in telegram.requests_for("sendMessage"))


async def deliver_through_faults(
    database: Path | str, telegram: TelegramStandIn, chats: int, items: int, seed: int
) -> None:
    alerts = chats * items
    async with queued_alerts(database, chats, items) as storage:
        injected = inject_faults(telegram, chats, alerts // 10, seed)  # 10 % of the sends
        async with sending(telegram, storage, FAST):
            await drained(storage, timeout=120)
        assert await storage.delivery_counts(0) == {"sent": alerts}
    statuses = answered(telegram)
    assert statuses[429] == injected["429"]
    assert statuses[500] == injected["500"]
    assert statuses[502] == injected["502"]
    assert statuses[0] == injected["drop before accepting"] + injected["drop after accepting"]
    published = [headline(n) for n in range(items)]
    for chat_id in range(1, chats + 1):
        assert first_arrivals(telegram, chat_id) == published, chat_id
    duplicates = len(telegram.sent) - alerts
    assert duplicates <= injected["drop after accepting"]


async def test_faults_on_a_tenth_of_the_sends_lose_nothing(
    database: Path | str, telegram: TelegramStandIn
) -> None:
    await deliver_through_faults(database, telegram, chats=25, items=10, seed=7)


@pytest.mark.slow
async def test_faults_on_a_tenth_of_two_thousand_sends_lose_nothing(
    database: Path | str, telegram: TelegramStandIn
) -> None:
    # 40 of the faults are 429s: each holds every private chat back for a second, by design.
    await deliver_through_faults(database, telegram, chats=200, items=10, seed=2024)


OUTAGE_SECONDS = 3.0


# Its figure is a wall-clock bound on catching up; tests/pipeline/test_send.py checks the order.
@pytest.mark.slow
async def test_after_telegram_was_down_every_alert_arrives_in_order_and_soon(
    database: Path | str, telegram: TelegramStandIn
) -> None:
    chats, items = 30, 5
    # Telegram's own backoff ceiling (300 s); only the rate is relaxed, to keep this short.
    limits = SendLimits(per_second=200.0, private_chat_interval=0.0)
    async with queued_alerts(database, chats, items) as storage:
        telegram.fail_next(1_000_000, status=502)
        async with sending(telegram, storage, limits):
            await telegram.wait_for(lambda tg: answered(tg)[502] >= 3)
            await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself: Telegram answers 502
            failed_during_outage = answered(telegram)[502]
            telegram.clear_faults()
            recovered = time.monotonic()
            await drained(storage, timeout=60)
            caught_up = time.monotonic() - recovered
        assert await storage.delivery_counts(0) == {"sent": chats * items}
    published = [headline(n) for n in range(items)]
    for chat_id in range(1, chats + 1):
        assert arrivals(telegram, chat_id) == published
    # The sender paused instead of hammering, and its pause did not outlast the outage by
    # minutes: doubled per round of failures it ends within about twice the outage (a few
    # seconds); doubled per failure it would reach the 300 s ceiling. 30 s lies far from both.
    assert failed_during_outage <= 4 * limits.max_in_flight
    assert caught_up < 30


async def test_an_error_telegram_does_not_explain_is_retried_then_recorded_not_looped(
    database: Path | str, telegram: TelegramStandIn
) -> None:
    # 404 and 409 have no python-telegram-bot class of their own beyond TelegramError.
    telegram.fail_next(1000, status=404, description="Not Found", chat_id=1)
    telegram.fail_next(1, status=409, description="Conflict: try again", chat_id=2)
    limits = SendLimits(per_second=200.0, private_chat_interval=0.0, max_backoff=0.05)
    async with queued_alerts(database, 3, 1) as storage:
        async with sending(telegram, storage, limits):
            await drained(storage, timeout=30)
        assert await storage.delivery_counts(0) == {"sent": 2, "failed": 1}
    tries = Counter(r.chat_id for r in telegram.requests_for("sendMessage"))
    assert tries == {1: limits.max_attempts, 2: 2, 3: 1}
