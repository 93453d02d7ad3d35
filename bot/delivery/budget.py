"""This process's draw on the bot-wide send budget, a grid of turns kept in the database.

Every process that talks to Telegram reserves turns of one shared grid (storage/budget.py), a
few at a time: never more than HOLD_SECONDS of it ahead, so a process that dies strands next to
nothing and busy processes take turns fairly. Each call waits for a turn it holds and leaves at
that moment.

A process alone on the grid goes at its full pace: its RateLimiter's windows hold its calls to
Telegram's limits whatever the jitter, as they always did. While several take turns, nobody's
windows see the others' calls, so the grid leaves the room itself: a turn is only good for
LATE_SECONDS (one used later would arrive bunched with other processes' later turns, so an
overslept turn is given up and the call takes the next), and the grid runs at
`rate / (1 + LATE_SECONDS + JITTER_SECONDS)`, the last for calls that reach Telegram bunched.

Beyond Telegram's free 30 a second, the first few turns of a reservation go free when the free
grid allows (at most FREE_BATCH at once, so the shared free grid runs at 30 - FREE_BATCH - 1,
spread the same way and over the slack it may catch up); the others go as paid broadcasts, and
a call that may not be paid for (a reply) waits for a free turn.

Whether paid messages count toward the free 30 a second, Telegram does not say. Read leniently
they do not: the free grid counts free turns only. Read strictly (`strict`) every turn counts:
a turn goes free only while the turns every process was given within the last second (written
down in the database, COUNTED_SECONDS wide for calls arriving bunched) leave room for it below
FREE_LIMIT, one under Telegram's 30, so above 30 a second nearly every turn is paid. A call that
must go free (a reply) takes a turn at the first moment that count has room for it and for the
other replies waiting with it (one drain serves them all); the grid waits for it, and no longer.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from storage.budget import SendTurns, Spacing, TurnRequest

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
# Read strictly, a free turn goes only while fewer than this many turns (itself included) are
# within the second before it: one under Telegram's 30, against calls arriving bunched.
FREE_LIMIT = 29
# The second Telegram counts in, widened by how late and how bunched turns may reach it.
COUNTED_SECONDS = 1.0 + LATE_SECONDS + JITTER_SECONDS
# Replies (calls that must go free) reserved at once, read strictly: each costs the drain only the
# time one more turn takes to age out.
REPLY_BATCH = 10
# After another process's reservation, the grid counts as shared this long: its turns (held at
# most HOLD_SECONDS ahead) and the second Telegram counts them in must have passed.
SHARE_SECONDS = 1.0 + 2 * HOLD_SECONDS


class BudgetStore(Protocol):
    """Where the shared grid lives (storage.Storage)."""

    async def reserve_send_turns(self, now: float, request: TurnRequest) -> SendTurns:
        """Reserve turns of the grid."""
        ...

    async def pause_sending(self, until: float, by: int) -> None:
        """No sender in any process sends before `until`."""
        ...


@dataclass(frozen=True, slots=True)
class _Turn:
    at: float  # Unix time
    free: bool
    shared: bool  # other processes take turns too: it must not be used late


def shared_rate(per_second: float) -> float:
    """Turns a second on the grid while several processes share it."""
    return per_second / (1 + LATE_SECONDS + JITTER_SECONDS)


def shared_free_rate(free_per_second: int) -> float:
    """Free turns a second on the free grid while several processes share it."""
    spread = 1 + LATE_SECONDS + JITTER_SECONDS + FREE_SLACK_SECONDS
    return (free_per_second - FREE_BATCH - 1) / spread


def trailing_turns(per_second: float) -> int:
    """Turns given out after a free one that may still reach Telegram before it, bunched."""
    return math.ceil((LATE_SECONDS + JITTER_SECONDS) * per_second)


class SharedBudget:
    """Turns for this process's calls, reserved from the grid every process shares.

    `per_second` is this process's pace alone on the grid (its RateLimiter's); `clock` is the
    time every process and machine reads the grid on: the database server's (bot.ops.clock).
    Without `free_per_second` every turn goes free (the bot pays for nothing); `strict` reads
    Telegram's free rate as counting paid messages too.
    """

    def __init__(
        self,
        store: BudgetStore,
        per_second: float,
        free_per_second: int | None = None,
        *,
        strict: bool = False,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._free_per_second = free_per_second
        self._clock = clock
        self._sleep = sleep
        self._taker = random.getrandbits(62)
        self._spacing = Spacing(1.0 / per_second, 1.0 / shared_rate(per_second))
        free = free_per_second or 1
        self._free_spacing = Spacing(1.0 / free, 1.0 / shared_free_rate(free))
        self._batch = max(1, math.floor(per_second * HOLD_SECONDS))
        self._strict = strict
        self._trailing = trailing_turns(per_second)
        self._turns: deque[_Turn] = deque()
        self._waiting = 0  # calls waiting for a turn, none held for them
        self._waiting_free = 0  # of them, calls that must go free
        self._paused_until = 0.0  # the latest pause another process began (Unix time)
        self._reserving = asyncio.Lock()

    async def turn(self, *, needs_free: bool = False, heeds_pause: bool = False) -> bool:
        """Return at this call's turn; whether it goes free. Raises what storage raises.

        A call that heeds the pause (a sender's message) waits, as it comes, for the latest pause
        another process recorded, as far as this process's latest reservation told it; like a
        message already on its way when a 429 comes, one already waiting for its turn goes.
        (This process's own 429s pause its own sender, which knows of them first.)
        """
        while heeds_pause and self._paused_until > self._clock():
            await self._sleep(self._paused_until - self._clock())
        while True:
            now = self._clock()
            self._forget_late(now)
            turn = self._take(needs_free)
            if turn is None:
                self._waiting += 1
                self._waiting_free += needs_free
                try:
                    await self._reserve(needs_free)
                finally:
                    self._waiting -= 1
                    self._waiting_free -= needs_free
                continue
            if turn.at > now:
                await self._sleep(turn.at - now)
            if not turn.shared or self._clock() - turn.at <= LATE_SECONDS:
                return turn.free
            # Overslept: leaving now could bunch with other processes' turns.

    async def pause(self, seconds: float) -> None:
        """Telegram asked the bot to wait: no sender of another process sends for `seconds`."""
        await self._store.pause_sending(self._clock() + seconds, self._taker)

    def _take(self, needs_free: bool) -> _Turn | None:
        """The earliest turn held (a free one if the call needs it), taken out of the stock."""
        for index, turn in enumerate(self._turns):
            if turn.free or not needs_free:
                del self._turns[index]
                return turn
        return None

    def _holds(self, needs_free: bool) -> bool:
        return any(turn.free or not needs_free for turn in self._turns)

    def _forget_late(self, now: float) -> None:
        # A process alone may use a turn late: its windows keep its calls within the limits.
        while self._turns and self._turns[0].shared and self._turns[0].at < now - LATE_SECONDS:
            self._turns.popleft()

    async def _reserve(self, needs_free: bool) -> None:
        """Reserve as many turns as calls wait for (up to a batch); one reservation at a time."""
        async with self._reserving:
            if self._holds(needs_free):
                return  # another call's reservation brought one
            paying = self._free_per_second is not None
            wait_free = needs_free and paying and self._strict
            if wait_free:
                # Every reply waiting now, all of them free: one drain for them all.
                free_held = sum(turn.free for turn in self._turns)
                calls = min(REPLY_BATCH, max(1, self._waiting_free - free_held))
            else:
                calls = min(self._batch, max(1, self._waiting - len(self._turns)))
            request = TurnRequest(
                taker=self._taker,
                calls=calls,
                spacing=self._spacing,
                free=(calls if wait_free else min(FREE_BATCH, calls)) if paying else 0,
                free_spacing=self._free_spacing,
                free_slack=FREE_SLACK_SECONDS,
                share_seconds=SHARE_SECONDS,
                strict=self._strict,
                free_limit=FREE_LIMIT,
                counted_seconds=COUNTED_SECONDS,
                trailing=self._trailing,
                wait_free=wait_free,
            )
            granted = await self._store.reserve_send_turns(self._clock(), request)
            self._add(granted, granted.free if paying else calls)
        if needs_free and not self._holds(needs_free):
            # The free grid is taken up to free_at: ask again then, not before.
            await self._sleep(max(0.0, granted.free_at - self._clock()))

    def _add(self, granted: SendTurns, free: int) -> None:
        if granted.paused_by != self._taker:
            self._paused_until = max(self._paused_until, granted.paused_until)
        for index in range(granted.calls):
            at = granted.first + index * granted.interval
            self._turns.append(_Turn(at, index < free, granted.shared))
