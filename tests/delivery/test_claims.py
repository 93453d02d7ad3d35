"""Outbox claims as sender processes see them: owned, one per chat, spaced, freed on death."""

from __future__ import annotations

import os

from storage import Storage
from tests.delivery.senders import queue_alerts

NOW = 1_750_000_000.0
LIVE, STOPPED, SILENT, UNKNOWN = 11, 12, 13, 14
TIMEOUT = 20.0


async def test_only_the_claims_of_dead_processes_are_freed(storage: Storage) -> None:
    await queue_alerts(storage, {1: "private", 2: "private", 3: "private", 4: "private"}, ["A"])
    for process_id in (LIVE, STOPPED, SILENT):
        await storage.register_process(process_id, "sender", "host", os.getpid(), NOW - 60)
    await storage.beat(LIVE, NOW - 1)
    await storage.beat(STOPPED, NOW - 1)
    await storage.process_stopped(STOPPED, NOW)
    heads = await storage.pending_outbox(NOW, 10)
    for entry, owner in zip(heads, (LIVE, STOPPED, SILENT, UNKNOWN), strict=True):
        assert await storage.claim_outbox([entry.id], owner, NOW)
    released = await storage.release_dead_claims(owner=99, alive_since=NOW - TIMEOUT)
    assert released == 3  # stopped, silent past the timeout, and never registered
    # Only the live process's chat is still being sent to.
    assert sorted(e.chat_id for e in await storage.pending_outbox(NOW, 10)) == [2, 3, 4]


async def test_a_process_keeps_its_own_claims_whatever_its_heartbeat_says(
    storage: Storage,
) -> None:
    await queue_alerts(storage, {1: "private"}, ["A"])
    (head,) = await storage.pending_outbox(NOW, 10)
    assert await storage.claim_outbox([head.id], SILENT, NOW)
    assert await storage.release_dead_claims(owner=SILENT, alive_since=NOW) == 0


async def test_a_chats_next_message_waits_for_its_claimed_one_and_its_spacing(
    storage: Storage,
) -> None:
    await queue_alerts(storage, {1: "private"}, ["A", "B"])
    (first,) = await storage.pending_outbox(NOW, 10)
    assert [e.id for e in await storage.claim_outbox([first.id], LIVE, NOW)] == [first.id]
    # Another sender, with the same stale read, claims nothing; nor may anything else of chat 1
    # go while the first is in flight.
    assert await storage.claim_outbox([first.id], SILENT, NOW) == []
    assert await storage.pending_outbox(NOW, 10) == []
    assert await storage.next_outbox_time() is None
    assert await storage.mark_sent(first.id, LIVE, NOW, chat_ready_at=NOW + 1)
    # Telegram answered at NOW: the chat's next message leaves a second later, whoever sends it.
    assert await storage.pending_outbox(NOW + 0.5, 10) == []
    assert await storage.next_outbox_time() == NOW + 1
    (second,) = await storage.pending_outbox(NOW + 1, 10)
    assert await storage.claim_outbox([second.id], SILENT, NOW + 0.5) == []
    assert [e.item.title for e in await storage.claim_outbox([second.id], SILENT, NOW + 1)
            if e.item] == ["B"]  # fmt: skip


async def test_a_429_holds_the_chat_longer_and_an_earlier_answer_does_not_shorten_it(
    storage: Storage,
) -> None:
    await queue_alerts(storage, {-500: "group"}, ["A"])
    (head,) = await storage.pending_outbox(NOW, 10)
    await storage.claim_outbox([head.id], LIVE, NOW)
    assert await storage.schedule_retry(
        head.id, LIVE, "429", NOW + 30, count_attempt=False, chat_ready_at=NOW + 30
    )
    assert await storage.next_outbox_time() == NOW + 30
    (again,) = await storage.pending_outbox(NOW + 30, 10)
    await storage.claim_outbox([again.id], LIVE, NOW + 30)
    # A chat_ready_at before the one stored leaves the chat held as long as it was.
    assert await storage.schedule_retry(
        again.id, LIVE, "502", NOW, count_attempt=True, chat_ready_at=NOW + 3
    )
    assert await storage.next_outbox_time() == NOW + 30
