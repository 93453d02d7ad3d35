"""Site slots: at most a couple of requests at a time to one site, from every poller together.

A site (scheme, host and port, as fetch.HostSlots counts one) has REQUESTS_PER_HOST numbered
slots, leased in the database (storage/sites.py): a poller takes one before it asks the site
and gives it back after, so pollers in any number of processes never ask one site more than
that at once. A slot held by a process that died is free once its heartbeat lapses (or its
lease passes), as a claimed feed is.

The process's own HostSlots come first: at most REQUESTS_PER_HOST of its requests to one site
ever ask the database, so a fetch costs one take and one release when its site is free. When
it is not, the request asks again after a short pause that grows (a holder's fetch usually ends
within a second), holding neither a slot of this process nor a fetch place meanwhile, and gives
up after `wait_seconds`: its feed is then left for the next poll, within its claim's lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from bot.feeds.fetch import REQUESTS_PER_HOST, HostSlots, site_of
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS
from storage import DATABASE_ERRORS, StorageClosedError

log = logging.getLogger(__name__)

# The pauses between two asks for a busy site's slot: short at first, as a fetch usually is.
FIRST_PAUSE_SECONDS = 0.05
LONGEST_PAUSE_SECONDS = 0.5
# What giving a slot back may raise: the slot's lease or the process's stop frees it anyway.
_RELEASE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError)


class SiteLeases(Protocol):
    """Where a site's slots are leased (storage.Storage)."""

    async def take_site_slot(
        self, site: str, owner: int, per_site: int, now: float, until: float, alive_since: float
    ) -> int | None:
        """One of the site's slots for owner until `until`; None when all are held."""
        ...

    async def release_site_slot(self, site: str, slot: int, owner: int) -> None:
        """Give a slot back."""
        ...


class SiteSlots:
    """At most `per_site` requests at a time to one site across every poller (with `owner`,
    this process's id; without, a poller of no registered process: its own count only)."""

    def __init__(
        self,
        leases: SiteLeases,
        owner: int,
        clock: Callable[[], float],
        *,
        lease_seconds: float,
        wait_seconds: float,
        per_site: int = REQUESTS_PER_HOST,
    ) -> None:
        """clock: the database server's (bot/ops/clock.py), as heartbeats and leases are."""
        self._leases = leases
        self._owner = owner
        self._clock = clock
        self._lease = lease_seconds
        self._wait = wait_seconds
        self._per_site = per_site
        self._hosts = HostSlots(per_site)

    @contextlib.asynccontextmanager
    async def slot(self, url: str, places: asyncio.Semaphore) -> AsyncIterator[bool]:
        """Hold one of the site's slots and one of `places` (the fetch places) while the block
        runs: True; False when no slot of the site came free within wait_seconds (the block
        must not ask the site then)."""
        async with self._hosts.slot(url):
            if not self._owner:
                async with places:
                    yield True
                return
            site = site_of(url)
            slot = await self._take(site, places)
            if slot is None:
                yield False
                return
            try:
                yield True
            finally:
                places.release()
                await self._release(site, slot)

    async def _take(self, site: str, places: asyncio.Semaphore) -> int | None:
        """A slot of the site, with a fetch place held; None after wait_seconds without one.

        A busy site's turn is waited for with nothing held: another feed fetches meanwhile.
        """
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._wait
        pause = FIRST_PAUSE_SECONDS
        while True:
            await places.acquire()
            try:
                now = self._clock()
                slot = await self._leases.take_site_slot(
                    site,
                    self._owner,
                    self._per_site,
                    now,
                    now + self._lease,
                    now - PROCESS_TIMEOUT_SECONDS,
                )
            except BaseException:
                places.release()
                raise
            if slot is not None:
                return slot
            places.release()
            left = give_up_at - loop.time()
            if left <= 0:
                return None
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)

    async def _release(self, site: str, slot: int) -> None:
        try:
            await self._leases.release_site_slot(site, slot, self._owner)
        except _RELEASE_ERRORS as error:
            # The slot stays held until its lease passes or this process stops: a site asked
            # less for a while, never more.
            log.warning("site slot not given back site=%s slot=%d: %s", site, slot, error)
