"""This process's draw on the bot-wide send budget, a grid of turns kept in the database.

Every process that talks to Telegram reserves turns of one shared grid (storage/budget.py), a
few at a time: never more than HOLD_SECONDS of it ahead, so a process that dies strands next to
nothing and busy processes take turns fairly. Each call waits for a turn it holds and leaves at
that moment. A turn is only good for LATE_SECONDS: one used later would arrive at Telegram
bunched with other processes' later turns, so an overslept turn is given up and the call takes
the next. Hence the grid runs a little under the rate: `rate - 1` calls a second on the grid
(the grid's own "+1" in any second), spread over `1 + LATE_SECONDS` seconds at worst, and room
for calls that reach Telegram bunched (JITTER_SECONDS).

Beyond Telegram's free 30 a second, the first few turns of a reservation go free when the free
grid allows (at most FREE_BATCH at once, so the free grid runs at 30 - FREE_BATCH - 1, spread
the same way and over the slack it may catch up); the others go as paid broadcasts, and a call
that may not be paid for (a reply) waits for a free turn.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from storage.budget import SendTurns

# A process reserves at most this much of the budget ahead of its calls.
HOLD_SECONDS = 0.1
# How late a call may leave after its turn; later, the turn is given up.
LATE_SECONDS = 0.02
# Calls that left in turn may still reach Telegram this much bunched (a busy machine, a network):
# the grid leaves room for it.
JITTER_SECONDS = 0.03
# Free turns granted at once; the free grid leaves room for them within Telegram's second.
FREE_BATCH = 3
# How far the free grid may have fallen behind and still be caught up with.
FREE_SLACK_SECONDS = 0.1


class BudgetStore(Protocol):
    """Where the shared grid lives (storage.Storage)."""

    async def reserve_send_turns(
        self,
        now: float,
        calls: int,
        per_second: float,
        free: int,
        free_per_second: float,
        free_slack: float = 0.0,
    ) -> SendTurns:
        """Reserve turns of the grid."""
        ...

    async def pause_sending(self, until: float) -> None:
        """No turn for anyone before `until`."""
        ...


@dataclass(frozen=True, slots=True)
class _Turn:
    at: float  # Unix time
    free: bool


def grid_rate(per_second: float) -> float:
    """Turns a second on the shared grid for calls paced at per_second within one process."""
    return per_second / (1 + LATE_SECONDS + JITTER_SECONDS)


def free_grid_rate(free_per_second: int) -> float:
    """Turns a second on the shared free grid, for Telegram's free limit."""
    spread = 1 + LATE_SECONDS + JITTER_SECONDS + FREE_SLACK_SECONDS
    return (free_per_second - FREE_BATCH - 1) / spread


class SharedBudget:
    """Turns for this process's calls, reserved from the grid every process shares.

    `clock` is wall time (Unix seconds): every process and machine reads the grid on it.
    Without `free_per_second` every turn goes free (the bot pays for nothing).
    """

    def __init__(
        self,
        store: BudgetStore,
        per_second: float,
        free_per_second: float | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._per_second = per_second
        self._free_per_second = free_per_second
        self._clock = clock
        self._sleep = sleep
        self._batch = max(1, math.floor(per_second * HOLD_SECONDS))
        self._turns: deque[_Turn] = deque()
        self._waiting = 0  # calls waiting for a turn, none held for them
        self._reserving = asyncio.Lock()

    async def turn(self, *, needs_free: bool = False) -> bool:
        """Return at this call's turn; whether it goes free. Raises what storage raises."""
        while True:
            now = self._clock()
            self._forget_before(now - LATE_SECONDS)
            turn = self._take(needs_free)
            if turn is None:
                self._waiting += 1
                try:
                    await self._reserve(needs_free)
                finally:
                    self._waiting -= 1
                continue
            if turn.at > now:
                await self._sleep(turn.at - now)
            if self._clock() - turn.at <= LATE_SECONDS:
                return turn.free
            # Overslept: leaving now could bunch with other processes' turns.

    async def pause(self, until: float) -> None:
        """Telegram asked to wait: nobody, in any process, takes a turn before `until`."""
        self._forget_before(until)
        await self._store.pause_sending(until)

    def _take(self, needs_free: bool) -> _Turn | None:
        """The earliest turn held (a free one if the call needs it), taken out of the stock."""
        for index, turn in enumerate(self._turns):
            if turn.free or not needs_free:
                del self._turns[index]
                return turn
        return None

    def _holds(self, needs_free: bool) -> bool:
        return any(turn.free or not needs_free for turn in self._turns)

    def _forget_before(self, moment: float) -> None:
        while self._turns and self._turns[0].at < moment:
            self._turns.popleft()

    async def _reserve(self, needs_free: bool) -> None:
        """Reserve as many turns as calls wait for (up to a batch); one reservation at a time."""
        async with self._reserving:
            if self._holds(needs_free):
                return  # another call's reservation brought one
            calls = min(self._batch, max(1, self._waiting - len(self._turns)))
            if self._free_per_second is None:
                granted = await self._store.reserve_send_turns(
                    self._clock(), calls, self._per_second, 0, 1.0
                )
                free = calls
            else:
                wanted = min(FREE_BATCH, calls)
                granted = await self._store.reserve_send_turns(
                    self._clock(),
                    calls,
                    self._per_second,
                    wanted,
                    self._free_per_second,
                    FREE_SLACK_SECONDS,
                )
                free = granted.free
            self._add(granted, free)
        if needs_free and not self._holds(needs_free):
            # The free grid is taken up to free_at: ask again then, not before.
            await self._sleep(max(0.0, granted.free_at - self._clock()))

    def _add(self, granted: SendTurns, free: int) -> None:
        # Turns this process held from before a pause must not be used.
        self._forget_before(granted.paused_until)
        interval = 1.0 / self._per_second
        for index in range(granted.calls):
            self._turns.append(_Turn(granted.first + index * interval, index < free))
