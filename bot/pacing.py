"""Pacing: let calls through evenly at a steady rate, with no bursts and no drift."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable


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
