"""The scheduler's leader: one process in the cluster runs the periodic duties, by a lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from storage import DATABASE_ERRORS, Storage, StorageClosedError

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# A leader that dies is replaced within LEASE_SECONDS + RENEW_SECONDS (18 s, under the 30 s
# promised): its lease runs out, and a waiting scheduler asks again every RENEW_SECONDS.
LEASE_SECONDS = 15.0
RENEW_SECONDS = 3.0


class Leadership:
    """Takes and renews the scheduler lease; `leading` says whether this process may act."""

    def __init__(
        self,
        storage: Storage,
        process_id: int,
        clock: Callable[[], float],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        lease: float = LEASE_SECONDS,
        renew: float = RENEW_SECONDS,
    ) -> None:
        self._storage = storage
        self._process_id = process_id
        self._clock = clock
        self._monotonic = monotonic
        self._lease = lease
        self._renew = renew
        self._held_since: float | None = None  # monotonic time of the last successful renewal
        self._task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        """Whether this process holds the lease, with a renewal's margin before it could lapse."""
        # Measured on the monotonic clock: a leader that cannot renew (database gone) stops
        # acting a renewal before anyone else may take the lease.
        renewed = self._held_since
        return renewed is not None and self._monotonic() - renewed < self._lease - self._renew

    async def start(self) -> None:
        """Ask for the lease once now, then keep asking (or renewing) in the background."""
        await self.renew()
        self._task = asyncio.create_task(self._renew_forever(), name="warta-leadership")

    async def renew(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        now = self._clock()
        try:
            held = await self._storage.take_lease(
                LEASE_NAME, self._process_id, now, now + self._lease
            )
        except DATABASE_ERRORS as error:
            log.error("scheduler lease not renewed reason=%s", error)
            return self.leading
        was_leading = self._held_since is not None
        self._held_since = self._monotonic() if held else None
        if held != was_leading:
            log.info("scheduler %s id=%d", "leading" if held else "standing by", self._process_id)
        return held

    async def stop(self) -> None:
        """Stop renewing and give the lease up at once, so another scheduler takes over."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._held_since is not None:
            self._held_since = None
            # A database already gone (closed, unreachable) cannot be told: the lease lapses.
            with contextlib.suppress(*DATABASE_ERRORS, StorageClosedError):
                await self._storage.release_lease(LEASE_NAME, self._process_id)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._renew)
            await self.renew()
