"""Suite-wide settings and the loopback servers most tests talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from tests.inprocess import RunningBot, running_bot
from tests.postgres import PostgresServer, postgres_database, postgres_server


@pytest.fixture(autouse=True, scope="session")
def _telegram_retry_after_as_timedelta() -> Iterator[None]:
    # python-telegram-bot warns when RetryAfter carries seconds as an int; with warnings as
    # errors that warning would replace the RetryAfter the sender must see. Opt in to timedelta.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PTB_TIMEDELTA", "true")
        yield


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    """The Bot API stand-in."""
    async with TelegramStandIn() as standin:
        yield standin


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    """A news-feed server."""
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def internal() -> AsyncIterator[FeedServer]:
    """A server on 127.0.0.2: loopback, but outside the tests' allow-list (an internal service)."""
    async with FeedServer("127.0.0.2") as server:
        yield server


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole run, started when a test first needs it."""
    with postgres_server(tmp_path_factory.mktemp("postgres") / "data") as server:
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A new, empty PostgreSQL database of the test's own."""
    with postgres_database(postgres) as url:
        yield url


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """An opened, empty database in the test's folder."""
    store = Storage(tmp_path / "warta.db")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def warta(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[RunningBot]:
    """The bot, running in this event loop, with one (empty) Banten feed."""
    feeds.publish("/banten.xml", [])
    async with running_bot(
        tmp_path, telegram, feeds, [("ANTARA Banten", "/banten.xml", "Banten")]
    ) as bot:
        yield bot
