"""One clock for what processes share: the database server's, read on this machine's clock.

Send turns, heartbeats, claims and leases are times that processes compare with each other's.
On PostgreSQL the processes may run on several machines, whose clocks disagree: a process
whose clock runs 600 s fast would take turns 600 s ahead of every other sender, and a heartbeat
written 25 s slow would look dead while its process sends. So each process measures how far its
clock is from the server's (half the round trip either side), adds that offset to every time it
takes for shared state, and measures again every minute. On SQLite every process shares one
machine, and its clock: the offset stays 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from storage import DATABASE_ERRORS, StorageClosedError

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
# An offset beyond this is worth an operator's look (NTP not running, a VM resumed).
WARN_OFFSET_SECONDS = 1.0
# Each measure asks a few times and keeps the quickest answer: its reading is the closest.
SAMPLES = 3
# What measuring may raise: the last offset holds.
_MEASURE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError, LookupError)


class DatabaseClock(Protocol):
    """Where the server's time is read (storage.Storage)."""

    async def database_time(self) -> float:
        """The database's clock now, in Unix seconds."""
        ...


@dataclass(slots=True)
class _Offset:
    seconds: float = 0.0
    task: asyncio.Task[None] | None = None


class ServerClock:
    """Unix time on the database server's clock: `local` plus the offset measured last.

    Callable like `time.time`. `on(other)` reads another local clock (a test's) with the same
    offset, which is measured on this one.
    """

    def __init__(self, local: Callable[[], float] = time.time) -> None:
        self._local = local
        self._offset = _Offset()

    def __call__(self) -> float:
        return self._local() + self._offset.seconds

    @property
    def offset(self) -> float:
        """Seconds to add to this machine's clock to read the server's."""
        return self._offset.seconds

    def on(self, local: Callable[[], float]) -> ServerClock:
        """The same offset, added to another local clock."""
        clock = ServerClock(local)
        clock._offset = self._offset
        return clock

    async def measure(self, database: DatabaseClock) -> float:
        """Measure the offset now (logged when over a second); the offset."""
        round_trip, offset = min([await self._sample(database) for _ in range(SAMPLES)])
        self._offset.seconds = offset
        if abs(offset) > WARN_OFFSET_SECONDS:
            log.warning(
                "this machine's clock is %.1fs %s the database server's: shared times use the "
                "server's; check NTP offset=%.3f round_trip=%.3f",
                abs(offset),
                "behind" if offset > 0 else "ahead of",
                offset,
                round_trip,
            )
        return offset

    async def _sample(self, database: DatabaseClock) -> tuple[float, float]:
        """One reading of the server's clock: the round trip, and the offset at its middle."""
        sent = self._local()
        server = await database.database_time()
        answered = self._local()
        return answered - sent, server - (sent + answered) / 2

    async def follow(self, database: DatabaseClock, every: float = CHECK_SECONDS) -> None:
        """Measure now, then again every `every` seconds until stopped."""
        await self.measure(database)
        self._offset.task = asyncio.create_task(self._keep_measuring(database, every))

    async def stop(self) -> None:
        """Stop measuring; the last offset stays."""
        task, self._offset.task = self._offset.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep_measuring(self, database: DatabaseClock, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.measure(database)
            except _MEASURE_ERRORS as error:
                # The last offset holds; clocks drift by milliseconds a minute, not seconds.
                log.error("clock offset not measured reason=%s", error)
