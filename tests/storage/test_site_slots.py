"""A site's slots: at most a few holders at once across processes, a dead holder's free."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage import Storage

SITE = "https://berita.example:"
ALIVE_SINCE = 80.0  # processes that beat at 80 or later are alive at 100


async def take(storage: Storage, owner: int, now: float = 100.0) -> int | None:
    return await storage.take_site_slot(SITE, owner, 2, now, now + 60.0, ALIVE_SINCE)


async def test_a_site_has_two_holders_at_most_until_one_gives_its_slot_back(
    storage: Storage,
) -> None:
    for owner in (1, 2, 3):
        await storage.register_process(owner, "poller", "host", owner, now=100.0)
    assert [await take(storage, 1), await take(storage, 2), await take(storage, 3)] == [0, 1, None]
    # Another site is counted apart.
    assert await storage.take_site_slot("https://other.example:", 3, 2, 100.0, 160.0, 80.0) == 0

    await storage.release_site_slot(SITE, 0, 1)
    assert await take(storage, 3) == 0
    assert await take(storage, 1) is None


async def test_the_slots_of_a_dead_or_stopped_holder_or_past_their_lease_are_free(
    storage: Storage,
) -> None:
    await storage.register_process(1, "poller", "host", 1, now=50.0)  # silent since 50: dead
    await storage.register_process(2, "poller", "host", 2, now=100.0)
    await storage.register_process(3, "poller", "host", 3, now=100.0)
    await storage.take_site_slot(SITE, 1, 2, 50.0, 110.0, 30.0)
    await storage.take_site_slot(SITE, 2, 2, 50.0, 110.0, 30.0)
    assert await take(storage, 3) == 0  # the dead holder's slot

    await storage.process_stopped(2, now=100.0)
    assert await take(storage, 3) == 1  # the stopped holder's

    await storage.register_process(4, "poller", "host", 4, now=200.0)
    await storage.beat(3, now=200.0)
    # Process 3 lives on but its leases (until 160) have passed.
    assert await storage.take_site_slot(SITE, 4, 2, 200.0, 260.0, 180.0) == 0


async def test_processes_taking_a_site_at_once_never_hold_more_than_its_slots(
    database: Path | str,
) -> None:
    stores = [Storage(database), Storage(database)]
    for store in stores:
        await store.open()
    try:
        for owner in range(1, 9):
            await stores[0].register_process(owner, "poller", "host", owner, now=100.0)
        taken = await asyncio.gather(
            *(take(stores[owner % 2], owner) for owner in range(1, 9) for _ in range(3))
        )
        assert sorted(slot for slot in taken if slot is not None) == [0, 1]
    finally:
        for store in stores:
            await store.close()
