"""`warta migrate-db --to URL`: an SQLite database moved to PostgreSQL, ids, outbox and all."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from bot.cli import main
from bot.cli.migrate_db import counts_table
from storage import Storage
from storage.migrate import newest_version
from storage.models import FeedSeed, NewItem
from storage.transfer import TableCount, TransferReport
from tests.ops.helpers import free_port

NOW = 1_800_000_000.0
READER, GROUP, DAILY, ADMIN = 601, -100_602, 603, 900_001
PASSWORD = "Sandi-Rahasia_77"
TABLES = (
    "chats",
    "feeds",
    "broadcasts",
    "items",
    "item_places",
    "topics",
    "chat_regions",
    "chat_admins",
    "digests",
    "deliveries",
)


def news(number: int, alerts: tuple[tuple[int, tuple[str, ...]], ...] = ()) -> NewItem:
    return NewItem(
        identity=f"urn:berita:{number}",
        title=f"Banjir ke-{number} merendam Kecamatan Cipocok Jaya, Serang",
        summary=f"Ringkasan berita {number}.",
        body=f"Laporan nomor {number}: air setinggi lutut, warga mengungsi ke masjid.",
        link=f"https://berita.example/{number}",
        published_at=NOW - number,
        alerts=alerts,
        places=("36", "36.04", "36.73"),  # Banten, Kabupaten and Kota Serang
    )


async def fill(path: Path | str) -> None:
    """A database such as a bot leaves after a while: every table has rows, some alerts wait."""
    storage = Storage(path)
    await storage.open()
    try:
        for chat, kind in ((READER, "private"), (GROUP, "supergroup"), (DAILY, "private")):
            await storage.register_chat(chat, kind, f"Obrolan {chat}", NOW)
        await storage.update_chat(DAILY, delivery="daily", language="en")
        await storage.add_topic(READER, "banjir", "banjir", NOW)
        await storage.add_topic(GROUP, "banjir serang", "banjir serang", NOW, region="Banten")
        await storage.add_topic(DAILY, "banjir", "banjir", NOW)
        await storage.follow_region(GROUP, "Banten", NOW)
        await storage.remember_chat_admin(GROUP, READER, NOW)
        await storage.sync_feeds(
            [
                FeedSeed("https://banten.example/rss", "ANTARA Banten", "Banten"),
                FeedSeed("https://jabar.example/rss", "Pikiran Rakyat", "Jawa Barat"),
            ]
        )
        feed = (await storage.list_feeds())[0]
        alerts = ((READER, ("banjir",)), (GROUP, ("banjir serang",)), (DAILY, ("banjir",)))
        await storage.store_items(feed.id, [news(n, alerts) for n in range(1, 6)], NOW)
        draft = await storage.draft_broadcast(ADMIN, "<b>Pengumuman</b>", NOW)
        await storage.start_broadcast(draft, 77, NOW)
        assert await storage.create_digest(DAILY, NOW) is not None
        first = (await storage.pending_outbox(NOW + 3600, 1))[0]
        assert await storage.claim_delivery(first.id, 1)
        assert await storage.mark_sent(first.id, 1, NOW)
    finally:
        await storage.close()


def source_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def printed_counts(output: str) -> dict[str, tuple[int, int]]:
    """The table migrate-db prints: {table: (SQLite, PostgreSQL)}."""
    rows = (line.split() for line in output.splitlines())
    return {
        row[0]: (int(row[1]), int(row[2])) for row in rows if len(row) >= 3 and row[0] in TABLES
    }


Head = tuple[int, int, int | None, int | None, int | None]
OUTBOX = "SELECT id, chat_id, item_id, broadcast_id, digest_id, status, held FROM deliveries"


async def outbox(location: Path | str) -> list[Head]:
    """What the sender would send next: (delivery, chat, item, broadcast, digest) per chat."""
    storage = Storage(location)
    await storage.open()
    try:
        entries = await storage.pending_outbox(NOW + 10 * 86400, 1000)
        return sorted(
            (e.id, e.chat_id, e.item.id if e.item else None, e.broadcast_id, e.digest_id)
            for e in entries
        )
    finally:
        await storage.close()


def deliveries_of(location: Path | str) -> list[tuple[object, ...]]:
    """Every outbox row, sent or waiting, as stored."""
    if isinstance(location, Path):
        with contextlib.closing(sqlite3.connect(location)) as db:
            return sorted(db.execute(OUTBOX).fetchall())
    with psycopg.connect(location) as db:
        return sorted(db.execute(OUTBOX).fetchall())


async def prepare(url: str) -> None:
    """The database at this code's schema, as the bot's start leaves it."""
    storage = Storage(url)
    await storage.open()
    await storage.close()


@pytest.fixture
def sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A filled SQLite database named by WARTA_DB, in a clean working directory."""
    path = tmp_path / "warta.db"
    asyncio.run(fill(path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARTA_DB", str(path))
    return path


def with_password(url: str, password: str = PASSWORD) -> str:
    """The test server's URL with a password in it (the socket server does not ask for one)."""
    assert "://postgres:@" in url
    return url.replace("://postgres:@", f"://postgres:{password}@", 1)


def test_the_console_command_copies_every_table_and_the_copy_serves_the_bot(
    sqlite_file: Path, postgres_url: str, tmp_path: Path
) -> None:
    counts = source_counts(sqlite_file)
    assert all(counts[table] > 0 for table in TABLES), counts
    waiting = asyncio.run(outbox(sqlite_file))
    assert waiting  # alerts, a broadcast and a digest still to send

    warta = Path(sys.executable).parent / "warta"
    env = {"PATH": "/usr/bin:/bin", "WARTA_DB": str(sqlite_file)}
    result = subprocess.run(
        [str(warta), "migrate-db", "--to", postgres_url],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert printed_counts(result.stdout) == {t: (counts[t], counts[t]) for t in TABLES}
    assert "every count matches" in result.stdout
    assert "  items …" in result.stderr  # where a long copy has got to

    assert deliveries_of(postgres_url) == deliveries_of(sqlite_file)
    asyncio.run(check_the_copy(postgres_url, waiting))


async def check_the_copy(url: str, waiting: list[Head]) -> None:
    """Readers, settings, items, searches and the outbox are there; new rows get new ids."""
    assert await outbox(url) == waiting
    storage = Storage(url)
    await storage.open()
    try:
        daily = await storage.get_chat(DAILY)
        assert daily is not None
        assert (daily.delivery, daily.language) == ("daily", "en")
        assert [t.text for t in await storage.list_topics(GROUP)] == ["banjir serang"]
        assert await storage.chat_regions(GROUP) == ["Banten"]
        latest = await storage.latest_items(10)
        assert [item.title for item in latest] == [news(n).title for n in range(5, 0, -1)]
        found = await storage.search_items('"cipocok" AND "mengungsi"', 10)
        assert [item.id for item, _ in found] == [item.id for item in latest]
        # Identity sequences continue past the copied ids: new rows do not collide with them.
        topic = await storage.add_topic(READER, "gempa", "gempa", NOW)
        assert topic is not None
        assert topic.id > max(t.id for t in await storage.active_topics() if t.text != "gempa")
        feed = (await storage.list_feeds())[0]
        stored = await storage.store_items(feed.id, [news(6, ((READER, ("banjir",)),))], NOW)
        assert stored.alerts_queued == 1
        assert (await storage.latest_items(1))[0].id > latest[0].id
    finally:
        await storage.close()


async def bot_runs_on_sqlite_a_while(path: Path) -> None:
    """What the bot does to its SQLite file between two copies: news, a removed topic, sends."""
    storage = Storage(path)
    await storage.open()
    try:
        feed = (await storage.list_feeds())[1]
        await storage.store_items(feed.id, [news(7, ((READER, ("banjir",)),))], NOW + 60)
        topic = next(t for t in await storage.list_topics(READER))
        assert await storage.remove_topic(READER, topic.id) is not None
        for entry in await storage.pending_outbox(NOW + 3600, 2):
            assert await storage.claim_delivery(entry.id, 2)
            assert await storage.mark_sent(entry.id, 2, NOW + 60)
    finally:
        await storage.close()


def test_running_it_again_brings_what_the_bot_did_on_sqlite_since(
    sqlite_file: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", "--to", postgres_url]) == 0
    asyncio.run(bot_runs_on_sqlite_a_while(sqlite_file))
    capsys.readouterr()

    assert main(["migrate-db", "--to", postgres_url]) == 0
    counts = source_counts(sqlite_file)
    assert printed_counts(capsys.readouterr().out) == {t: (counts[t], counts[t]) for t in TABLES}
    assert asyncio.run(outbox(postgres_url)) == asyncio.run(outbox(sqlite_file))
    assert deliveries_of(postgres_url) == deliveries_of(sqlite_file)
    assert asyncio.run(topics_of(postgres_url, READER)) == asyncio.run(
        topics_of(sqlite_file, READER)
    )
    assert asyncio.run(topics_of(postgres_url, READER)) == []

    # A third run with nothing new changes nothing.
    assert main(["migrate-db", "--to", postgres_url]) == 0
    assert printed_counts(capsys.readouterr().out) == {t: (counts[t], counts[t]) for t in TABLES}


async def topics_of(location: Path | str, chat: int) -> list[tuple[int, str]]:
    storage = Storage(location)
    await storage.open()
    try:
        return [(t.id, t.text) for t in await storage.list_topics(chat)]
    finally:
        await storage.close()


def test_a_database_the_bot_has_written_on_postgresql_is_not_overwritten(
    sqlite_file: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", "--to", postgres_url]) == 0

    async def subscribe_on_postgresql() -> None:
        storage = Storage(postgres_url)
        await storage.open()
        try:
            assert await storage.add_topic(READER, "gempa", "gempa", NOW) is not None
        finally:
            await storage.close()

    asyncio.run(subscribe_on_postgresql())
    capsys.readouterr()
    assert main(["migrate-db", "--to", postgres_url]) == 1
    (problem,) = capsys.readouterr().err.strip().splitlines()[-1:]
    assert "has topics up to id 4" in problem
    assert "written to since the last copy" in problem
    assert [text for _, text in asyncio.run(topics_of(postgres_url, READER))] == [
        "banjir",
        "gempa",
    ]


async def store_a_huge_title(path: Path) -> str:
    """An item whose title is 60,000 different words, as an older Warta could store on SQLite."""
    storage = Storage(path)
    await storage.open()
    try:
        feed = (await storage.list_feeds())[0]
        huge = news(99)
        title = "Banjir " + " ".join(f"kata{n}" for n in range(60_000))
        await storage.store_items(feed.id, [replace(huge, title=title)], NOW)
        return title
    finally:
        await storage.close()


async def titles_found(url: str, expression: str) -> list[str]:
    storage = Storage(url)
    await storage.open()
    try:
        return [item.title for item, _ in await storage.search_items(expression, 10)]
    finally:
        await storage.close()


def test_an_item_with_a_title_of_60000_words_is_copied(
    sqlite_file: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    title = asyncio.run(store_a_huge_title(sqlite_file))
    assert main(["migrate-db", "--to", postgres_url]) == 0
    assert "every count matches" in capsys.readouterr().out
    # Whole in the copy, and found by its first words, as on SQLite.
    assert asyncio.run(titles_found(postgres_url, '"kata0 kata1"')) == [title]


def test_an_unreachable_server_is_one_line_naming_the_host(
    sqlite_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    url = f"postgresql://warta:{PASSWORD}@127.0.0.1:{port}/warta"
    assert main(["migrate-db", "--to", url]) == 2
    output = capsys.readouterr()
    (problem,) = output.err.strip().splitlines()[-1:]
    assert f"cannot reach the PostgreSQL server 127.0.0.1:{port}" in problem
    assert PASSWORD not in output.out + output.err


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://warta:{PASSWORD}@[::1/warta",  # an IPv6 host never closed
        f"postgresql://warta:{PASSWORD}%zz@127.0.0.1/warta",  # a broken %-escape
        f"postgresql://warta:{PASSWORD}/7@127.0.0.1/warta",  # a "/" not %-encoded
        f"postgresql://warta:{PASSWORD}@127.0.0.1:lima/warta",  # a port that is no number
        f"postgresql://warta@127.0.0.1/warta?password={PASSWORD}&bogus=1",
    ],
)
def test_a_malformed_url_is_one_line_without_its_password(
    sqlite_file: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["migrate-db", "--to", url])
    output = capsys.readouterr()
    assert code == 2, output.err
    (problem,) = [line for line in output.err.splitlines() if line.startswith("warta:")]
    assert "PostgreSQL" in problem or "lima" in problem
    assert PASSWORD not in output.out + output.err
    assert "Rahasia" not in output.out + output.err  # nor any part of it


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--to", "mysql://warta@db/warta"], "--to must be a postgresql:// URL"),
        (["--to", "postgresql://warta@db/warta", "--from", "hilang.db"], "no SQLite database at"),
    ],
)
def test_wrong_arguments_are_one_line(
    sqlite_file: Path, arguments: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", *arguments]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert problem in line


def test_a_postgresql_warta_db_needs_from(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARTA_DB", with_password(postgres_url))
    assert main(["migrate-db", "--to", postgres_url]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--from PATH" in line
    assert PASSWORD not in line


def test_databases_at_another_schema_version_are_refused(
    sqlite_file: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = newest_version() + 3
    with sqlite3.connect(sqlite_file) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    assert main(["migrate-db", "--to", postgres_url]) == 2
    problem = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"schema version {newer}, written by a newer Warta" in problem

    with sqlite3.connect(sqlite_file) as db:
        db.execute(f"PRAGMA user_version = {newest_version()}")
    asyncio.run(prepare(postgres_url))
    with psycopg.connect(postgres_url, autocommit=True) as target:
        target.execute("UPDATE warta_schema SET version = %s", (newer,))
    assert main(["migrate-db", "--to", postgres_url]) == 2
    problem = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"schema version {newer}, written by a newer Warta" in problem
    with psycopg.connect(postgres_url) as target:
        assert target.execute("SELECT count(*) FROM chats").fetchone() == (0,)


def test_differing_counts_are_shown_and_fail() -> None:
    report = TransferReport((TableCount("chats", 3, 3), TableCount("items", 5, 4)), 0.5)
    table = counts_table(report)
    assert not report.matches
    assert "items" in table.splitlines()[2]
    assert "DIFFERS" in table.splitlines()[2]
    assert "Counts differ for: items" in table
