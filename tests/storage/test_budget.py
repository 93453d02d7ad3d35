"""The send budget's grid: reservations never overlap, and sharing it slows it down."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest

from storage import Storage
from storage.budget import Spacing, TurnRequest

ALONE = Spacing(alone=0.02, shared=0.025)


def request(taker: int, calls: int = 5, free: int = 0) -> TurnRequest:
    return TurnRequest(
        taker=taker,
        calls=calls,
        spacing=ALONE,
        free=free,
        free_spacing=Spacing(alone=0.1, shared=0.2),
        free_slack=0.0,
        share_seconds=1.0,
    )


async def test_turns_reserved_at_once_by_two_processes_never_overlap(
    database: Path | str,
) -> None:
    now = time.time()
    stores = [Storage(database), Storage(database)]
    for store in stores:
        await store.open()
    try:
        grants = await asyncio.gather(
            *(
                store.reserve_send_turns(now, request(taker))
                for taker, store in enumerate(stores * 20, start=1)
            )
        )
    finally:
        for store in stores:
            await store.close()
    spans = sorted((g.first, g.first + g.calls * g.interval) for g in grants)
    assert all(end <= start + 1e-6 for (_, end), (start, _) in itertools.pairwise(spans))
    # 200 turns, every one of them spaced as the grid is while it is shared.
    assert spans[-1][1] - spans[0][0] == pytest.approx(200 * ALONE.shared, abs=1e-4)


async def test_a_process_alone_goes_at_its_pace_and_slows_when_another_takes_turns(
    storage: Storage,
) -> None:
    first = await storage.reserve_send_turns(1000.0, request(taker=1))
    alone = await storage.reserve_send_turns(1002.0, request(taker=1))
    other = await storage.reserve_send_turns(1002.0, request(taker=2))
    again = await storage.reserve_send_turns(1002.0, request(taker=1))
    # Nobody was known to take turns before the first reservation: counted as shared.
    assert (first.shared, first.interval) == (True, ALONE.shared)
    assert (alone.shared, alone.interval, alone.first) == (False, ALONE.alone, 1002.0)
    assert (other.shared, other.interval) == (True, ALONE.shared)
    assert other.first == pytest.approx(1002.0 + 5 * ALONE.alone)
    assert (again.shared, again.interval) == (True, ALONE.shared)


async def test_free_turns_follow_their_own_grid_and_every_reservation_tells_of_a_pause(
    storage: Storage,
) -> None:
    free = await storage.reserve_send_turns(1000.0, request(taker=1, free=3))
    none_free = await storage.reserve_send_turns(1000.0, request(taker=2, free=3))
    assert free.free == 3
    # Three free turns move the free grid 3 x 0.2 s on: nothing free before then.
    assert none_free.free == 0
    assert none_free.free_at == pytest.approx(1000.6)
    await storage.pause_sending(1030.0, by=2)
    await storage.pause_sending(1020.0, by=1)
    # Every reservation tells of the pause; it does not move the grid (replies go on).
    paused = await storage.reserve_send_turns(1000.5, request(taker=1))
    assert (paused.paused_until, paused.paused_by) == (1030.0, 2)
    assert paused.first < 1001.0
    assert await storage.sending_paused_until() == 1030.0
