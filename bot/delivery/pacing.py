"""Pacing: calls to Telegram go evenly at a steady rate, and never more than it allows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.config import PaidRule
from bot.delivery.budget import BudgetStore, SharedBudget
from storage import DATABASE_ERRORS, StorageClosedError

log = logging.getLogger(__name__)
# What reaching the shared budget may raise: then this process paces its calls alone.
_BUDGET_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError)
ALONE_AFTER_FAILURE_SECONDS = 5.0

JSONDict = dict[str, Any]
# Telegram's parameter for a message sent beyond the free rate, charged in Stars.
PAID = "allow_paid_broadcast"


class Pacer:
    """One call every 1/rate seconds, on a fixed grid of turns.

    A leaky bucket of size one loses whatever the event loop oversleeps on every turn (about
    3 % at 29/s); keeping the turns on a grid gives that time back on the next turn, so the
    long-run rate is the configured one while no turn ever comes early. After an idle spell the
    grid restarts at the present: no burst to catch up.
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not per_second > 0:
            raise ValueError(f"per_second must be positive, got {per_second!r}")
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next_turn = -math.inf

    async def wait(self) -> None:
        """Return at this caller's turn."""
        now = self._now()
        turn = max(now, self._next_turn)
        # Reserved before sleeping, so that concurrent callers get successive turns.
        self._next_turn = turn + self._interval
        if turn > now:
            await self._sleep(turn - now)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()


class AnsweredWindow:
    """At most `limit` calls in any `seconds` as the server counts them, whatever the jitter.

    A call reaches the server some time between leaving and being answered, so calls that left
    evenly spaced can arrive bunched. A call leaves only while fewer than `limit` calls are in
    flight or were answered within the last `seconds`: of any `limit + 1` calls arriving within
    `seconds` of each other, the last to leave would have found the others in flight or freshly
    answered, and waited.
    """

    def __init__(self, limit: int, seconds: float) -> None:
        if limit < 1 or not seconds > 0:
            raise ValueError(f"need limit >= 1 and seconds > 0, got {limit!r}, {seconds!r}")
        self._limit = limit
        self._seconds = seconds
        self._in_flight = 0
        self._answered: deque[float] = deque()
        self._changed = asyncio.Event()
        self._waiting = 0

    def has_room(self) -> bool:
        """Whether a call could leave now without waiting, and nobody is waiting before it."""
        self._forget_old(asyncio.get_running_loop().time())
        return not self._waiting and self._in_flight + len(self._answered) < self._limit

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a place for one call, from leaving until its answer is in."""
        await self._admit()
        try:
            yield
        finally:
            self._leave()

    @contextlib.asynccontextmanager
    async def counted(self) -> AsyncIterator[None]:
        """Count one call that goes whether or not there is room, once no call waits for room.

        (Calls that always go would otherwise keep a full window full for ever.)
        """
        while self._waiting:
            await self._changed.wait()
        self._in_flight += 1
        try:
            yield
        finally:
            self._leave()

    def _leave(self) -> None:
        self._in_flight -= 1
        self._answered.append(asyncio.get_running_loop().time())
        self._notify()

    def _notify(self) -> None:
        # Every waiter looks again; those that find no room go back to waiting.
        self._changed.set()
        self._changed = asyncio.Event()

    async def _admit(self) -> None:
        while True:
            now = asyncio.get_running_loop().time()
            self._forget_old(now)
            if self._in_flight + len(self._answered) < self._limit:
                self._in_flight += 1
                return
            # Room comes when a call in flight is answered or the oldest answer ages out.
            ages_out = self._answered[0] + self._seconds - now if self._answered else None
            self._waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), ages_out)
            finally:
                self._waiting -= 1
                if not self._waiting:
                    self._notify()  # counted calls held back for it may go

    def _forget_old(self, now: float) -> None:
        while self._answered and self._answered[0] <= now - self._seconds:
            self._answered.popleft()


class RateLimiter(BaseRateLimiter[None]):
    """One bot-wide budget for every call to Telegram: alerts, replies, edits, button answers.

    Calls take turns from one Pacer at `per_second`, which lets at most `per_second + 1` leave in
    any second; an AnsweredWindow makes that also hold for their arrival at Telegram.
    (python-telegram-bot never passes getUpdates through a rate limiter.)

    With `free_per_second`, only that many calls a second go free: a call that carries
    `allow_paid_broadcast` (the sender's messages, when the operator pays) keeps it only when the
    free budget is spent, and goes free otherwise; any other call waits for the free budget, and
    goes before the paid ones when it has room. Without it, no call ever goes paid. `paid_rule`
    says what the free budget counts: under STRICT every call (a free one goes only while fewer
    than `free_per_second` calls of any kind left within the second), under LENIENT the free
    calls only (Telegram does not document which).

    Once `share_budget` gave it the database, calls take their turns from the budget every
    process shares (bot.delivery.budget) instead of this process's Pacer, so the sum over all
    processes keeps to the rate, and the free part to the free rate; the windows still hold
    this process's own calls to the limits whatever the network's jitter. A 429 that asks the
    whole bot to wait pauses the senders of every other process too (this process's own sender
    pauses itself; replies go on). Should the database fail, a call falls back to this
    process's Pacer.
    """

    def __init__(
        self,
        per_second: float,
        *,
        free_per_second: int | None = None,
        paid_rule: PaidRule = PaidRule.STRICT,
    ) -> None:
        self._per_second = per_second
        self._free_per_second = free_per_second
        self._strict = paid_rule is PaidRule.STRICT
        self._pacer = Pacer(per_second)
        self._window = AnsweredWindow(math.floor(per_second) + 1, 1.0)
        self._free = AnsweredWindow(free_per_second, 1.0) if free_per_second else None
        self._shared: SharedBudget | None = None
        self._alone_until = 0.0  # monotonic: the shared budget failed, not asked before then

    def share_budget(self, store: BudgetStore, *, clock: Callable[[], float] = time.time) -> None:
        """Take every call's turn from the budget all processes share in the database.

        `clock` is the time all processes share: the database server's (bot.ops.clock).
        """
        self._shared = SharedBudget(
            store, self._per_second, self._free_per_second, strict=self._strict, clock=clock
        )

    def stop_sharing(self) -> None:
        """Back to this process's own Pacer (the database is about to close)."""
        self._shared = None

    @classmethod
    def for_send_rate(cls, send_rate: int, *, paid_rule: PaidRule = PaidRule.STRICT) -> RateLimiter:
        """The budget of WARTA_SEND_RATE: at most that many calls a second, the free 30 first
        (which WARTA_PAID_RULE counts)."""
        # The pacer's grid lets one call more than its pace leave within a second: pace one
        # under the rate (below 10 a second, at 90 % of it, which keeps the same bound).
        pace = max(send_rate - 1, 0.9 * send_rate)
        free = FloodLimit.MESSAGES_PER_SECOND
        return cls(pace, free_per_second=free if send_rate > free else None, paid_rule=paid_rule)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Make the call at its turn, once the window has room; paid only beyond the free rate."""
        free_turn = await self._turn(data)
        async with self._window.slot(), self._free_or_paid(data, free_turn):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                await self._pause_everyone(error, data)
                raise

    async def _turn(self, data: dict[str, Any]) -> bool | None:
        """Wait for this call's turn: whether the shared budget lets it go free (None: local)."""
        shared = self._shared
        if shared is not None and time.monotonic() >= self._alone_until:
            needs_free = self._free is not None and not data.get(PAID)
            try:
                # Only the sender's messages say whether they may be paid: they heed pauses.
                return await shared.turn(needs_free=needs_free, heeds_pause=PAID in data)
            except _BUDGET_ERRORS as error:
                # Each call asking the database again would only log the same error again.
                self._alone_until = time.monotonic() + ALONE_AFTER_FAILURE_SECONDS
                log.error(
                    "send budget not reached, this process paces its calls alone for %gs reason=%s",
                    ALONE_AFTER_FAILURE_SECONDS,
                    error,
                )
        await self._pacer.wait()
        return None

    async def _pause_everyone(self, error: RetryAfter, data: dict[str, Any]) -> None:
        """A 429 for the bot as a whole (not one group's limit) pauses every process's senders."""
        shared = self._shared
        chat_id = data.get("chat_id")
        if shared is None or (chat_id is not None and not _is_private(chat_id)):
            return
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        try:
            await shared.pause(seconds)
        except _BUDGET_ERRORS as failure:
            log.error("pause not shared with the other processes reason=%s", failure)

    @contextlib.asynccontextmanager
    async def _free_or_paid(
        self, data: dict[str, Any], free_turn: bool | None
    ) -> AsyncIterator[None]:
        """Send the call free if the free budget allows; paid only if it may be, and must be."""
        paid_turn = free_turn is False
        if self._free is None:
            # Nothing goes beyond the free rate: nothing is paid for.
            data.pop(PAID, None)
            yield
        elif paid_turn or (data.get(PAID) and not self._free.has_room()):
            # The shared budget gives a turn that is not free only to a call that may be paid.
            if self._strict:
                # Read strictly, a paid message counts toward the free 30 a second too.
                async with self._free.counted():
                    yield
            else:
                yield
        else:
            # Telegram charges for every message that carries the flag: never for a free one.
            data.pop(PAID, None)
            async with self._free.slot():
                yield


def _is_private(chat_id: object) -> bool:
    """Whether a chat id names a user; groups and channels are negative ids or @names."""
    return isinstance(chat_id, int) and chat_id > 0
