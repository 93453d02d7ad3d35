"""Suite-wide settings and the loopback servers most tests talk to."""

from __future__ import annotations

import tempfile
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
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole run, started when a test first needs it."""
    # Outside pytest's own temporary folders: pytest deletes old runs' folders, and a run
    # started beside this one must not delete this server's data under it.
    with (
        tempfile.TemporaryDirectory(prefix="warta-postgres-") as folder,
        postgres_server(Path(folder) / "data", durable=False) as server,
    ):
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A PostgreSQL database of the test's own, with Warta's schema and no data."""
    with postgres_database(postgres, schema=True) as url:
        yield url


@pytest.fixture
def empty_postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A PostgreSQL database of the test's own, as an operator creates it: no tables at all."""
    with postgres_database(postgres) as url:
        yield url


# Tests in these folders run once on each engine (SQLite, then PostgreSQL); elsewhere, where
# the database is not what is tested, on SQLite alone.
BOTH_ENGINES = ("storage", "e2e", "reliability", "readers", "operators", "handlers", "delivery")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every test that uses `database` the engines its folder runs on."""
    if "database" in metafunc.fixturenames:
        folder = metafunc.definition.path.parent.name
        engines = ["sqlite", "postgresql"] if folder in BOTH_ENGINES else ["sqlite"]
        metafunc.parametrize("database", engines, indirect=True)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the test's database lives: a file in its folder, or a PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return tmp_path / "warta.db"


@pytest.fixture
async def storage(database: Path | str) -> AsyncIterator[Storage]:
    """An opened, empty database."""
    store = Storage(database)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def warta(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> AsyncIterator[RunningBot]:
    """The bot, running in this event loop, with one (empty) Banten feed."""
    feeds.publish("/banten.xml", [])
    async with running_bot(
        tmp_path,
        telegram,
        feeds,
        [("ANTARA Banten", "/banten.xml", "Banten")],
        database=database,
    ) as bot:
        yield bot
