"""One case of bench/bench_hostile.py, run in a process of its own: the real bot in this process
with its stand-ins, the hostile site on a thread of its own, and the three probes.

What the probes see goes to the benchmark's process as it happens (a pipe): a case that
freezes the event loop for minutes is stopped from outside, and what was seen until then stays.
The clock is time.monotonic(), the same in both processes.

Probes: the event loop's lag (a task sleeping LAG_TICK, its overshoot); /help from five readers
on a fixed schedule, each answer's wait counted from the moment it was due, not from when a
frozen loop got round to sending it (a reader does not wait for the bot to be ready); a new
item of a well-behaved feed at fixed moments, each counted from that moment to its alert.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from bench import hostile_sites as sites
from bench.bench_latency import FIRST_CHAT, follow, news_item, village_names
from bench.hostile_cases import PUBLIC_ORIGIN, PUSHED_FEED, build_case
from bot.feeds.workers import default_processes
from bot.net.addresses import AddressPolicy
from bot.standin import FeedItem, FeedServer, HubStandIn, TelegramStandIn
from tests.inprocess import RunningBot, running_bot
from tests.ops.helpers import free_port

POLL_SECONDS = 3.0  # every feed, hostile ones too: discovery at every poll
WINDOW = 30.0  # the hostile case runs this long; then answers and alerts are waited for
CASE_SECONDS = 50.0  # after the window opens, nothing more is waited for
LAG_TICK = 0.01
HELP_EVERY = 0.25
HELPS = int(WINDOW / HELP_EVERY)
ASKERS = [30_000 + n for n in range(5)]  # each asks every 1.25 s: Telegram's 1/s a chat
ALERT_AT = (3.0, 8.0, 13.0, 18.0, 23.0)  # seconds into the window
GOOD_FEED = "/kabar-baik.xml"
LOOPBACK = AddressPolicy.allowing("127.0.0.0/8")
SETTLE = 60.0  # setup steps that hang longer than this are broken

# What a case tells the benchmark's process: ("window", when it opened), ("lag", [seconds]),
# ("help", number, seconds), ("alert", number, seconds), ("note", text), ("measured",), ("failed",
# why).
Event = tuple[Any, ...]


class Heartbeat(Protocol):
    """A number shared with the benchmark's process: when the lag probe last ticked."""

    value: float


def case_process(
    name: str, database: Path | str, folder: str, events: Connection, heartbeat: Heartbeat
) -> None:
    """The child process's entry: run one case and report it through `events`."""
    os.setpgid(0, 0)  # its parsing processes and itself are stopped as one group if it freezes
    tempfile.tempdir = folder  # whatever it leaves behind, the benchmark's process removes
    logging.basicConfig(level=logging.ERROR)
    try:
        asyncio.run(run_case(name, database, Path(folder), events, heartbeat))
    except Exception as error:  # noqa: BLE001 - reported to the benchmark's process, which fails
        events.send(("failed", f"{type(error).__name__}: {error}"))


async def run_case(
    name: str,
    database: Path | str,
    folder: Path,
    events: Connection,
    heartbeat: Heartbeat,
) -> None:
    villages = village_names(len(ALERT_AT), random.Random(3))
    port = free_port()
    with sites.HostileSide() as side:
        async with (
            TelegramStandIn() as telegram,
            FeedServer() as feeds,
            HubStandIn(reach={PUBLIC_ORIGIN: f"http://127.0.0.1:{port}"}) as hub,
        ):
            feeds.conditional_get(False)  # hostile sites answer in full at every poll
            feeds.publish(GOOD_FEED, [])
            case = await build_case(name, side, feeds, hub, port)
            async with running_bot(
                folder,
                telegram,
                feeds,
                [("Kabar Baik", GOOD_FEED, "Nasional"), *case.feeds],
                poll_seconds=POLL_SECONDS,
                fetch_addresses=LOOPBACK,
                database=database,
                webhook_port=port,
                parse_workers=default_processes(),
            ) as warta:
                async with asyncio.timeout(SETTLE):
                    await prepare(name, warta, feeds, hub, villages)
                probes = Probes(telegram, feeds, events, heartbeat, villages)
                await probes.measure(lambda: case.start(warta))
                events.send(("note", case.notes()))
                events.send(("measured",))
            for server in case.servers:
                await side.run(server.stop())


async def prepare(
    name: str, warta: RunningBot, feeds: FeedServer, hub: HubStandIn, villages: list[str]
) -> None:
    """Readers and followers known, every feed read once, the pushes' subscription verified."""
    await follow(warta, villages)
    for chat in ASKERS:  # a reader's first /help registers the chat: not part of the figure
        await warta.say(chat, "/help")
    await warta.poll()  # every feed initialised: later items are news; hubs noted
    if name == "pushes":
        websub = warta.services.websub
        assert websub is not None
        await websub.run_due()
        await hub.wait_for(lambda h: len(h.subscribers(feeds.url(PUSHED_FEED))) == 1)


class Probes:
    """The three measurements of one window, sent to the benchmark's process as they are made."""

    def __init__(
        self,
        telegram: TelegramStandIn,
        feeds: FeedServer,
        events: Connection,
        heartbeat: Heartbeat,
        villages: list[str],
    ) -> None:
        self._telegram = telegram
        self._feeds = feeds
        self._events = events
        self._heartbeat = heartbeat
        self._villages = villages
        self._lags: list[float] = []
        self._asked: dict[int, tuple[int, int, float]] = {}  # number: chat, its reply, when due
        self._published: dict[int, float] = {}  # number: when its item was due
        self._reported: set[tuple[str, int]] = set()

    async def measure(self, start_case: Callable[[], None]) -> None:
        """Open the window, start the hostile case, and report until every answer is in."""
        opened = time.monotonic()
        self._heartbeat.value = opened
        self._events.send(("window", opened))
        probes = [asyncio.create_task(self._watch_lag())]
        start_case()
        probes += [
            asyncio.create_task(self._ask_help(opened)),
            asyncio.create_task(self._publish(opened)),
        ]
        expected = HELPS + len(ALERT_AT)
        try:
            while len(self._reported) < expected and time.monotonic() < opened + CASE_SECONDS - 1:
                self._report_answers()
                await asyncio.sleep(0.1)
            self._report_answers()
        finally:
            for probe in probes:
                probe.cancel()
            await asyncio.gather(*probes, return_exceptions=True)
            self._events.send(("lag", self._lags))

    async def _watch_lag(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LAG_TICK)
            now = time.monotonic()
            self._heartbeat.value = now
            self._lags.append(max(0.0, now - before - LAG_TICK))
            if len(self._lags) >= 50:
                self._events.send(("lag", self._lags))
                self._lags = []

    async def _ask_help(self, opened: float) -> None:
        replies = {chat: len(self._telegram.messages_to(chat)) for chat in ASKERS}
        for number in range(HELPS):
            due = opened + number * HELP_EVERY
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            chat = ASKERS[number % len(ASKERS)]
            self._telegram.user_says(chat, "/help")
            self._asked[number] = (chat, replies[chat], due)
            replies[chat] += 1

    async def _publish(self, opened: float) -> None:
        pick = random.Random(7)
        items: list[FeedItem] = []
        for number, (village, at) in enumerate(zip(self._villages, ALERT_AT, strict=True)):
            due = opened + at
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            items.insert(0, news_item(number, village, pick))
            self._feeds.publish(GOOD_FEED, items)
            self._published[number] = due

    def _report_answers(self) -> None:
        for number, (chat, index, due) in self._asked.items():
            replies = self._telegram.messages_to(chat)
            if ("help", number) not in self._reported and len(replies) > index:
                self._events.send(("help", number, replies[index].timestamp - due))
                self._reported.add(("help", number))
        for number, due in self._published.items():
            alerts = self._telegram.messages_to(FIRST_CHAT + number)
            if ("alert", number) not in self._reported and alerts:
                self._events.send(("alert", number, alerts[0].timestamp - due))
                self._reported.add(("alert", number))
