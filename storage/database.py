"""The database connection shared by every group of queries: pragmas, migrations, one writer."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrate import apply_migrations

BUSY_TIMEOUT_MS = 15_000
LOCKED_RETRIES = 8


class StorageClosedError(RuntimeError):
    """The storage was used before `open()` or after `close()`."""


class Database:
    """One aiosqlite connection to one SQLite file; writes take turns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        # Tasks sharing one aiosqlite connection share its transaction: writes take turns.
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the database file, set pragmas and apply migrations."""
        if self._db is not None:
            raise RuntimeError("storage is already open")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await apply_migrations(db)
        self._db = db

    async def close(self) -> None:
        """Close the database; safe to call twice."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise StorageClosedError("storage is not open")
        return self._db

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
            try:
                yield db
            except BaseException:
                await db.rollback()
                raise
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

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self.db.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row
