"""SQLite: one file, a writer connection and a few readers, FTS5 for searches.

WAL lets the readers work while the writer writes; the readers are `query_only`. A search runs
on a connection of its own in a worker thread, so a long one holds up neither the event loop nor
the queries of everybody else, and SQLite's progress handler lets its caller stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.database import (
    DatabaseOpenError,
    Params,
    Row,
    SearchStoppedError,
    Session,
    StorageClosedError,
)
from storage.fulltext import fts5_expression, index_text
from storage.items import ITEM_COLUMNS
from storage.migrate import migration_scripts, newest_version

BUSY_TIMEOUT_MS = 15_000
LOCKED_RETRIES = 8
# Three readers: the sender, the commands and one slow query (the stats, say) can read at once
# without queueing behind each other; more would not help on two cores, and each connection is a
# thread with its own page cache.
READERS = 3

# A search also reads each item's body, for the matcher to confirm it.
_SEARCHED_COLUMNS = f"{ITEM_COLUMNS}, i.body AS body"
_MATCHING_ITEMS = (
    f"SELECT {_SEARCHED_COLUMNS} FROM items_fts JOIN items i ON i.id = items_fts.rowid "
    # Ordered by the index's own rowid (= i.id), FTS5 stops after `limit` matches;
    # ordered by i.id, SQLite would sort every match first (seconds at a million items).
    "JOIN feeds f ON f.id = i.feed_id WHERE items_fts MATCH ? AND items_fts.rowid < ? "
    "ORDER BY items_fts.rowid DESC LIMIT ?"
)
_LATEST_ITEMS = (
    f"SELECT {_SEARCHED_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
    "WHERE i.id < ? ORDER BY i.id DESC LIMIT ?"
)
_INSERT_ITEMS = (
    "INSERT INTO items (feed_id, identity, title, summary, body, link, published_at, "
    "fetched_at, story_id, search_words) VALUES {rows} "
    "ON CONFLICT DO NOTHING RETURNING id, identity"
)
_ITEM_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


class SqliteDialect:
    """SQLite's spelling of what differs between the engines."""

    name = "sqlite"

    pending_search = (
        "SELECT id, title, body FROM items WHERE search_words IS NULL ORDER BY id DESC LIMIT ?"
    )
    set_search = "UPDATE items SET search_words = ? WHERE id = ?"
    set_body = "UPDATE items SET body = ?, search_words = ? WHERE id = ?"
    # FTS5 writes a segment of its index at each statement's end: an item a statement keeps
    # the index in the small, newest-first segments that make a search's cost independent of
    # how many older items match (and a statement costs no round trip in SQLite).
    items_per_statement = 1

    async def search_documents(self, texts: Sequence[tuple[str, str]]) -> list[str | None]:
        """Each item's `search_words`, which FTS5 indexes through triggers."""
        return await asyncio.to_thread(lambda: [index_text(*text) for text in texts])

    def insert_items(
        self, rows: Sequence[tuple[Sequence[object], str | None]]
    ) -> tuple[str, Sequence[object]]:
        """The items' insert, with their search words."""
        sql = _INSERT_ITEMS.format(rows=", ".join([_ITEM_ROW] * len(rows)))
        return sql, [value for values, document in rows for value in (*values, document)]

    async def lock_stories(self, session: Session) -> None:
        """Nothing: BEGIN IMMEDIATE already made this the file's only writer, on its newest data."""

    def day_number(self, seconds: str) -> str:
        """Whole days since the epoch (CAST truncates, which is flooring for these times)."""
        return f"CAST(({seconds}) / 86400 AS INTEGER)"

    def for_update_skip_locked(self, table: str) -> str:
        """Nothing: the write transaction (BEGIN IMMEDIATE) already excludes every other writer."""
        return ""

    def clock(self) -> str:
        """This machine's clock, the only one an SQLite file's processes share."""
        return "((julianday('now') - 2440587.5) * 86400.0)"


class SqliteSession:
    """Queries on one aiosqlite connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; the number of rows it changed."""
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run a statement once for each set of parameters."""
        await self._db.executemany(sql, rows)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row a query returns."""
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row a query returns, if any."""
        async with self._db.execute(sql, params) as cursor:
            row: Row | None = await cursor.fetchone()
            # A statement with RETURNING is done only once every row has been read.
            await cursor.fetchall()
            return row


class SqliteEngine:
    """One SQLite file: a writer connection whose writes take turns, and a pool of readers."""

    dialect = SqliteDialect()

    def __init__(self, path: Path, check_steps: Callable[[], int]) -> None:
        self.path = path
        self._check_steps = check_steps
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._idle_readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()

    async def open(self) -> None:
        """Open the writer and the readers, set pragmas and apply migrations."""
        connections: list[aiosqlite.Connection] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._check_version(await asyncio.to_thread(_file_schema_version, self.path))
            writer = await self._connect(connections)
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA synchronous = NORMAL")
            await _apply_migrations(writer)
            for _ in range(READERS):
                reader = await self._connect(connections)
                await reader.execute("PRAGMA query_only = ON")
        except (sqlite3.Error, OSError) as error:
            await _close_all(connections)
            raise DatabaseOpenError(f"cannot open the database {self.path}: {error}") from None
        except BaseException:
            await _close_all(connections)
            raise
        self._writer, self._readers = writer, connections[1:]
        self._idle_readers = asyncio.Queue()
        for reader in self._readers:
            self._idle_readers.put_nowait(reader)

    async def _connect(self, opened: list[aiosqlite.Connection]) -> aiosqlite.Connection:
        """A connection in autocommit mode with the pragmas every connection needs."""
        db = await aiosqlite.connect(self.path, isolation_level=None)
        opened.append(db)
        db.row_factory = sqlite3.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA foreign_keys = ON")
        return db

    def _check_version(self, found: int) -> None:
        """Refuse a file written by a newer Warta, before anything in it is changed."""
        known = newest_version()
        if found > known:
            raise DatabaseOpenError(
                f"the database {self.path} has schema version {found}, written by a newer "
                f"Warta; this Warta knows versions up to {known}: run the newer Warta, or "
                "restore a backup made with this one"
            )

    async def close(self) -> None:
        """Close every connection; safe to call twice."""
        if self._writer is not None:
            connections = [self._writer, *self._readers]
            self._writer, self._readers = None, []
            await _close_all(connections)

    def _open_writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise StorageClosedError("storage is not open")
        return self._writer

    @property
    def connections(self) -> tuple[aiosqlite.Connection, ...]:
        """Every open connection, the writer first."""
        return (self._open_writer(), *self._readers)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteSession]:
        """A write transaction, retried while another process holds the file's lock."""
        db = self._open_writer()
        for attempt in range(LOCKED_RETRIES):
            try:
                await _begin(db)
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == LOCKED_RETRIES - 1:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))
        try:
            yield SqliteSession(db)
        except BaseException:
            await db.rollback()
            raise
        await _commit(db)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteSession]:
        """One of the readers, for as long as the block runs."""
        self._open_writer()
        idle = self._idle_readers
        reader = await idle.get()
        try:
            yield SqliteSession(reader)
        finally:
            idle.put_nowait(reader)

    async def search_items(
        self, expression: str | None, limit: int, before_id: int, keep_going: Callable[[], bool]
    ) -> list[tuple[Row, str]]:
        """Newest items below before_id matching an FTS5 expression (all when None)."""
        self._open_writer()
        return await asyncio.to_thread(self._search, expression, limit, before_id, keep_going)

    def _search(
        self, expression: str | None, limit: int, before_id: int, keep_going: Callable[[], bool]
    ) -> list[tuple[Row, str]]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)) as db:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA query_only = 1")
            db.set_progress_handler(lambda: not keep_going(), self._check_steps())
            try:
                if expression is None:
                    rows = db.execute(_LATEST_ITEMS, (before_id, limit)).fetchall()
                else:
                    matching = (fts5_expression(expression), before_id, limit)
                    rows = db.execute(_MATCHING_ITEMS, matching).fetchall()
            except sqlite3.OperationalError as error:
                if "interrupted" in str(error):
                    raise SearchStoppedError from error
                raise
        return [(row, row["body"]) for row in rows]


async def _begin(db: aiosqlite.Connection) -> None:
    """BEGIN IMMEDIATE, which a task cancelled meanwhile does not leave open.

    The statement runs on in the connection's thread when the awaiting task is cancelled (a
    poller stopping while it waits for another process's lock): once it has begun, the
    transaction is rolled back, or the connection would hold the file's lock for good.
    """
    begin = asyncio.ensure_future(db.execute("BEGIN IMMEDIATE"))
    try:
        await asyncio.shield(begin)
    except asyncio.CancelledError:
        with contextlib.suppress(sqlite3.Error):
            await begin
            await db.rollback()
        raise


async def _commit(db: aiosqlite.Connection) -> None:
    for attempt in range(LOCKED_RETRIES):
        try:
            await db.commit()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == LOCKED_RETRIES - 1:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))


async def _apply_migrations(db: aiosqlite.Connection) -> int:
    """Bring the schema up to the newest version (PRAGMA user_version); return that version.

    Several processes may start on a new file at once: each migration runs in a transaction
    that holds the file's write lock from its start (BEGIN IMMEDIATE) and reads the version
    again under it, so a migration another process applied meanwhile is not applied twice.
    """
    current = await _schema_version(db)
    for version, script in migration_scripts("sqlite"):
        if version <= current:
            continue
        await db.execute("BEGIN IMMEDIATE")
        try:
            current = await _schema_version(db)
            if version > current:
                for statement in _statements(script):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {version}")
                current = version
        except BaseException:
            await db.rollback()
            raise
        await db.commit()
    return current


async def _schema_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _statements(script: str) -> list[str]:
    """A migration script's statements, one by one (executescript would commit first)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        # A trigger's body holds semicolons too: SQLite itself says when a statement ends.
        if sqlite3.complete_statement(pending):
            statements.append(pending)
            pending = ""
    if any(line.strip() and not line.strip().startswith("--") for line in pending.splitlines()):
        raise ValueError(f"a migration ends in an unfinished statement: {pending.strip()[:80]!r}")
    return statements


def _file_schema_version(path: Path) -> int:
    """The file's schema version, read through a plain connection opened and closed here."""
    # Opening the file here first means a file that cannot be opened fails in this thread, not
    # in aiosqlite's worker, which would report it to an event loop that may be closed by then.
    with contextlib.closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


async def _close_all(connections: Sequence[aiosqlite.Connection]) -> None:
    """Close connections, each even if another fails to close."""
    for db in connections:
        try:
            await db.close()
        except sqlite3.Error:
            continue
