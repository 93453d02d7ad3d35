"""PostgreSQL as the operator meets it: start-up, migrations shared by processes, refusals."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import psycopg
import pytest

from bot.matching import parse_topic
from bot.topics.search import NewsSearch
from storage import DatabaseOpenError, Storage
from storage.migrate import migration_names, newest_version
from storage.models import FeedSeed, NewItem
from tests.postgres import PostgresServer
from tests.storage.test_search import TOPICS, sentences

NOW = 1_800_000_000.0
PROJECT = Path(__file__).resolve().parents[2]
OPEN_AND_REPORT = """
import asyncio, sys
from storage import Storage

async def main() -> None:
    store = Storage(sys.argv[1])
    sys.stdin.readline()  # the start signal: every process is ready, so they open together
    await store.open()
    print(await store.active_chat_ids())
    await store.close()

asyncio.run(main())
"""


def schema_rows(url: str) -> list[tuple[int]]:
    with psycopg.connect(url) as db:
        return db.execute("SELECT version FROM warta_schema").fetchall()


def test_both_engines_have_the_same_migrations() -> None:
    assert migration_names("sqlite") == migration_names("postgresql")


async def start_together(database: str) -> list[tuple[bytes, bytes]]:
    """Four processes opening one new database at the same instant; what each printed."""
    starters = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            OPEN_AND_REPORT,
            database,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=PROJECT,
        )
        for _ in range(4)
    ]
    async with asyncio.timeout(120):
        outcomes = await asyncio.gather(*(process.communicate(b"go\n") for process in starters))
    assert [process.returncode for process in starters] == [0] * 4, outcomes
    return outcomes


async def test_processes_starting_together_migrate_a_new_database_once(
    empty_postgres_url: str,
) -> None:
    outcomes = await start_together(empty_postgres_url)
    assert [out for out, _ in outcomes] == [b"[]\n"] * 4
    assert schema_rows(empty_postgres_url) == [(newest_version(),)]


async def test_processes_starting_together_migrate_a_new_sqlite_file_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "warta.db"
    outcomes = await start_together(str(path))
    assert [out for out, _ in outcomes] == [b"[]\n"] * 4
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (newest_version(),)


async def test_opening_again_changes_nothing_and_keeps_the_data(postgres_url: str) -> None:
    first = Storage(postgres_url)
    await first.open()
    await first.register_chat(-1001234567890, "supergroup", "Warga Serang", NOW)
    await first.close()
    again = Storage(postgres_url)
    await again.open()
    chat = await again.get_chat(-1001234567890)
    await again.close()
    assert chat is not None
    assert (chat.title, chat.active) == ("Warga Serang", True)
    assert schema_rows(postgres_url) == [(newest_version(),)]


async def test_a_database_from_a_newer_warta_is_refused_untouched(postgres_url: str) -> None:
    store = Storage(postgres_url)
    await store.open()
    await store.close()
    with psycopg.connect(postgres_url) as db:
        db.execute("UPDATE warta_schema SET version = %s", (newest_version() + 5,))
    with pytest.raises(DatabaseOpenError, match="newer Warta") as refused:
        await Storage(postgres_url).open()
    assert f"schema version {newest_version() + 5}" in str(refused.value)
    assert schema_rows(postgres_url) == [(newest_version() + 5,)]


async def test_an_unreachable_server_is_named_without_its_password() -> None:
    store = Storage("postgresql://warta:rahasia-sekali@127.0.0.1:1/warta")
    with pytest.raises(DatabaseOpenError) as refused:
        await store.open()
    message = str(refused.value)
    assert "127.0.0.1:1" in message
    assert "rahasia" not in message
    assert "\n" not in message


async def test_latest_finds_the_same_items_on_both_engines(
    tmp_path: Path, postgres_url: str
) -> None:
    texts = sentences(300, seed=11)
    found: dict[str, list[list[str]]] = {}
    for name, location in (("sqlite", tmp_path / "warta.db"), ("postgresql", postgres_url)):
        store = Storage(location)
        await store.open()
        await store.sync_feeds([FeedSeed("http://127.0.0.1/feed", "ANTARA Banten", "Banten")])
        (feed,) = await store.list_feeds()
        items = [
            NewItem(f"urn:{n}", title, title, body, f"https://berita.example/{n}", NOW)
            for n, (title, body) in enumerate(texts)
        ]
        await store.store_items(feed.id, items, NOW)
        search = NewsSearch(store)
        found[name] = [
            [item.title for item in (await search.latest([parse_topic(topic)])).items]
            for topic in TOPICS
        ]
        await store.close()
    assert found["postgresql"] == found["sqlite"]
    assert all(found["sqlite"][:5])  # the topics do find news in this data


async def test_connections_the_server_ended_are_replaced_unnoticed(
    postgres: PostgresServer, postgres_url: str
) -> None:
    store = Storage(postgres_url)
    await store.open()
    try:
        await store.register_chat(42, "private", "Budi", NOW)
        assert await store.get_chat(42) is not None  # the pool's connection is in use now
        # The server ends every session of the database: a restart, a failover, an idle timeout.
        name = psycopg.conninfo.conninfo_to_dict(postgres_url)["dbname"]
        with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchone()
        assert ended is not None
        assert ended[0] >= 1
        chat = await store.get_chat(42)
        await store.add_topic(42, "banjir", "banjir", NOW)
    finally:
        await store.close()
    assert chat is not None
    assert chat.title == "Budi"
