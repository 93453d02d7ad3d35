"""Roles as separate processes on one PostgreSQL database: 2 pollers, 2 senders, 1 updates and
1 scheduler, each a real `warta run --role ...` against the Telegram stand-in and a feed server.
Readers subscribe through the updates process; alerts reach them exactly once, in order; one
process of each role killed with SIGKILL loses nothing; SIGTERM stops every role with exit 0.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.ops.leadership import LEASE_NAME
from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from tests.e2e.harness import bot_environment, write_feeds_file
from tests.factories import news
from tests.inprocess import alert_titles
from tests.ops.helpers import free_port, scrape, start_warta, wait_until_listening

HUNG = 90.0  # seconds: only a hang takes this long
READERS = (301, 302, 303)
FEEDS = (("ANTARA Banten", "/banten.xml", "Banten"), ("ANTARA Jabar", "/jabar.xml", "Jawa Barat"))
# Headlines far apart from each other: one alert per story must not merge any two of them.
BEFORE_KILLS = (
    ("banten", "Banjir rendam ratusan rumah warga Pandeglang"),
    ("jabar", "Tanggul jebol, banjir bandang landa Garut selatan"),
    ("banten", "Pemkab Lebak buka dapur umum untuk korban banjir"),
    ("jabar", "Sekolah di Bekasi diliburkan karena banjir setinggi lutut"),
)
AFTER_KILLS = (
    ("jabar", "BMKG peringatkan potensi banjir rob di pesisir Cirebon"),
    ("banten", "Relawan evakuasi lansia terjebak banjir di Cilegon"),
    ("jabar", "Jalur kereta Bogor terganggu genangan banjir pagi ini"),
    ("banten", "Gubernur tinjau pengungsi banjir di Tangerang"),
)


@dataclass
class Member:
    """One `warta run --role ROLE` process of the cluster, its monitoring port and its log."""

    role: str
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    async def start(self, env: dict[str, str], cwd: Path) -> None:
        """Start it; return once its monitoring server (opened after start-up) listens."""
        env = env | {"WARTA_METRICS_PORT": str(self.port)}
        self.process = await start_warta(["run", "--role", self.role], env, cwd, self.log)
        await wait_until_listening(self.port, timeout=HUNG)

    async def stop(self, sig: signal.Signals) -> int:
        """Send a signal and wait for the exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), HUNG)
        self.process = None
        return code

    async def health(self) -> dict[str, object]:
        """Its /healthz, which must answer 200."""
        response = await scrape(self.port, "/healthz")
        assert response.status_code == 200, (self.role, response.text)
        body: dict[str, object] = response.json()
        return body


@dataclass
class Cluster:
    """The processes, started from one environment."""

    env: dict[str, str]
    workdir: Path
    members: list[Member] = field(default_factory=list)

    async def start(self, *roles: str) -> list[Member]:
        """Start one process per role given, all at once."""
        started = [
            Member(role, free_port(), self.workdir / f"{role}-{len(self.members) + n}.log")
            for n, role in enumerate(roles)
        ]
        self.members += started
        await asyncio.gather(*(member.start(self.env, self.workdir) for member in started))
        return started

    def running(self, role: str) -> list[Member]:
        """The live processes of a role, oldest first."""
        return [m for m in self.members if m.role == role and m.process is not None]

    def logs(self) -> str:
        """Every process's log, for an assertion's message."""
        return "\n".join(f"--- {m.log.name}\n{m.log.read_text()[-3000:]}" for m in self.members)


@pytest.fixture
async def cluster(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, postgres_url: str
) -> AsyncIterator[Cluster]:
    for _, route, _ in FEEDS:
        feeds.publish(route, [news(f"lama{route}", "Harga cabai naik", hours_ago=30)])
    feeds_toml = write_feeds_file(tmp_path / "feeds.toml", feeds, list(FEEDS))
    env = bot_environment(tmp_path, telegram, feeds_toml, database=postgres_url)
    cluster = Cluster(env, tmp_path)
    try:
        yield cluster
    finally:
        for member in cluster.members:
            if member.process is not None:
                member.process.kill()
                await member.process.wait()


@pytest.fixture
async def storage(postgres_url: str) -> AsyncIterator[Storage]:
    """The cluster's database, as the test reads it."""
    store = Storage(postgres_url)
    await store.open()
    yield store
    await store.close()


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for a condition the database or a process shows (no event announces it)."""
    try:
        async with asyncio.timeout(HUNG):
            # Only the database or a process's answer shows it: ask again, briefly apart.
            while not await condition():  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"not within {HUNG}s: {what}") from None


async def say(telegram: TelegramStandIn, chat_id: int, text: str) -> str:
    """A reader sends a command; the bot's reply."""
    before = len(telegram.messages_to(chat_id))
    telegram.user_says(chat_id, text, language_code="en")
    replies = await telegram.wait_for_messages(chat_id, before + 1, timeout=HUNG)
    return replies[before].plain_text or ""


async def queued_order(storage: Storage, titles: set[str]) -> list[str]:
    """The given headlines in the order they were stored, which is the order alerts queue in."""
    items = await storage.latest_items(1000)
    return [item.title for item in sorted(items, key=lambda item: item.id) if item.title in titles]


async def every_reader_got(telegram: TelegramStandIn, headlines: set[str]) -> None:
    """Wait until every reader got an alert for each headline."""
    await telegram.wait_for(
        lambda tg: all(headlines <= set(alert_titles(tg, r)) for r in READERS), HUNG
    )


def publish(feeds: FeedServer, stories: tuple[tuple[str, str], ...]) -> set[str]:
    for slug, headline in stories:
        route = f"/{slug}.xml"
        feeds.add_item(route, news(f"{slug}-{len(headline)}-{headline[:12]}", headline))
    return {headline for _, headline in stories}


async def warta_status(cluster: Cluster) -> tuple[int, str]:
    """`warta status` as an operator runs it: exit code and output."""
    log = cluster.workdir / "status.out"
    log.write_text("")
    process = await start_warta(["status"], cluster.env, cluster.workdir, log)
    code = await asyncio.wait_for(process.wait(), HUNG)
    return code, log.read_text()


async def test_roles_in_separate_processes_deliver_every_alert_once_through_kills(
    cluster: Cluster, telegram: TelegramStandIn, feeds: FeedServer, storage: Storage
) -> None:
    await cluster.start("updates", "scheduler", "sender", "sender")
    for reader in READERS:
        assert "/subscribe" in await say(telegram, reader, "/start")
        assert "banjir" in await say(telegram, reader, "/subscribe banjir")
    # The pollers start once the topics are in: they load them at start-up.
    await cluster.start("poller", "poller")

    async def initialised() -> bool:
        return all(feed.initialised for feed in await storage.list_feeds())

    await until(initialised, "every feed fetched once")
    code, status = await warta_status(cluster)
    assert code == 0, status
    for role in ("updates", "poller", "sender", "scheduler"):
        assert f"{role} {2 if role in ('poller', 'sender') else 1}" in status, status

    # Every process names its roles and id; none is unhealthy for work it does not do. A poller
    # that found every feed taken by the other is healthy once its first round has run (on a
    # busy machine its start-up may still be loading then).
    for member in cluster.members:

        async def answers_healthy(member: Member = member) -> bool:
            return (await scrape(member.port, "/healthz")).status_code == 200

        await until(answers_healthy, f"{member.role} healthy")
        health = await member.health()
        assert health["roles"] == [member.role]
        metrics = (await scrape(member.port, "/metrics")).text
        host, process_id = health["host"], health["process_id"]
        labels = f'host="{host}",process_id="{process_id}",roles="{member.role}"'
        assert f"warta_process_info{{{labels}}} 1.0" in metrics

    first = publish(feeds, BEFORE_KILLS)
    await every_reader_got(telegram, first)
    expected = await queued_order(storage, first)
    for reader in READERS:
        assert alert_titles(telegram, reader) == expected, cluster.logs()

    # One process of each role dies mid-work, without a chance to clean up.
    second = publish(feeds, AFTER_KILLS)
    await telegram.wait_for(lambda tg: any(second & set(alert_titles(tg, r)) for r in READERS))
    leader = (await cluster.running("scheduler")[0].health())["process_id"]
    for role in ("updates", "scheduler", "sender", "poller"):
        assert await cluster.running(role)[0].stop(signal.SIGKILL) == -signal.SIGKILL
    # The only updates and scheduler processes are replaced, as a supervisor would; the other
    # poller and sender carry on alone.
    _, scheduler = await cluster.start("updates", "scheduler")
    assert "banjir" in await say(telegram, READERS[0], "/list")

    await every_reader_got(telegram, second)
    expected = await queued_order(storage, first | second)
    for reader in READERS:
        got = alert_titles(telegram, reader)
        assert list(dict.fromkeys(got)) == expected, cluster.logs()
        # Only a message the killed sender had in flight may come twice: one per chat at most.
        assert len(got) - len(expected) <= 1, got

    # The new scheduler leads once the killed leader's lease has run out.
    new_leader = (await scheduler.health())["process_id"]
    assert new_leader != leader

    async def failed_over() -> bool:
        return await storage.lease_holder(LEASE_NAME, time.time()) == new_leader

    await until(failed_over, "the new scheduler taking the lease")

    # A clean stop of every role: work finished or left for others, exit code 0.
    for member in [m for m in cluster.members if m.process is not None]:
        assert await member.stop(signal.SIGTERM) == 0, member.log.read_text()[-3000:]
