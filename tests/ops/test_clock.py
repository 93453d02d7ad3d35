"""Each process reads shared times on the PostgreSQL server's clock; it says when its own is off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.cli.status import status_report
from bot.config import Config
from bot.ops.clock import SAMPLES, ServerClock
from storage import Storage


@pytest.fixture
async def server(postgres_url: str) -> AsyncIterator[Storage]:
    """A PostgreSQL database, opened."""
    storage = Storage(postgres_url)
    await storage.open()
    yield storage
    await storage.close()


async def test_a_clock_seconds_off_the_servers_is_logged_and_read_on_the_servers(
    server: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ServerClock(lambda: time.time() - 5)  # a machine 5 s behind
    await clock.measure(server)
    assert "clock is 5.0s behind the database server's" in caplog.text
    # What the process now reads is the server's time, not its machine's.
    assert round(clock() - await server.database_time()) == 0


async def test_a_clock_in_step_with_the_servers_is_not_logged(
    server: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ServerClock()  # the server runs on this machine: the same clock
    await clock.measure(server)
    assert "database server's" not in caplog.text
    assert round(clock.offset) == 0


class Watched:
    """The server's clock, read through a counter of readings."""

    def __init__(self, storage: Storage) -> None:
        self.readings = 0
        self._storage = storage
        self._read = asyncio.Event()

    async def database_time(self) -> float:
        seconds = await self._storage.database_time()
        self.readings += 1
        self._read.set()
        return seconds

    async def wait_for_readings(self, count: int) -> None:
        """Until `count` readings were taken in all; 30 s means hung."""
        async with asyncio.timeout(30):
            while self.readings < count:
                self._read.clear()
                await self._read.wait()


async def test_a_clock_that_jumps_later_is_noticed_at_the_next_check(
    server: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    skew = [0.0]
    clock = ServerClock(lambda: time.time() + skew[0])
    watched = Watched(server)
    await clock.follow(watched, every=0.05)  # every minute in Warta; sooner here
    try:
        assert "database server's" not in caplog.text
        skew[0] = 3.0  # the machine's clock jumps ahead (a VM resumed, NTP stepped)
        # A whole measure begun after the jump: the one under way may have read before it.
        await watched.wait_for_readings(watched.readings + 2 * SAMPLES)
        assert "clock is 3.0s ahead of the database server's" in caplog.text
        assert round(clock.offset) == -3
    finally:
        await clock.stop()


async def test_status_on_a_machine_whose_clock_is_fast_still_sees_the_live_processes(
    server: Storage, postgres_url: str
) -> None:
    await server.register_process(7, "sender", "back-1", 4242, await server.database_time())
    config = Config(token=None, database=postgres_url)
    # 25 s ahead: on its own clock the heartbeat just written would be older than 20 s.
    report = await status_report(config, clock=lambda: time.time() + 25)
    assert report.lines[0].startswith("processes alive: 1 ")
    assert any("back-1 pid 4242" in line for line in report.lines)
