"""Copying an SQLite database into PostgreSQL, for `warta migrate-db`.

A copy makes the PostgreSQL database hold exactly what the SQLite file holds at one moment (one
read transaction over the file, so a bot writing it meanwhile does not tear the copy), in one
PostgreSQL transaction: a copy that fails half-way leaves the target as it was. Running it again
after the bot ran on SQLite for a while therefore brings the target up to the file again: new
rows arrive, changed rows change, rows the file no longer has go. What it refuses to overwrite is
a target that was written to on its own since (ids past the file's newest: the bot has been
running on PostgreSQL), since copying would lose those rows.

Rows keep their ids; PostgreSQL's identity sequences then continue past them, and every item's
`search` words are filled as the bot fills them when it stores an item.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from storage import Storage
from storage.database import first_line
from storage.fulltext import search_document
from storage.migrate import newest_version
from storage.postgres import CONNECT_TIMEOUT_SECONDS, redacted, url_problem
from storage.sqlite import BUSY_TIMEOUT_MS

# Every table of Warta's data, parents before the tables whose rows point at them; whether its
# `id` is an identity column (chats are keyed by Telegram's ids, chat_regions by chat and region,
# WebSub subscriptions by feed, hubs left by feed and token). Running processes, leases and the
# send budget are not data: the bot writes them afresh.
TABLES: tuple[tuple[str, bool], ...] = (
    ("chats", False),
    ("chat_admins", False),
    ("feeds", True),
    ("websub_subscriptions", False),
    ("websub_departures", False),
    ("broadcasts", True),
    ("items", True),
    ("item_places", False),
    ("places_backlog", False),
    ("pending_articles", False),
    ("topics", True),
    ("chat_regions", False),
    ("digests", True),
    ("deliveries", True),
    ("narrowings", True),
    ("explain_events", True),
)
# PostgreSQL's own column, computed here rather than copied.
SEARCH_COLUMN = "search"
# Each engine's own record of an item's search words (filled on the way, never copied).
_SEARCH_COLUMNS = {"sqlite": ("search_words",), "postgresql": (SEARCH_COLUMN, "search_pending")}
_NAME = re.compile(r"^[a-z_]+$")
# Items staged at a time: enough for the server to work in bulk, few enough that the two batches
# held at once (the one written, the one being prepared) stay under about 100 MB.
ITEM_BATCH = 5_000


class TransferError(Exception):
    """The copy was refused or failed; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class TableCount:
    """Rows of one table in the SQLite file (at the copy's moment) and in PostgreSQL after it."""

    table: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        """Whether both databases hold the same number of rows."""
        return self.source == self.target


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What a copy did."""

    counts: tuple[TableCount, ...]
    seconds: float

    @property
    def matches(self) -> bool:
        """Whether every table has as many rows in PostgreSQL as in the file."""
        return all(count.matches for count in self.counts)

    @property
    def rows(self) -> int:
        """Rows copied, over all tables."""
        return sum(count.source for count in self.counts)

    def count_of(self, table: str) -> TableCount:
        """The counts of one table."""
        return next(count for count in self.counts if count.table == table)


async def migrate_database(
    source: Path, target_url: str, on_table: Callable[[str], None] = lambda table: None
) -> TransferReport:
    """Bring both databases to this code's schema, then copy source into target."""
    for location in (source, target_url):
        # Opening applies the migrations (or refuses a newer schema, DatabaseOpenError).
        storage = Storage(location)
        await storage.open()
        await storage.close()
    return await asyncio.to_thread(copy_database, source, target_url, on_table)


def copy_database(
    source: Path, target_url: str, on_table: Callable[[str], None] = lambda table: None
) -> TransferReport:
    """Replace the target's Warta data with the source's; counts of both per table.

    on_table is told each table's name as its copy begins (a large one takes minutes).
    """
    started = time.perf_counter()
    if (problem := url_problem(target_url)) is not None:
        raise TransferError(problem)
    try:
        with (
            contextlib.closing(_open_source(source)) as reader,
            psycopg.connect(
                target_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            ) as writer,
        ):
            _check_versions(reader, writer, source, target_url)
            reader.execute("BEGIN")  # one moment of the file for every table and count
            columns = {table: _columns(reader, writer, table) for table, _ in TABLES}
            with writer.transaction():
                _refuse_newer_rows(reader, writer, source)
                _replace_all(reader, writer, columns, on_table)
            sources = {table: _count(reader, table) for table, _ in TABLES}
            reader.execute("COMMIT")
            targets = _target_counts(writer)
    except sqlite3.Error as error:
        raise TransferError(f"cannot read {source}: {error}") from None
    except psycopg.Error as error:
        raise TransferError(
            f"copy into {redacted(target_url)} failed: {first_line(error)}"
        ) from None
    counts = tuple(TableCount(t, sources[t], targets[t]) for t, _ in TABLES)
    return TransferReport(counts, time.perf_counter() - started)


def _open_source(path: Path) -> sqlite3.Connection:
    """The file in autocommit mode, so that BEGIN and COMMIT are this module's own."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    db.execute("PRAGMA query_only = ON")
    return db


def _check_versions(
    reader: sqlite3.Connection, writer: psycopg.Connection[Any], source: Path, url: str
) -> None:
    """Both databases must be at this code's schema, so that their columns are the same."""
    known = newest_version()
    found = int(reader.execute("PRAGMA user_version").fetchone()[0])
    if found != known:
        raise TransferError(f"{source} has schema version {found}, not this Warta's {known}")
    row = writer.execute("SELECT version FROM warta_schema").fetchone()
    version = int(row[0]) if row else 0
    if version != known:
        raise TransferError(
            f"{redacted(url)} has schema version {version}, not this Warta's {known}"
        )


def _columns(reader: sqlite3.Connection, writer: psycopg.Connection[Any], table: str) -> list[str]:
    """The columns the table has in both databases; a difference means a broken schema."""
    # Table and column names go into statements as identifiers, so they are checked to be names.
    if not _NAME.match(table):
        raise ValueError(f"not a table name: {table!r}")
    names = [
        str(row[1])
        for row in reader.execute(f"PRAGMA table_info({table})")
        if str(row[1]) not in _SEARCH_COLUMNS["sqlite"]
    ]
    rows = writer.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    ).fetchall()
    theirs = {str(row[0]) for row in rows} - set(_SEARCH_COLUMNS["postgresql"])
    if set(names) != theirs or not all(_NAME.match(name) for name in names):
        raise TransferError(
            f"the table {table} has different columns on the two databases: "
            f"{', '.join(sorted(set(names) ^ theirs))}"
        )
    return names


def _refuse_newer_rows(
    reader: sqlite3.Connection, writer: psycopg.Connection[Any], source: Path
) -> None:
    """Refuse a target holding rows made after the last copy: the copy would remove them."""
    for table, identity in TABLES:
        if not identity:
            continue
        ours = reader.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0
        query = sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(table))
        theirs = writer.execute(query).fetchone()
        if theirs is not None and theirs[0] is not None and int(theirs[0]) > ours:
            raise TransferError(
                f"the PostgreSQL database has {table} up to id {theirs[0]}, past the newest in "
                f"{source} ({ours}): it has been written to since the last copy, and copying "
                "would remove that; copy into an empty database instead"
            )


def _replace_all(
    reader: sqlite3.Connection,
    writer: psycopg.Connection[Any],
    columns: dict[str, list[str]],
    on_table: Callable[[str], None],
) -> None:
    """Empty the target's tables, copy every row, then move the id sequences past the rows."""
    tables = sql.SQL(", ").join(sql.Identifier(table) for table, _ in TABLES)
    writer.execute(sql.SQL("TRUNCATE {}").format(tables))
    for table, _ in TABLES:
        on_table(table)
        if table == "items":
            _copy_items(reader, writer, columns[table])
        else:
            _copy_rows(writer, table, columns[table], _rows(reader, table, columns[table]))
    for table, identity in TABLES:
        if identity:
            _restart_ids(writer, table)


def _rows(reader: sqlite3.Connection, table: str, columns: Sequence[str]) -> Iterator[Any]:
    """Every row of a source table, in id order (as PostgreSQL would have inserted them)."""
    return iter(reader.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid"))


def _copy_rows(
    writer: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Iterator[Any]
) -> None:
    """COPY rows into a table, streaming (nothing is held in memory but the current batch)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with writer.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _copy_items(
    reader: sqlite3.Connection, writer: psycopg.Connection[Any], columns: list[str]
) -> None:
    """Items go through a staging table that carries each one's search words beside it."""
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    writer.execute(
        sql.SQL(
            "CREATE TEMPORARY TABLE items_copy ON COMMIT DROP AS SELECT {} FROM items WITH NO DATA"
        ).format(names)
    )
    writer.execute("ALTER TABLE items_copy ADD COLUMN document TEXT NOT NULL")
    insert = sql.SQL(
        "INSERT INTO items ({names}, search) "
        "SELECT {names}, CAST(document AS tsvector) FROM items_copy ORDER BY id"
    ).format(names=names)
    documents = _Documents(columns.index("title"), columns.index("body"))
    rows = _rows(reader, "items", columns)
    # The words of the next batch are found in a thread while the server indexes this one (the
    # two take about as long): 100,000 items copy in 30 s instead of 45 on a busy 2-core machine.
    with ThreadPoolExecutor(max_workers=1) as worker:
        batch = worker.submit(documents.add, list(itertools.islice(rows, ITEM_BATCH)))
        while staged := batch.result():
            batch = worker.submit(documents.add, list(itertools.islice(rows, ITEM_BATCH)))
            _copy_rows(writer, "items_copy", [*columns, "document"], iter(staged))
            writer.execute(insert)
            writer.execute("TRUNCATE items_copy")


@dataclass(frozen=True, slots=True)
class _Documents:
    """Adds each item row's search document (storage/fulltext.py) to its end."""

    title: int
    body: int

    def add(self, rows: list[Any]) -> list[tuple[Any, ...]]:
        """The rows, each with its document appended."""
        return [(*row, search_document(row[self.title], row[self.body])) for row in rows]


def _restart_ids(writer: psycopg.Connection[Any], table: str) -> None:
    """The table's identity sequence continues after the largest id copied."""
    writer.execute(
        sql.SQL(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(max(id), 0) + 1, false) "
            "FROM {}"
        ).format(sql.Identifier(table)),
        (table,),
    )


def _count(reader: sqlite3.Connection, table: str) -> int:
    return int(reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _target_counts(writer: psycopg.Connection[Any]) -> dict[str, int]:
    counts = {}
    for table, _ in TABLES:
        row = writer.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        found = row.fetchone()
        counts[table] = int(found[0]) if found else 0
    return counts
