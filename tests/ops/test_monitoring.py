"""GET /healthz and /metrics on WARTA_METRICS_PORT, against the running bot."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_application
from bot.config import Config, Role
from bot.context import Services, WartaApp
from bot.delivery.sender import SendLimits
from bot.demo.scenario import running
from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news
from tests.inprocess import LOOPBACK_FEEDS, write_feeds
from tests.ops.helpers import free_port, scrape

READER = 401
POLL_SECONDS = 60.0


def services_of(app: WartaApp) -> Services:
    services = app.bot_data.services
    assert services is not None
    return services


async def metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    response = await scrape(port, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def metrics_when(
    port: int, condition: Callable[[dict[tuple[str, tuple[tuple[str, str], ...]], float]], bool]
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape until the samples satisfy the condition, as Prometheus would see them."""
    samples = await metrics(port)
    try:
        async with asyncio.timeout(30):  # long enough to mean "never", however busy the machine
            # The scraped page itself is the condition: nothing announces a change.
            while not condition(samples):
                await asyncio.sleep(0.05)
                samples = await metrics(port)
    except TimeoutError:
        raise AssertionError(f"metrics never reached the expected values: {samples}") from None
    return samples


class Clock:
    """Wall time that a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, port: int
) -> AsyncIterator[WartaApp]:
    """The bot with a working Banten feed and a broken one, serving metrics on `port`."""
    feeds.publish("/banten.xml", [news("lama", "Harga cabai naik di Pandeglang")])
    config = Config(
        token=telegram.token,
        api_url=telegram.base_url,
        database=tmp_path / "warta.db",
        feeds_file=write_feeds(
            tmp_path / "feeds.toml",
            feeds,
            [("ANTARA Banten", "/banten.xml", "Banten"), ("Rusak", "/rusak.xml", "Nasional")],
        ),
        poll_seconds=POLL_SECONDS,
        metrics_port=port,
        fetch_addresses=LOOPBACK_FEEDS,
    )
    app = build_application(config, send_limits=SendLimits(max_backoff=0.5))
    async with running(app):
        yield app


POLLS = ("warta_polls_total", ())
FETCH_ERRORS = ("warta_feed_fetch_errors_total", (("feed", "Rusak"),))
ITEMS = ("warta_items_stored_total", ())
SENT = ("warta_messages_sent_total", (("kind", "alert"),))
FAILED = ("warta_messages_failed_total", (("kind", "alert"),))
SEND_COUNT = ("warta_send_duration_seconds_count", ())
BACKLOG = ("warta_outbox_backlog", ())
TREE = ("warta_process_tree_resident_bytes", ())


async def test_metrics_follow_polls_and_sends(
    bot: WartaApp, telegram: TelegramStandIn, feeds: FeedServer, port: int
) -> None:
    first = await metrics_when(port, lambda s: s[POLLS] >= 1)
    assert first[FETCH_ERRORS] == 1
    assert first[ITEMS] == 1
    assert first[SENT] == first[FAILED] == first[SEND_COUNT] == 0

    telegram.user_says(READER, "/langganan banjir")
    await telegram.wait_for_messages(READER, 1)
    feeds.add_item("/banten.xml", news("banjir-1", "Banjir rendam Kasemen"))
    await services_of(bot).storage.make_feeds_due()
    await services_of(bot).poller.poll_once()
    await metrics_when(port, lambda s: s[SENT] == 1 and s[SEND_COUNT] == 1)

    telegram.fail_next(status=400, description="Bad Request: message is too long")
    feeds.add_item("/banten.xml", news("banjir-2", "Banjir susulan di Walantaka"))
    await services_of(bot).storage.make_feeds_due()
    await services_of(bot).poller.poll_once()
    await metrics_when(port, lambda s: s[FAILED] == 1)

    # Telegram says "retry after 30 s": the alert waits in the outbox.
    telegram.fail_next(status=429, retry_after=30)
    feeds.add_item("/banten.xml", news("banjir-3", "Banjir meluas ke Cipocok Jaya"))
    await services_of(bot).storage.make_feeds_due()
    await services_of(bot).poller.poll_once()
    await telegram.wait_for(lambda tg: len(tg.requests_for("sendMessage")) == 4)
    last = await metrics_when(port, lambda s: s[BACKLOG] == 1)
    assert last[ITEMS] == 4
    assert last[SENT] == 1
    assert last[POLLS] == 4

    health = await scrape(port, "/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["outbox_backlog"] == 1
    assert 0 <= body["last_poll_age_seconds"] < POLL_SECONDS


def resident_bytes(pid: int) -> int:
    """A process's resident set, as the kernel counts it."""
    with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def test_metrics_count_the_memory_of_the_parser_and_extraction_processes(
    bot: WartaApp, port: int
) -> None:
    services = services_of(bot)
    assert services.workers is not None
    assert services.extractors is not None
    await services.extractors.start()  # as the first article page would
    children = [*services.workers.process_ids(), *services.extractors.process_ids()]
    assert services.extractors.process_ids()
    tree = (await metrics(port))[TREE]
    # The bot runs in this process: its own memory, and its children's on top.
    assert tree > resident_bytes(os.getpid())
    assert tree > sum(resident_bytes(pid) for pid in children)


async def test_health_fails_when_the_database_is_unreachable(bot: WartaApp, port: int) -> None:
    assert (await scrape(port, "/healthz")).status_code == 200
    await services_of(bot).storage.close()
    health = await scrape(port, "/healthz")
    assert health.status_code == 503
    assert health.json()["database"] is False
    assert health.json()["problems"] == ["database unreachable"]


async def test_health_fails_after_three_poll_intervals_without_a_successful_poll(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, port: int
) -> None:
    clock = Clock()
    config = Config(
        token=telegram.token,
        api_url=telegram.base_url,
        database=tmp_path / "warta.db",
        feeds_file=write_feeds(tmp_path / "feeds.toml", feeds, [("Rusak", "/rusak.xml", "")]),
        poll_seconds=POLL_SECONDS,
        metrics_port=port,
        fetch_addresses=LOOPBACK_FEEDS,
    )
    async with running(build_application(config, clock=clock)):
        await feeds.wait_for_hits("/rusak.xml", 1)
        fresh = await scrape(port, "/healthz")
        assert fresh.status_code == 200
        assert fresh.json()["last_poll_age_seconds"] is None

        clock.offset = 3 * POLL_SECONDS + 1
        stale = await scrape(port, "/healthz")
        assert stale.status_code == 503
        assert stale.json()["database"] is True
        (problem,) = stale.json()["problems"]
        assert problem.startswith("no successful poll for 18")
        assert problem.endswith("(limit 180s)")


async def test_with_a_schedule_per_feed_health_allows_the_longest_interval_between_polls(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, port: int
) -> None:
    clock = Clock()
    config = Config(
        token=telegram.token,
        api_url=telegram.base_url,
        database=tmp_path / "warta.db",
        feeds_file=write_feeds(tmp_path / "feeds.toml", feeds, [("Rusak", "/rusak.xml", "")]),
        poll_seconds=POLL_SECONDS,
        poll_max_seconds=1800,  # a quiet feed is asked every half hour: that is not stale
        metrics_port=port,
        fetch_addresses=LOOPBACK_FEEDS,
    )
    async with running(build_application(config, clock=clock)):
        await feeds.wait_for_hits("/rusak.xml", 1)
        clock.offset = 3 * POLL_SECONDS + 1
        assert (await scrape(port, "/healthz")).status_code == 200
        clock.offset = 3 * 1800 + 1
        stale = await scrape(port, "/healthz")
        assert stale.status_code == 503
        assert stale.json()["problems"][0].endswith("(limit 5400s)")


@pytest.mark.parametrize(
    ("role", "status"), [(Role.SENDER, 200), (Role.UPDATES, 200), (Role.POLLER, 503)]
)
async def test_health_checks_polls_only_in_a_process_that_polls(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, port: int, role: Role, status: int
) -> None:
    clock = Clock()
    config = Config(
        token=telegram.token,
        api_url=telegram.base_url,
        database=tmp_path / "warta.db",
        feeds_file=write_feeds(tmp_path / "feeds.toml", feeds, [("Rusak", "/rusak.xml", "")]),
        poll_seconds=POLL_SECONDS,
        metrics_port=port,
        fetch_addresses=LOOPBACK_FEEDS,
        roles=frozenset({role}),
    )
    async with running(build_application(config, clock=clock)) as app:
        clock.offset = 3 * POLL_SECONDS + 1  # no successful poll for three intervals
        health = await scrape(port, "/healthz")
        assert health.status_code == status, health.text
        body = health.json()
        assert body["roles"] == [role]
        assert body["process_id"] == services_of(app).heartbeat.process_id
        samples = await metrics(port)
    info = [labels for (name, labels), value in samples.items() if name == "warta_process_info"]
    assert info == [
        (("host", body["host"]), ("process_id", str(body["process_id"])), ("roles", role))
    ]
