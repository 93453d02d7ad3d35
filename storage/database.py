"""The database every group of queries shares: SQLite (a file) or PostgreSQL (a URL).

Queries are written once, in SQL both engines understand, with `?` (or `:name`) placeholders;
each engine's session adapts them. What must differ between the engines (connections,
migrations, locking, full-text search and a few expressions) lives in `storage/sqlite.py` and
`storage/postgres.py`.

Writes go one transaction at a time per process (a short one), reads see committed data only:
never the half of a transaction that a writer is still building or is about to roll back. A read
made by the task that holds the write transaction goes through that transaction, so it sees what
the transaction has done so far.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg

Params = Sequence[Any] | Mapping[str, Any]
POSTGRES_SCHEMES = ("postgresql", "postgres")


class StorageClosedError(RuntimeError):
    """The storage was used before `open()` or after `close()`."""


class DatabaseOpenError(Exception):
    """The database cannot be used; the message says why, in one line."""


# What a query may raise when the engine fails it (disk full, locked too long, connection lost).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)
# What a write raises when it would break a unique index (a claim another process just took).
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
# What a write raises when the database refuses a value it was given (too long for an index, a
# character it cannot hold): the values are at fault, not the database.
DATA_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.DataError,
    psycopg.errors.DataError,
    psycopg.errors.ProgramLimitExceeded,
)


class SearchStoppedError(Exception):
    """A search was stopped before it finished because its caller said so."""


class Row(Protocol):
    """A result row: columns by name."""

    def __getitem__(self, name: str) -> Any: ...


class Session(Protocol):
    """A connection or transaction that queries run in."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; the number of rows it changed."""
        ...

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run a statement once for each set of parameters."""
        ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row a query returns."""
        ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row a query returns, if any."""
        ...


class Dialect(Protocol):
    """The few expressions and statements whose SQL differs between the engines."""

    name: str
    # The items whose search words were written by an older Warta (newest first, LIMIT ?), and
    # the statement that writes them anew (document, id).
    pending_search: str
    set_search: str

    def day_number(self, seconds: str) -> str:
        """SQL for the whole days since the epoch of a time in seconds (a non-negative one)."""
        ...

    async def search_documents(self, texts: Sequence[tuple[str, str]]) -> list[str | None]:
        """What the search index needs of each (title, body), found before the write begins."""
        ...

    # Items inserted by one statement at most (the search index may want them one at a time).
    items_per_statement: int
    # The statement that gives an item its body and the body's search words (body, document, id).
    set_body: str

    def insert_items(
        self, rows: Sequence[tuple[Sequence[object], str | None]]
    ) -> tuple[str, Sequence[object]]:
        """SQL and parameters that insert items, each (feed_id, identity, title, summary, body,
        link, published_at, fetched_at, story_id) with its search words, in one statement,
        unless its feed has it already, RETURNING id and identity."""
        ...

    async def lock_stories(self, session: Session) -> None:
        """Inside a write transaction: wait until no other process is storing items."""
        ...

    def for_update_skip_locked(self, table: str) -> str:
        """The end of a SELECT that locks the rows it picks of `table` (an alias), passing over
        rows another transaction holds; nothing where one writer at a time is the rule."""
        ...

    def clock(self) -> str:
        """SQL for the database's time now (Unix seconds), read as the statement runs."""
        ...


class Engine(Protocol):
    """One engine's connections, migrations and searches."""

    @property
    def dialect(self) -> Dialect:
        """SQL that differs on this engine."""
        ...

    async def open(self) -> None:
        """Connect and bring the schema up to date; DatabaseOpenError when it cannot."""
        ...

    async def close(self) -> None:
        """Close every connection; safe to call twice."""
        ...

    def write(self) -> AbstractAsyncContextManager[Session]:
        """A write transaction: committed on success, rolled back on any exception."""
        ...

    def read(self) -> AbstractAsyncContextManager[Session]:
        """A connection that sees committed data only."""
        ...

    async def search_items(
        self, expression: str | None, limit: int, before_id: int, keep_going: Callable[[], bool]
    ) -> list[tuple[Row, str]]:
        """Rows (ITEM_COLUMNS) of the newest items below before_id matching an FTS5 expression."""
        ...


def is_postgres_url(location: str | Path) -> bool:
    """Whether WARTA_DB names a PostgreSQL server rather than an SQLite file."""
    # Not urlsplit, which refuses some malformed URLs: a mistyped one is still PostgreSQL's.
    if not isinstance(location, str):
        return False
    scheme, found, _ = location.partition("://")
    return bool(found) and scheme.lower() in POSTGRES_SCHEMES


def describe(location: str | Path) -> str:
    """The database as it may be shown to anybody: a file's path, or a URL without password."""
    if not is_postgres_url(location):
        return str(location)
    from storage.postgres import redacted

    return redacted(str(location))


class Database:
    """The storage's connection to its engine; query groups are mixins of this class."""

    # SQLite steps between a search's questions whether to go on (a fraction of a millisecond).
    search_check_steps = 10_000

    def __init__(self, location: str | Path) -> None:
        self.location: str | Path = location if is_postgres_url(location) else Path(location)
        self._engine: Engine | None = None
        self._write_lock = asyncio.Lock()
        self._writing: tuple[asyncio.Task[Any], Session] | None = None

    @property
    def engine_name(self) -> str:
        """'sqlite' or 'postgresql'."""
        return "postgresql" if is_postgres_url(self.location) else "sqlite"

    async def open(self) -> None:
        """Connect, check the schema's version and apply migrations."""
        if self._engine is not None:
            raise RuntimeError("storage is already open")
        engine: Engine
        if isinstance(self.location, Path):
            from storage.sqlite import SqliteEngine

            engine = SqliteEngine(self.location, lambda: self.search_check_steps)
        else:
            from storage.postgres import PostgresEngine

            engine = PostgresEngine(self.location)
        await engine.open()
        self._engine = engine
        self._write_lock = asyncio.Lock()

    async def close(self) -> None:
        """Close every connection; safe to call twice."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.close()

    @property
    def engine(self) -> Engine:
        """The open engine."""
        if self._engine is None:
            raise StorageClosedError("storage is not open")
        return self._engine

    @property
    def dialect(self) -> Dialect:
        """SQL that differs between the engines."""
        return self.engine.dialect

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Session]:
        """One write transaction at a time in this process, committed when the block ends."""
        async with self._write_lock, self.engine.write() as session:
            task = asyncio.current_task()
            assert task is not None
            self._writing = (task, session)
            try:
                yield session
            finally:
                self._writing = None

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[Session]:
        """A session that sees committed data only (the writer's own, inside its transaction)."""
        writing = self._writing
        if writing is not None and writing[0] is asyncio.current_task():
            yield writing[1]
            return
        async with self.engine.read() as session:
            yield session

    async def _all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._read() as session:
            return await session.fetch_all(sql, params)

    async def _one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._read() as session:
            return await session.fetch_one(sql, params)


def first_line(error: BaseException) -> str:
    """An engine's error as one line (its first), for a message that must stay one line."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def sum_or_zero(row: Row | None, name: str) -> int:
    """A count or sum from a row by name; SQL's NULL sum (no rows) and a missing row are zero."""
    return int(row[name] or 0) if row is not None else 0
