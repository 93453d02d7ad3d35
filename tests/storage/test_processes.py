"""Heartbeats and leases: who is alive, and one holder of a duty at a time."""

from __future__ import annotations

from storage import Storage


async def test_a_lease_has_one_holder_until_it_expires_or_is_released(storage: Storage) -> None:
    assert await storage.take_lease("scheduler", 1, now=100.0, until=120.0)
    # Another process cannot take it while it holds...
    assert not await storage.take_lease("scheduler", 2, now=110.0, until=130.0)
    assert await storage.lease_holder("scheduler", now=110.0) == 1
    # ...its holder renews it...
    assert await storage.take_lease("scheduler", 1, now=115.0, until=135.0)
    assert not await storage.take_lease("scheduler", 2, now=130.0, until=150.0)
    # ...and once it expires (the holder died), the other takes it over.
    assert await storage.take_lease("scheduler", 2, now=136.0, until=156.0)
    assert not await storage.take_lease("scheduler", 1, now=137.0, until=157.0)
    await storage.release_lease("scheduler", 2)
    assert await storage.lease_holder("scheduler", now=138.0) is None
    assert await storage.take_lease("scheduler", 1, now=138.0, until=158.0)


async def test_only_processes_that_beat_recently_and_did_not_stop_are_alive(
    storage: Storage,
) -> None:
    await storage.register_process(11, "poller,sender", "host-a", 4001, now=100.0)
    await storage.register_process(22, "updates", "host-b", 4002, now=100.0)
    await storage.register_process(33, "scheduler", "host-b", 4003, now=100.0)
    assert await storage.beat(11, now=150.0)
    await storage.process_stopped(33, now=150.0)
    assert not await storage.beat(33, now=151.0)

    alive = await storage.live_processes(since=130.0)

    assert [(p.id, p.roles, p.host, p.pid) for p in alive] == [
        (11, ("poller", "sender"), "host-a", 4001)
    ]
    assert alive[0].heartbeat_at == 150.0


async def test_a_clean_stop_gives_up_the_leases_held(storage: Storage) -> None:
    await storage.register_process(11, "scheduler", "host-a", 4001, now=100.0)
    assert await storage.take_lease("scheduler", 11, now=100.0, until=120.0)

    await storage.process_stopped(11, now=105.0)

    assert await storage.take_lease("scheduler", 22, now=106.0, until=126.0)
