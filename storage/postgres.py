"""PostgreSQL: a pool of connections that many processes and machines can share.

Every statement outside a write transaction runs in autocommit, so it sees committed data only.
Migrations run in one transaction under an advisory lock, so processes that start together apply
them once. Searches use the items' `search` tsvector (storage/fulltext.py: the words as
SQLite's FTS5 reads them, without their clitics, never stemmed) with its GIN index, and a caller
can stop one (a cancel request).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from enum import Enum
from functools import lru_cache
from typing import Any, cast

import psycopg
import psycopg_pool
from psycopg.rows import dict_row

from storage.database import (
    DatabaseOpenError,
    Params,
    Row,
    SearchStoppedError,
    Session,
    StorageClosedError,
    first_line,
)
from storage.fulltext import search_document, tsquery
from storage.items import ITEM_COLUMNS
from storage.migrate import migration_scripts, newest_version

# Connections kept open: the sender, commands and a slow query or two at once, per process.
POOL_SIZE = 6
CONNECT_TIMEOUT_SECONDS = 10
# Any number that no other program takes an advisory lock on: 'warta' in ASCII.
MIGRATION_LOCK = 0x7761727461
# Held while a process stores items: story detection then sees every item stored before it.
STORY_LOCK = MIGRATION_LOCK + 1
# How often a running search asks whether to go on.
SEARCH_CHECK_SECONDS = 0.02
# A search reads this many of the newest items one by one before it asks the GIN index: common
# words are found there at once, rare ones are cheaper through the index (see _newest_matches).
NEWEST_ROWS_FIRST = 1000
# Past them, the rest is looked for in windows of ids (see _older_matches): the first holds this
# many times the ids that should hold what is still wanted, were the older items as rich in
# matches as the newest, and each next one this many times the one before.
WINDOW_MARGIN = 4
# What a window costs, as measured on a million items. A pass over the GIN index costs for each
# item of the whole table the topic's words match, whatever the window: about half a
# microsecond for a word, two for words that must be found together (AND), tens of
# milliseconds for a common topic. Reading an item one by one costs about as much as that pass
# does for this many matches.
INDEX_MATCHES_PER_READ = 5
# Intersecting the index's matches with a window's range of the primary key costs about as
# much for this many ids as reading one matching item: where the matches below are fewer than
# a window's ids by that much, one query for all of them costs less.
IDS_PER_MATCH = 20

# A search also reads each item's body, for the matcher to confirm it.
_SEARCHED_COLUMNS = f"{ITEM_COLUMNS}, i.body AS body"
_MATCHING_ITEMS = (
    f"SELECT {_SEARCHED_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
    "WHERE i.search @@ CAST(%s AS tsquery) AND i.id < %s AND i.id >= %s "
    "ORDER BY i.id DESC LIMIT %s"
)
# Every match below an id, for rare words: the index's few matches are read as they are, not
# intersected first with the primary key's range, which over most of a million ids costs more
# than they do (`+ 0` keeps the key out of the plan).
_MATCHES_BELOW = (
    f"SELECT {_SEARCHED_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
    "WHERE i.search @@ CAST(%s AS tsquery) AND i.id + 0 < %s ORDER BY i.id DESC LIMIT %s"
)
# The oldest of the newest items, and the first id of all: pruning leaves none below it.
_NEWEST_EDGE = (
    "SELECT min(id) AS edge, max(id) AS newest, count(*) AS rows, "
    "(SELECT min(id) FROM items) AS first FROM "
    "(SELECT id FROM items WHERE id < %s ORDER BY id DESC LIMIT %s) newest"
)
# For the rest of a search: the GIN index, never a scan of every item (see _older_matches).
_INDEX_ONLY = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
)
# Or the items one by one, newest first, until enough matched: never the GIN index.
_ONE_BY_ONE = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)"
)
_LATEST_ITEMS = (
    f"SELECT {_SEARCHED_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
    "WHERE i.id < %s ORDER BY i.id DESC LIMIT %s"
)
_INSERT_ITEMS = (
    "INSERT INTO items (feed_id, identity, title, summary, body, link, published_at, "
    "fetched_at, story_id, search) VALUES {rows} ON CONFLICT DO NOTHING RETURNING id, identity"
)
# Typed: a multi-row VALUES infers each column's type from its rows, and NULLs tell nothing.
_ITEM_ROW = (
    "(CAST(? AS BIGINT), ?, ?, ?, ?, ?, CAST(? AS DOUBLE PRECISION), "
    "CAST(? AS DOUBLE PRECISION), CAST(? AS BIGINT), CAST(? AS tsvector))"
)
_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS warta_schema (version INTEGER NOT NULL)"
# Where the address part of a URL ends.
_URL_DELIMITERS = re.compile(r"[/?#]")


def redacted(url: str) -> str:
    """The URL as anybody may see it: without its password (in the address or as a
    `password=` parameter) and its fragment; never an error, however malformed the URL.

    Built by hand rather than by urlsplit, which refuses some malformed URLs and, given a
    password holding a "/", reads the rest of it as the path.
    """
    scheme, found, rest = url.partition("://")
    if not found:
        return "(not a URL)"
    rest = rest.partition("#")[0]
    if "@" in rest:  # everything up to the last "@" may be the password
        userinfo, _, rest = rest.rpartition("@")
        user = userinfo.partition(":")[0]
        rest = f"{user}@{rest}" if user and not _URL_DELIMITERS.search(user) else rest
    address, question, query = rest.partition("?")
    kept = [
        pair
        for pair in query.split("&")
        if pair and pair.partition("=")[0].strip().lower() != "password"
    ]
    return f"{scheme}://{address}" + (f"?{'&'.join(kept)}" if question and kept else "")


def url_problem(url: str) -> str | None:
    """Why a PostgreSQL URL cannot be used, in words that never repeat any of it; None if
    it can.

    A "/", "?", "#" or "@" left in the password ends the address early or twice: what follows
    would be read as the host, the port or the database, and shown back in the server's
    errors. libpq's own complaints about a URL it cannot read quote the URL, password included.
    """
    authority = url.partition("://")[2]
    if authority.count("@") > 1 or "@" in _URL_DELIMITERS.split(authority, maxsplit=1)[-1]:
        return (
            "the password in the PostgreSQL URL must be percent-encoded "
            "(/ as %2F, @ as %40, ? as %3F, # as %23)"
        )
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return (
            f"cannot read the PostgreSQL URL {redacted(url)}: write it as "
            "postgresql://user:password@host:port/database, reserved characters of the "
            "password percent-encoded (/ as %2F, @ as %40, % as %25)"
        )
    return None


def server_name(url: str) -> str:
    """The server as an operator knows it: host and port, or the socket folder."""
    if url_problem(url) is not None:  # libpq would misread it, or quote it whole
        address = redacted(url).partition("://")[2].rpartition("@")[2]
        return _URL_DELIMITERS.split(address, maxsplit=1)[0] or "localhost"
    info = psycopg.conninfo.conninfo_to_dict(url)
    host = str(info.get("host") or "localhost")
    port = info.get("port")
    return f"{host}:{port}" if port else host


class PostgresDialect:
    """PostgreSQL's spelling of what differs between the engines."""

    name = "postgresql"

    pending_search = (
        "SELECT id, title, body FROM items WHERE search_pending ORDER BY id DESC LIMIT ?"
    )
    set_search = (
        "UPDATE items SET search = CAST(? AS tsvector), search_pending = false WHERE id = ?"
    )
    set_body = (
        "UPDATE items SET body = ?, search = CAST(? AS tsvector), search_pending = false "
        "WHERE id = ?"
    )
    # A feed's items in one statement: one round trip inside the cluster-wide turn.
    items_per_statement = 500

    async def search_documents(self, texts: Sequence[tuple[str, str]]) -> list[str | None]:
        """Each item's search words, found in a worker thread (a feed's worth takes tens of
        milliseconds: not on the event loop that answers chats)."""
        return await asyncio.to_thread(lambda: [search_document(*text) for text in texts])

    def insert_items(
        self, rows: Sequence[tuple[Sequence[object], str | None]]
    ) -> tuple[str, Sequence[object]]:
        """The items' insert, with their search words."""
        sql = _INSERT_ITEMS.format(rows=", ".join([_ITEM_ROW] * len(rows)))
        return sql, [value for values, document in rows for value in (*values, document)]

    async def lock_stories(self, session: Session) -> None:
        """Wait for the cluster-wide story lock, held until the transaction ends."""
        await session.execute("SELECT pg_advisory_xact_lock(?)", (STORY_LOCK,))

    def day_number(self, seconds: str) -> str:
        """Whole days since the epoch."""
        return f"floor(({seconds}) / 86400)::bigint"

    def for_update_skip_locked(self, table: str) -> str:
        """Row locks, passing over rows another process is claiming at this moment."""
        return f" FOR UPDATE OF {table} SKIP LOCKED"

    def clock(self) -> str:
        """The server's clock as the statement runs (now() stops at the transaction's start)."""
        return "extract(epoch FROM clock_timestamp())"


class PostgresSession:
    """Queries on one pooled connection; `?` and `:name` placeholders become psycopg's."""

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; the number of rows it changed."""
        cursor = await self._connection.execute(_placeholders(sql), _adapted(params))
        return cursor.rowcount

    async def execute_many(self, sql: str, rows: Sequence[Params]) -> None:
        """Run a statement once for each set of parameters."""
        async with self._connection.cursor() as cursor:
            await cursor.executemany(_placeholders(sql), [_adapted(row) for row in rows])

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row a query returns."""
        cursor = await self._connection.execute(_placeholders(sql), _adapted(params))
        return cast(list[Row], await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row a query returns, if any."""
        cursor = await self._connection.execute(_placeholders(sql), _adapted(params))
        return cast(Row | None, await cursor.fetchone())


class PostgresEngine:
    """A PostgreSQL database reached through a URL, with a pool of connections."""

    dialect = PostgresDialect()

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: psycopg_pool.AsyncConnectionPool[Any] | None = None

    async def open(self) -> None:
        """Connect, migrate under the lock, then open the pool."""
        if (problem := url_problem(self.url)) is not None:
            raise DatabaseOpenError(problem)
        try:
            connection = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
        except psycopg.Error as error:
            raise DatabaseOpenError(
                f"cannot reach the PostgreSQL server {server_name(self.url)}: {first_line(error)}"
            ) from None
        try:
            async with connection:
                await self._migrate(connection)
        except psycopg.Error as error:
            raise DatabaseOpenError(
                f"cannot prepare the database {redacted(self.url)}: {first_line(error)}"
            ) from None
        pool: psycopg_pool.AsyncConnectionPool[Any] = psycopg_pool.AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True, "row_factory": dict_row},
            # A connection the server ended (a restart, a failover, an idle timeout) is found
            # out when it is taken, and replaced, rather than failing the query it was taken for.
            check=psycopg_pool.AsyncConnectionPool.check_connection,
            open=False,
            name="warta",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except psycopg_pool.PoolTimeout:
            await pool.close()
            raise DatabaseOpenError(
                f"cannot reach the PostgreSQL server {server_name(self.url)}"
            ) from None
        self._pool = pool

    async def _migrate(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """Apply the migrations this database lacks, once, whoever else starts now."""
        known = newest_version()
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await connection.execute(_VERSION_TABLE)
            found = await (await connection.execute("SELECT version FROM warta_schema")).fetchone()
            if found is None:
                await connection.execute("INSERT INTO warta_schema (version) VALUES (0)")
            current = int(found[0]) if found else 0
            if current > known:
                raise DatabaseOpenError(
                    f"the database {redacted(self.url)} has schema version {current}, written by "
                    f"a newer Warta; this Warta knows versions up to {known}: run the newer "
                    "Warta, or restore a backup made with this one"
                )
            for version, script in migration_scripts("postgresql"):
                if version > current:
                    await connection.execute(cast(Any, script))
                    await connection.execute("UPDATE warta_schema SET version = %s", (version,))

    async def close(self) -> None:
        """Close the pool; safe to call twice."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _open_pool(self) -> psycopg_pool.AsyncConnectionPool[Any]:
        if self._pool is None:
            raise StorageClosedError("storage is not open")
        return self._pool

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PostgresSession]:
        """A transaction on a pooled connection: committed at the end, rolled back on error."""
        async with self._open_pool().connection() as connection, connection.transaction():
            yield PostgresSession(connection)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PostgresSession]:
        """A pooled connection in autocommit: each statement sees what is committed."""
        async with self._open_pool().connection() as connection:
            yield PostgresSession(connection)

    async def search_items(
        self, expression: str | None, limit: int, before_id: int, keep_going: Callable[[], bool]
    ) -> list[tuple[Row, str]]:
        """Newest items below before_id matching an FTS5 expression (all when None)."""
        async with self._open_pool().connection() as connection:
            query = asyncio.ensure_future(
                _fetch_all(connection, _LATEST_ITEMS, (before_id, limit))
                if expression is None
                else _newest_matches(connection, tsquery(expression), before_id, limit)
            )
            while not query.done():
                if not keep_going():
                    # The server stops the query; the connection goes back to the pool clean.
                    with suppress(psycopg.Error):
                        await connection.cancel_safe()
                    with suppress(psycopg.errors.QueryCanceled):
                        await query
                    raise SearchStoppedError
                await asyncio.wait([query], timeout=SEARCH_CHECK_SECONDS)
            rows = query.result()
        return [(row, row["body"]) for row in rows]


async def _fetch_all(
    connection: psycopg.AsyncConnection[Any], sql: str, params: Sequence[object]
) -> list[Row]:
    # Never prepared: a generic plan would not see which words the tsquery asks for.
    cursor = await connection.execute(cast(Any, sql), params, prepare=False)
    return cast(list[Row], await cursor.fetchall())


async def _newest_matches(
    connection: psycopg.AsyncConnection[Any], query: str, before_id: int, limit: int
) -> list[Row]:
    """The newest `limit` items below before_id matching a tsquery, in two steps.

    The planner cannot tell a common word from a rare one in our tsqueries (ORs of dozens of
    word forms and name spellings) and, left to choose, walked the primary key backwards through
    a million items for a rare phrase, or fetched every item with a common word before sorting
    them. So the newest items are read one by one first (common words end there), and only if
    too few matched there are older ones looked for: a rare word's through the GIN index, all at
    once, a commoner one's window by window (see _older_matches).
    """
    edge = await _fetch_all(connection, _NEWEST_EDGE, (before_id, NEWEST_ROWS_FIRST))
    oldest_read = edge[0]["edge"] if edge and edge[0]["edge"] is not None else before_id
    found = await _fetch_all(connection, _MATCHING_ITEMS, (query, before_id, oldest_read, limit))
    if len(found) == limit or edge[0]["rows"] < NEWEST_ROWS_FIRST:
        return found
    # Were the older items as rich in matches as the newest: the ids that hold what is still
    # wanted, and the matches below.
    wanted, span, first = limit - len(found), edge[0]["newest"] - oldest_read + 1, edge[0]["first"]
    needed = span * wanted // max(len(found), 1)
    older = len(found) * (oldest_read - first) // span
    if not found or WINDOW_MARGIN * needed > IDS_PER_MATCH * older:
        # Rare words: all their matches at once, as few as they are.
        return found + await _fetch_with(
            connection, _INDEX_ONLY, _MATCHES_BELOW, (query, oldest_read, wanted)
        )
    return found + await _older_matches(
        connection, query, (first, oldest_read), wanted, needed, older
    )


async def _older_matches(
    connection: psycopg.AsyncConnection[Any],
    query: str,
    ids: tuple[int, int],
    limit: int,
    needed: int,
    older: int,
) -> list[Row]:
    """The newest `limit` items below an id matching a tsquery, window by window.

    Asked for every match below the id at once, the GIN index gave all of them, tens of
    thousands for a common word on a million items, each read and sorted for the few wanted.
    Each query here takes a window of the `ids` (from the first, below the second) instead,
    WINDOW_MARGIN times the `needed` ids guessed to hold them, then WINDOW_MARGIN times as wide
    as the one before, down to the first id (pruning leaves none below it). A window is
    read one by one, newest first, where that costs less than a pass over the index for the
    `older` matches guessed below (common words); else through the index, whose matches and
    the primary key's range are intersected before any item is read (a BitmapAnd), so only a
    window's matches are read and sorted.
    """
    first, below = ids
    found: list[Row] = []
    window = WINDOW_MARGIN * needed
    while len(found) < limit and below > first:
        low = max(below - window, first)
        way = _ONE_BY_ONE if needed * INDEX_MATCHES_PER_READ < older else _INDEX_ONLY
        found += await _fetch_with(
            connection, way, _MATCHING_ITEMS, (query, below, low, limit - len(found))
        )
        below, needed, window = low, window, window * WINDOW_MARGIN
    return found


async def _fetch_with(
    connection: psycopg.AsyncConnection[Any], way: str, sql: str, params: Sequence[object]
) -> list[Row]:
    """A query's rows, planned with the settings `way` makes (for its transaction only)."""
    async with connection.transaction():
        await connection.execute(cast(Any, way))
        return await _fetch_all(connection, sql, params)


# `?`, `:name`, and a quoted literal (skipped whole, so nothing inside it is read as a mark).
_MARKS = re.compile(r"'(?:[^']|'')*'|(?<![:\w])\?|(?<![:\w]):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=1024)
def _placeholders(sql: str) -> Any:
    """The statement with psycopg's placeholders (and every literal % doubled)."""

    def mark(found: re.Match[str]) -> str:
        text = found.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        if text.startswith("'"):
            return text.replace("%", "%%")
        return f"%({found.group(1)})s"

    return _MARKS.sub(mark, sql)


def _adapted(params: Params) -> Params:
    """Parameters as PostgreSQL stores them: flags as 0/1 integers, enums by value."""
    if isinstance(params, Mapping):
        return {name: _value(value) for name, value in params.items()}
    return [_value(value) for value in params]


def _value(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL's text cannot hold NUL, which SQLite stores; the cleaned feed text never
        # has it, but a feed's id or link might. Dropped the same way in every statement, so
        # a value still finds itself.
        return value.replace("\x00", "")
    return value
