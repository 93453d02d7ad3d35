"""The benchmarks' dataset written straight into PostgreSQL: the same rows as on SQLite.

Rows go in with COPY. Items pass through a temporary table holding their search document
(storage.fulltext.search_document, as the bot's own insert uses), from which one INSERT fills
`items.search` (the document is the tsvector's text). The items' own indexes (the GIN one above all)
are dropped while filling and rebuilt from their definitions afterwards, which is many times
faster than growing them row by row; then ANALYZE gives the planner its statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import psycopg

from storage.fulltext import search_document

# Enough memory to build the GIN index over a million items in one pass.
MAINTENANCE_WORK_MEM = "512MB"

_STAGE = """CREATE TEMPORARY TABLE bench_items (
    id BIGINT, feed_id BIGINT, identity TEXT, title TEXT, summary TEXT, body TEXT, link TEXT,
    published_at DOUBLE PRECISION, fetched_at DOUBLE PRECISION, document TEXT
) ON COMMIT DROP"""
_FROM_STAGE = """INSERT INTO items (id, feed_id, identity, title, summary, body, link,
    published_at, fetched_at, search)
SELECT id, feed_id, identity, title, summary, body, link, published_at, fetched_at,
    CAST(document AS tsvector) FROM bench_items"""
# The plain indexes of items (not those behind its primary key and unique constraint).
_ITEM_INDEXES = """SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = 'items' AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""


def fill_postgres(
    url: str,
    now: float,
    rows: Iterator[tuple[Any, ...]],
    chats: Iterable[tuple[object, ...]],
    topics: Iterable[tuple[object, ...]],
) -> None:
    """Write chats, topics and items (ids 1, 2, ... in order, as SQLite gives them)."""
    with psycopg.connect(url) as db:
        db.execute("UPDATE feeds SET initialised = 1, last_success_at = %s", (now,))
        _copy(db, "COPY chats (id, type, title, active, created_at) FROM STDIN", chats)
        _copy(db, "COPY topics (chat_id, text, key, created_at) FROM STDIN", topics)
        indexes = db.execute(_ITEM_INDEXES).fetchall()
        for name, _ in indexes:
            db.execute(psycopg.sql.SQL("DROP INDEX {}").format(psycopg.sql.Identifier(name)))
        db.execute(_STAGE)
        _copy(db, "COPY bench_items FROM STDIN", _staged(rows))
        db.execute(_FROM_STAGE)
        db.execute("SELECT setval(pg_get_serial_sequence('items', 'id'), max(id)) FROM items")
        db.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        for _, definition in indexes:
            db.execute(definition.encode())
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")


def _staged(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[object, ...]]:
    """Item rows with their id first and their search document last."""
    for item_id, row in enumerate(rows, start=1):
        yield (item_id, *row, search_document(row[2], row[4]))


def _copy(db: psycopg.Connection[Any], statement: str, rows: Iterable[tuple[object, ...]]) -> None:
    with db.cursor().copy(statement.encode()) as copy:
        for row in rows:
            copy.write_row(row)
