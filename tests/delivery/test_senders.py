"""Several senders (processes, each with its own storage and process id) draining one outbox."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

from telegram import Bot
from telegram.ext import ExtBot

from bot.delivery.sender import QUEUE_CHECK_SECONDS, Sender, SendLimits
from bot.standin import TelegramStandIn
from storage import Storage
from tests.delivery.senders import Gate, deliveries, queue_alerts, sender_process
from tests.inprocess import alert_titles

TITLES = ["Banjir satu", "Banjir dua", "Banjir tiga"]


async def test_three_senders_deliver_each_message_once_in_order_within_chat_limits(
    telegram: TelegramStandIn, storage: Storage, database: Path | str
) -> None:
    # Telegram's per-chat limit is what is checked here; the bot-wide budget is not shared yet.
    telegram.enforce_limits(per_second=1000, per_chat_per_second=1)
    chats = {chat_id: "private" for chat_id in range(1, 13)} | {-501: "group", -502: "group"}
    await queue_alerts(storage, chats, TITLES)
    expected = len(chats) * len(TITLES)
    gates = [Gate() for _ in range(3)]
    for gate in gates:
        gate.open()  # only to note which sender sent to which chat
    async with AsyncExitStack() as stack:
        for gate in gates:
            limits = SendLimits(max_in_flight=4)
            await stack.enter_async_context(
                sender_process(telegram, database, limits, limiter=gate)
            )
        await telegram.wait_for(lambda tg: len(tg.sent) >= expected, timeout=60)
    assert telegram.rejected_429 == 0  # no two senders crowded a chat
    assert set(deliveries(telegram).values()) == {1}
    assert len(deliveries(telegram)) == expected
    for chat_id in chats:
        assert alert_titles(telegram, chat_id) == TITLES
    # The senders did share chats: a chat's spacing held across them.
    senders_per_chat = Counter(chat for gate in gates for chat in set(gate.held))
    assert max(senders_per_chat.values()) > 1


async def test_starting_a_sender_leaves_a_live_senders_claims_alone(
    telegram: TelegramStandIn, storage: Storage, database: Path | str
) -> None:
    chats = {chat_id: "private" for chat_id in range(1, 5)}
    await queue_alerts(storage, chats, TITLES[:2])
    slow = Gate()  # the first sender's network holds its message until the test opens it
    first = sender_process(telegram, database, SendLimits(max_in_flight=1), limiter=slow)
    async with first:
        await slow.wait_for(lambda gate: len(gate.held) == 1)
        (held_chat,) = slow.held
        async with sender_process(telegram, database, SendLimits()):
            # The second sender sends every other chat's alerts, never the claimed one.
            await telegram.wait_for(lambda tg: len(tg.sent) >= 6, timeout=30)
            assert telegram.messages_to(held_chat) == []
            slow.open()
            await slow.wait_for(lambda gate: gate.passed >= 1)
            await telegram.wait_for(lambda tg: len(deliveries(tg)) == 8, timeout=30)
    assert set(deliveries(telegram).values()) == {1}
    for chat_id in chats:
        assert alert_titles(telegram, chat_id) == TITLES[:2]


async def test_a_live_sender_whose_clock_is_slow_keeps_its_claims_on_postgresql(
    telegram: TelegramStandIn, postgres_url: str
) -> None:
    storage = Storage(postgres_url)
    await storage.open()
    chats = {chat_id: "private" for chat_id in range(1, 5)}
    await queue_alerts(storage, chats, TITLES[:2])
    await storage.close()
    slow = Gate()  # the first sender's network holds its message until the test opens it
    # The first sender's machine is 25 s behind: on its own clock its heartbeats would look
    # older than the 20 s after which a process counts as dead.
    first = sender_process(
        telegram,
        postgres_url,
        SendLimits(max_in_flight=1),
        limiter=slow,
        local_clock=lambda: time.time() - 25,
    )
    async with first:
        await slow.wait_for(lambda gate: len(gate.held) == 1)
        (held_chat,) = slow.held
        async with sender_process(telegram, postgres_url, SendLimits()):
            await telegram.wait_for(lambda tg: len(tg.sent) >= 6, timeout=30)
            assert telegram.messages_to(held_chat) == []
            slow.open()
            await slow.wait_for(lambda gate: gate.passed >= 1)
            await telegram.wait_for(lambda tg: len(deliveries(tg)) == 8, timeout=30)
    # The held message went once, by the sender that claimed it.
    assert set(deliveries(telegram).values()) == {1}
    for chat_id in chats:
        assert alert_titles(telegram, chat_id) == TITLES[:2]


async def test_a_dead_senders_messages_are_sent_by_another_after_its_timeout(
    telegram: TelegramStandIn, storage: Storage, database: Path | str
) -> None:
    chats = {chat_id: "private" for chat_id in range(1, 5)}
    await queue_alerts(storage, chats, TITLES[:2])
    hung = Gate()  # never opens: the process died with these messages in flight
    dead = sender_process(
        telegram, database, SendLimits(max_in_flight=2), limiter=hung, beating=False
    )
    async with dead:
        await hung.wait_for(lambda gate: len(gate.held) == 2)
        # A short timeout, so the dead one's silence shows at once; it is the only other sender.
        async with sender_process(telegram, database, SendLimits(), process_timeout=0.5):
            await telegram.wait_for(lambda tg: len(deliveries(tg)) == 8, timeout=30)
    assert set(deliveries(telegram).values()) == {1}
    for chat_id in chats:
        assert alert_titles(telegram, chat_id) == TITLES[:2]
    assert hung.passed == 0


async def test_a_broadcast_summary_goes_to_the_operator_once_across_processes(
    storage: Storage, database: Path | str
) -> None:
    for chat in (1, 2):
        await storage.register_chat(chat, "private", "", time.time())
    finished = []
    for _ in range(5):
        broadcast_id = await storage.draft_broadcast(1, "<b>Halo</b>", time.time())
        await storage.start_broadcast(broadcast_id, progress_message_id=7, now=time.time())
        for entry in await storage.pending_outbox(time.time(), 10):
            assert await storage.claim_delivery(entry.id, 1)
            assert await storage.mark_sent(entry.id, 1, time.time())
        finished.append(broadcast_id)
    others = [Storage(database) for _ in range(3)]
    for other in others:
        await other.open()
    try:
        for broadcast_id in finished:
            # Three senders finish the broadcast at the same moment.
            reports = await asyncio.gather(
                *(other.unreported_finished_broadcast(broadcast_id) for other in others)
            )
            assert [(r.sent, r.failed) for r in reports if r is not None] == [(2, 0)]
    finally:
        for other in others:
            await other.close()


class ManualClock:
    """Time that passes only when the test moves it on; a sleep waits for it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._epoch = time.time() - self.now
        self._moved = asyncio.Condition()
        self.sleepers = 0

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        """Wall time on this clock: the real time it started, plus what has passed since."""
        return self._epoch + self.now

    async def sleep(self, seconds: float) -> None:
        """Wait until the test has moved the clock on by `seconds`."""
        until = self.now + seconds
        async with self._moved:
            self.sleepers += 1
            self._moved.notify_all()
            try:
                await self._moved.wait_for(lambda: self.now >= until)
            finally:
                self.sleepers -= 1

    async def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        async with self._moved:
            self.now += seconds
            self._moved.notify_all()

    async def someone_sleeps(self) -> None:
        """Wait until a sleep is waiting for the clock."""
        async with asyncio.timeout(30), self._moved:
            await self._moved.wait_for(lambda: self.sleepers > 0)


async def test_a_message_queued_by_another_process_is_noticed_within_a_second(
    telegram: TelegramStandIn, storage: Storage, database: Path | str
) -> None:
    clock = ManualClock()
    async with ExtBot(telegram.token, base_url=f"{telegram.base_url}/bot") as bot:
        sender = idle_sender(bot, storage, clock)
        sender.start()
        try:
            # The sender found nothing and waits; another process (a poller) queues an alert,
            # without any way to wake this one.
            await clock.someone_sleeps()
            poller = Storage(database)
            await poller.open()
            try:
                await queue_alerts(poller, {7: "private"}, TITLES[:1])
            finally:
                await poller.close()
            await clock.advance(QUEUE_CHECK_SECONDS)
            await telegram.wait_for_messages(7, 1, timeout=30)
        finally:
            await sender.stop()
    assert alert_titles(telegram, 7) == TITLES[:1]


def idle_sender(bot: Bot, storage: Storage, clock: ManualClock) -> Sender:
    """A sender whose waits pass only as the test moves its clock on."""
    return Sender(
        bot,
        storage,
        clock.wall,
        SendLimits(),
        wall=clock.wall,
        monotonic=clock,
        sleep=clock.sleep,
    )
