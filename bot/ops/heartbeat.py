"""Heartbeats: each process says, every few seconds, that it is alive and which roles it runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Callable, Iterable

from storage import DATABASE_ERRORS, Storage, StorageClosedError
from storage.models import ProcessInfo

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# A process silent this long is dead (killed, or its machine gone): what it claimed is free.
PROCESS_TIMEOUT_SECONDS = 20.0
# Rows of processes gone this long are deleted, so `warta status` lists the living.
FORGET_AFTER_SECONDS = 24 * 3600.0


def new_process_id() -> int:
    """A random id for this process: positive, and a 64-bit integer on either engine."""
    return random.SystemRandom().getrandbits(62) or 1


class Heartbeat:
    """Registers the process at start, beats until it stops, and records a clean stop."""

    def __init__(
        self,
        storage: Storage,
        roles: Iterable[str],
        clock: Callable[[], float],
        *,
        process_id: int | None = None,
        interval: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.process_id = process_id if process_id is not None else new_process_id()
        self.roles = tuple(roles)
        self.host = socket.gethostname()
        self._storage = storage
        self._clock = clock
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Write the process's row and beat in the background."""
        now = self._clock()
        await self._storage.forget_processes(now - FORGET_AFTER_SECONDS)
        await self._storage.register_process(
            self.process_id, ",".join(self.roles), self.host, os.getpid(), now
        )
        self._task = asyncio.create_task(self._beat_forever(), name="warta-heartbeat")
        log.info(
            "process registered id=%d roles=%s host=%s",
            self.process_id,
            ",".join(self.roles),
            self.host,
        )

    async def stop(self) -> None:
        """Stop beating and record the clean stop (leases held are given up)."""
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        # A database already gone cannot be told: the silence marks the process dead instead.
        with contextlib.suppress(*DATABASE_ERRORS, StorageClosedError):
            await self._storage.process_stopped(self.process_id, self._clock())

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                alive = await self._storage.beat(self.process_id, self._clock())
            except DATABASE_ERRORS as error:
                # The next beat may get through; silence past the timeout frees our claims.
                log.error("heartbeat not written reason=%s", error)
                continue
            if not alive:
                log.error("heartbeat row gone; registering again id=%d", self.process_id)
                await self._register_again()

    async def _register_again(self) -> None:
        with contextlib.suppress(*DATABASE_ERRORS):
            await self._storage.register_process(
                self.process_id, ",".join(self.roles), self.host, os.getpid(), self._clock()
            )


async def live_process_elsewhere(storage: Storage, now: float) -> ProcessInfo | None:
    """A live process on another machine using this database, if there is one."""
    here = socket.gethostname()
    for process in await storage.live_processes(now - PROCESS_TIMEOUT_SECONDS):
        if process.host != here:
            return process
    return None
