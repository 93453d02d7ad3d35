"""A virtual clock for the sender's pacing: every sleep moves the clock on at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter


class VirtualClock:
    """Monotonic time that passes only when someone sleeps, and then instantly.

    Waits measured on it cost no wall time, so a test of seconds-long spacing runs in
    milliseconds on any machine. `wall` is the matching wall clock, starting at the real now.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self._epoch = time.time() - self.now

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        """Wall time on this clock: the real time it started, plus what has passed since."""
        return self._epoch + self.now

    async def sleep(self, seconds: float) -> None:
        """Let `seconds` pass, then give the other tasks their turn."""
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class SendTimes(BaseRateLimiter[None]):
    """Lets every call straight through, noting on a clock when each message left and was answered.

    The sender spaces a chat's messages from Telegram's answer to the previous one, so that is
    the gap to measure: a virtual clock may run on while a request is in flight.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.left: list[float] = []
        self.answered: list[float] = []

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Make the call at once, noting the times of a sendMessage."""
        if endpoint != "sendMessage":
            return await callback(*args, **kwargs)
        self.left.append(self._clock())
        try:
            return await callback(*args, **kwargs)
        finally:
            self.answered.append(self._clock())

    def gaps(self) -> list[float]:
        """From each answer to the next message leaving."""
        pairs = zip(self.answered, self.left[1:], strict=False)
        return [left - answered for answered, left in pairs]
