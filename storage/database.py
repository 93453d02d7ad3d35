"""The database connections shared by every group of queries: one writer, a few readers.

Writes go through one connection, one transaction at a time. Reads go through separate
connections, so a query sees only committed data: never the half of a transaction that the
writer is still building or is about to roll back. WAL lets the readers work while the writer
writes. A read made by the task that holds the write transaction uses the writer, so it sees what
that transaction has done so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrate import apply_migrations, newest_version

BUSY_TIMEOUT_MS = 15_000
LOCKED_RETRIES = 8
# Three readers: the sender, the commands and one slow query (a wide search, the stats) can read
# at once without queueing behind each other; more would not help on two cores, and each
# connection is a thread with its own page cache.
READERS = 3


class StorageClosedError(RuntimeError):
    """The storage was used before `open()` or after `close()`."""


class DatabaseOpenError(Exception):
    """The database file cannot be used; the message says why, in one line."""


class Database:
    """One SQLite file: a writer connection whose writes take turns, and a pool of readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._idle_readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        # Tasks sharing one aiosqlite connection share its transaction: writes take turns.
        self._write_lock = asyncio.Lock()
        self._writing: asyncio.Task[Any] | None = None

    async def open(self) -> None:
        """Open the writer and the readers, set pragmas and apply migrations."""
        if self._db is not None:
            raise RuntimeError("storage is already open")
        connections: list[aiosqlite.Connection] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._check_version(await asyncio.to_thread(_file_schema_version, self.path))
            writer = await self._connect(connections)
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA synchronous = NORMAL")
            await apply_migrations(writer)
            for _ in range(READERS):
                reader = await self._connect(connections)
                await reader.execute("PRAGMA query_only = ON")
        except (sqlite3.Error, OSError) as error:
            await _close_all(connections)
            raise DatabaseOpenError(f"cannot open the database {self.path}: {error}") from None
        except BaseException:
            await _close_all(connections)
            raise
        self._db, self._readers = writer, connections[1:]
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
        if self._db is not None:
            connections = [self._db, *self._readers]
            self._db, self._readers = None, []
            await _close_all(connections)

    @property
    def db(self) -> aiosqlite.Connection:
        """The open writer connection."""
        if self._db is None:
            raise StorageClosedError("storage is not open")
        return self._db

    @property
    def connections(self) -> tuple[aiosqlite.Connection, ...]:
        """Every open connection, the writer first (for diagnostics such as progress handlers)."""
        return (self.db, *self._readers)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; retried while another process holds the lock."""
        async with self._write_lock:
            db = self.db
            for attempt in range(LOCKED_RETRIES):
                try:
                    await db.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or attempt == LOCKED_RETRIES - 1:
                        raise
                    await asyncio.sleep(0.5 * (attempt + 1))
            self._writing = asyncio.current_task()
            try:
                yield db
            except BaseException:
                await db.rollback()
                raise
            finally:
                self._writing = None
            await self._commit(db)

    @staticmethod
    async def _commit(db: aiosqlite.Connection) -> None:
        for attempt in range(LOCKED_RETRIES):
            try:
                await db.commit()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == LOCKED_RETRIES - 1:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A connection that sees committed data only (the writer, inside its own transaction)."""
        writer = self.db
        if self._writing is not None and self._writing is asyncio.current_task():
            yield writer
            return
        idle = self._idle_readers
        reader = await idle.get()
        try:
            if self._db is None:
                raise StorageClosedError("storage is not open")
            yield reader
        finally:
            idle.put_nowait(reader)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._read() as db, db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._read() as db, db.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row


def sum_or_zero(row: sqlite3.Row | None, name: str) -> int:
    """A count or sum from a row by name; SQL's NULL sum (no rows) and a missing row are zero."""
    return int(row[name] or 0) if row is not None else 0


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
