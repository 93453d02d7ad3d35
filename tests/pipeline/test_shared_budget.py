"""One send budget for every process: together they keep to WARTA_SEND_RATE and the free 30/s.

Each `process` here is a bot with its own RateLimiter and its own connection to the database,
as separate processes have; they share nothing but the database and Telegram.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from pathlib import Path

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import PaidRule
from bot.delivery.budget import (
    COUNTED_SECONDS,
    FREE_LIMIT,
    HOLD_SECONDS,
    SharedBudget,
    shared_rate,
    trailing_turns,
)
from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import SendLimits
from bot.ops.clock import ServerClock
from bot.standin import TelegramStandIn
from bot.standin.telegram import RecordedRequest
from storage import Storage, is_postgres_url
from tests.inprocess import RunningBot

FREE_PER_SECOND = 30
TEXT = "Banjir rendam tiga desa di Serang"


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """One database for every process of a test, on each engine."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "warta.db"


@contextlib.asynccontextmanager
async def process(
    telegram: TelegramStandIn,
    database: Path | str,
    send_rate: int,
    paid_rule: PaidRule = PaidRule.STRICT,
    *,
    local_clock: Callable[[], float] = time.time,
) -> AsyncIterator[ExtBot[None]]:
    """A bot as one process of Warta runs it: its own limiter drawing from the shared budget,
    on the database server's clock (its machine's is `local_clock`)."""
    storage = Storage(database)
    await storage.open()
    clock = ServerClock(local_clock)
    if is_postgres_url(database):
        await clock.measure(storage)
    limiter = RateLimiter.for_send_rate(send_rate, paid_rule=paid_rule)
    limiter.share_budget(storage, clock=clock)
    try:
        async with ExtBot(
            telegram.token,
            base_url=f"{telegram.base_url}/bot",
            rate_limiter=limiter,
            request=HTTPXRequest(connection_pool_size=32),
        ) as bot:
            yield bot
    finally:
        limiter.stop_sharing()
        await storage.close()


async def send_all(bot: ExtBot[None], chats: Iterable[int], *, paid: bool = False) -> None:
    """One message to each chat, as the sender sends them: up to its 16 in flight."""
    in_flight = asyncio.Semaphore(SendLimits().max_in_flight)

    async def send(chat_id: int) -> None:
        async with in_flight:
            await bot.send_message(chat_id, TEXT, allow_paid_broadcast=True if paid else None)

    await asyncio.gather(*(send(chat_id) for chat_id in chats))


def most_in_one_second(stamps: Iterable[float]) -> int:
    """The most calls the stand-in saw within any one second."""
    ordered = sorted(stamps)
    counts = (i + 1 - bisect.bisect_right(ordered, t - 1.0) for i, t in enumerate(ordered))
    return max(counts, default=0)


def sends(telegram: TelegramStandIn) -> list[RecordedRequest]:
    return telegram.requests_for("sendMessage")


async def test_two_processes_together_keep_to_the_send_rate(
    telegram: TelegramStandIn, shared_database: Path | str
) -> None:
    telegram.enforce_limits(per_second=30)
    async with (
        process(telegram, shared_database, 30) as first,
        process(telegram, shared_database, 30) as second,
    ):
        # Each alone may send 30 a second; the two at once, only 30 between them.
        await asyncio.gather(send_all(first, range(1, 76)), send_all(second, range(101, 176)))
    assert telegram.rejected_429 == 0
    assert len([r for r in sends(telegram) if r.status == 200]) == 150
    assert most_in_one_second(r.timestamp for r in telegram.requests) <= 30


async def test_a_process_whose_clock_is_fast_does_not_hold_up_the_others(
    telegram: TelegramStandIn, postgres_url: str
) -> None:
    # Another machine, its clock 600 s ahead: on it, the grid's next turn would be 600 s away
    # for everyone else.
    async with (
        process(telegram, postgres_url, 30, local_clock=lambda: time.time() + 600) as ahead,
        process(telegram, postgres_url, 30) as other,
    ):
        await send_all(ahead, range(1, 11))
        # Hung, not slow, if the other process had to wait for the fast clock's turns.
        async with asyncio.timeout(60):
            await send_all(other, range(101, 111))
    assert len([r for r in sends(telegram) if r.status == 200]) == 20


async def test_the_running_bot_shares_its_budget_with_another_process(
    warta: RunningBot, database: Path | str
) -> None:
    telegram = warta.telegram
    telegram.enforce_limits(per_second=30)
    askers = range(8000, 8040)
    async with process(telegram, database, 30) as other:
        for chat_id in askers:
            telegram.user_says(chat_id, "/help")
        # Its replies and the other process's messages: 30 a second between them.
        await send_all(other, range(1, 61))
        await telegram.wait_for(lambda tg: all(tg.messages_to(c) for c in askers), timeout=60)
    assert telegram.rejected_429 == 0
    calls = [r.timestamp for r in telegram.requests if r.method != "getUpdates"]
    assert most_in_one_second(calls) <= 30


def most_before_a_free_one(accepted: list[RecordedRequest], counted: PaidRule) -> int:
    """The most messages Telegram had taken within the second before a free one arrived:
    every message (strictly), or the free ones only (leniently)."""
    most = 0
    for index, message in enumerate(accepted):
        if not message.paid:
            before = accepted[:index]
            counts = [r for r in before if counted is PaidRule.STRICT or not r.paid]
            most = max(most, sum(r.timestamp > message.timestamp - 1.0 for r in counts))
    return most


@pytest.mark.parametrize("paid_rule", list(PaidRule))
async def test_beyond_the_free_rate_in_total_the_rest_is_paid_and_replies_never_are(
    telegram: TelegramStandIn, shared_database: Path | str, paid_rule: PaidRule
) -> None:
    send_rate = 60
    telegram.enforce_limits(
        per_second=FREE_PER_SECOND, paid_per_second=send_rate, paid_rule=paid_rule
    )
    async with (
        process(telegram, shared_database, send_rate, paid_rule) as first,
        process(telegram, shared_database, send_rate, paid_rule) as second,
        process(telegram, shared_database, send_rate, paid_rule) as replies,
    ):
        await asyncio.gather(
            send_all(first, range(1, 201), paid=True),
            send_all(second, range(1001, 1201), paid=True),
            # Replies to commands may never be paid for: they wait for free turns.
            send_all(replies, range(5001, 5041)),
        )
    assert telegram.rejected_429 == 0
    accepted = [r for r in sends(telegram) if r.status == 200]
    assert len(accepted) == 440
    assert not any(r.paid for r in accepted if r.chat_id in range(5001, 5041))
    # Whatever would have been beyond the free 30 of its second, as the operator reads them,
    # went paid: the 31st message of a second (strictly), the 31st free one (leniently).
    assert most_before_a_free_one(accepted, paid_rule) < FREE_PER_SECOND
    for chats in (range(1, 201), range(1001, 1201)):
        assert any(r.paid for r in accepted if r.chat_id in chats)
    if paid_rule is PaidRule.LENIENT:
        # Both senders also had free turns: the free 30 are used.
        for chats in (range(1, 201), range(1001, 1201)):
            assert any(not r.paid for r in accepted if r.chat_id in chats)
    assert most_in_one_second(r.timestamp for r in telegram.requests) <= send_rate


async def test_a_429_seen_by_one_process_pauses_the_senders_of_every_other(
    telegram: TelegramStandIn, shared_database: Path | str
) -> None:
    pause_seconds = 5
    async with (
        process(telegram, shared_database, 30) as first,
        process(telegram, shared_database, 30) as second,
        process(telegram, shared_database, 30) as replies,
    ):
        sender = asyncio.create_task(keep_sending(second, range(1001, 2001)))
        await telegram.wait_for(lambda tg: len(sends(tg)) >= 20, timeout=60)
        telegram.fail_next(status=429, retry_after=pause_seconds, chat_id=1)
        with pytest.raises(RetryAfter):
            await first.send_message(1, TEXT, allow_paid_broadcast=False)
        # A reply to a command is not an outbox message: it need not wait for the pause.
        await replies.send_message(5001, TEXT)
        refused_at = next(r.timestamp for r in sends(telegram) if r.status == 429)
        ends_at = refused_at + pause_seconds
        await telegram.wait_for(lambda tg: sends(tg)[-1].timestamp >= ends_at, timeout=60)
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
    during = [r for r in sends(telegram) if refused_at < r.timestamp < ends_at - 0.1]
    # The reply, and what the other sender had already taken turns for (a tenth of a second).
    assert [r.chat_id for r in during if r.chat_id == 5001] == [5001]
    assert len(during) <= 4


async def keep_sending(bot: ExtBot[None], chats: Iterable[int]) -> None:
    """Send one outbox message after another, as a busy sender does (free ones say so)."""
    for chat_id in chats:
        await bot.send_message(chat_id, TEXT, allow_paid_broadcast=False)


async def test_when_the_budget_cannot_be_reached_calls_still_go_paced_by_their_process(
    telegram: TelegramStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.enforce_limits(per_second=30)
    storage = Storage(tmp_path / "warta.db")
    await storage.open()
    limiter = RateLimiter.for_send_rate(30)
    limiter.share_budget(storage)
    async with ExtBot(
        telegram.token,
        base_url=f"{telegram.base_url}/bot",
        rate_limiter=limiter,
        request=HTTPXRequest(connection_pool_size=32),
    ) as bot:
        # The database goes away under the running bot (closed here, a lost server elsewhere).
        await storage.close()
        await send_all(bot, range(1, 41))
    assert telegram.rejected_429 == 0
    assert len([r for r in sends(telegram) if r.status == 200]) == 40
    assert caplog.text.count("send budget not reached") == 1


class TurnClock:
    """Time that moves only when its callers sleep, earliest waker first: turns are counted,
    whatever the machine's speed."""

    def __init__(self, start: float) -> None:
        self.now = start
        self._wakes: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake = self.now + max(0.0, seconds)
        self._wakes.append(wake)
        try:
            while min(self._wakes) < wake:  # noqa: ASYNC110 - nothing to signal: time is polled
                await asyncio.sleep(0)
            self.now = max(self.now, wake)
        finally:
            self._wakes.remove(wake)


async def take_turns(sender: SharedBudget, clock: TurnClock, until: float) -> list[float]:
    """A busy sender's turns until `until` (on `clock`): when each came."""
    taken: list[float] = []
    while clock() < until:
        await sender.turn(heeds_pause=True)
        taken.append(clock())
    return taken


async def test_a_reply_costs_the_senders_one_short_drain_and_a_burst_of_replies_the_same(
    shared_database: Path | str,
) -> None:
    # Read strictly, at WARTA_SEND_RATE=60 two processes share the budget: a busy sender and the
    # process answering commands.
    storage = Storage(shared_database)
    await storage.open()
    clock = TurnClock(1_000_000.0)
    per_second = 59.0  # RateLimiter.for_send_rate(60)'s pace
    budget = partial(SharedBudget, storage, per_second, FREE_PER_SECOND, strict=True, clock=clock)
    sender, replies = budget(sleep=clock.sleep), budget(sleep=clock.sleep)
    skipped: list[int] = []
    try:
        await replies.turn(needs_free=True)  # the grid is shared from the start
        before = await take_turns(sender, clock, clock() + 2)
        for burst in (1, 8):
            # Every reply of the burst goes free, none waiting behind the sender's turns.
            assert all(await asyncio.gather(*(replies.turn(needs_free=True) for _ in range(burst))))
            after = await take_turns(sender, clock, clock() + 2)
            # The sender's turns that did not come between its last before and first after.
            gap = after[0] - before[-1]
            skipped.append(round(gap * shared_rate(per_second)) - 1 - burst)
            before = after
    finally:
        await storage.close()
    one, burst = skipped
    # The second before a reply must hold few enough turns for it to go free: as many as the
    # grid put in it beyond that (and the few turns the sender held) are skipped, no more.
    room = FREE_LIMIT - 1 - trailing_turns(per_second)
    held = math.floor(per_second * HOLD_SECONDS)
    assert one <= math.ceil(shared_rate(per_second) * COUNTED_SECONDS) - room + held
    # Eight replies at once cost the same drain, and one more turn each to age out.
    assert burst <= one + 8
