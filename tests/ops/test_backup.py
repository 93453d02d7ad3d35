"""`warta backup FILE`: a consistent copy of the live database, made while the bot writes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.standin import FeedItem
from storage import Storage
from tests.inprocess import RunningBot

READER = 601


def news(number: int) -> FeedItem:
    return FeedItem(
        title=f"Banjir setinggi {number} sentimeter di kelurahan ke-{number} Kota Serang",
        link=f"https://berita.example/banjir-{number}",
        description=f"<p>Laporan banjir nomor {number} dari BPBD Kota Serang.</p>",
        guid=f"urn:berita:banjir-{number}",
        published=datetime.now(UTC) - timedelta(minutes=1),
    )


def assert_self_contained_and_sound(copy: Path) -> None:
    """The copy passes SQLite's checks and is one file, without a write-ahead log."""
    with contextlib.closing(sqlite3.connect(copy)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not Path(f"{copy}-wal").exists()


async def test_backup_of_a_database_the_bot_is_writing(warta: RunningBot, tmp_path: Path) -> None:
    await warta.say(READER, "/langganan banjir")
    stored = 0
    backup_done = asyncio.Event()

    async def keep_storing_news() -> None:
        nonlocal stored
        while not backup_done.is_set():
            warta.feeds.add_item("/banten.xml", news(stored + 1))
            await warta.poll()
            stored += 1

    writer = asyncio.create_task(keep_storing_news())
    copy = tmp_path / "salinan.db"
    env = {**os.environ, "WARTA_DB": str(warta.services.storage.location)}
    backup = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(copy),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, errors = await asyncio.wait_for(backup.communicate(), 30)
    backup_done.set()
    await writer

    assert backup.returncode == 0, errors.decode()
    assert f"to {copy}" in output.decode()
    assert "integrity ok" in output.decode()
    assert stored > 0  # the bot was storing news while the copy was made
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # chat ids are personal data

    assert_self_contained_and_sound(copy)

    # The copy opens as the bot's database, with the reader and what was stored before it.
    restored = Storage(copy)
    await restored.open()
    try:
        chat = await restored.get_chat(READER)
        assert chat is not None
        assert chat.active
        assert [topic.text for topic in await restored.list_topics(READER)] == ["banjir"]
        items = await restored.latest_items(1000)
        assert 0 < len(items) <= stored
        assert {item.title for item in items} <= {news(n).title for n in range(1, stored + 1)}
    finally:
        await restored.close()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small SQLite database named by WARTA_DB, in a clean working directory."""
    path = tmp_path / "warta.db"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('asli')")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARTA_DB", str(path))
    return path


def test_backup_refuses_to_overwrite_without_force(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "backup.db"
    target.write_bytes(b"an older backup")

    assert main(["backup", str(target)]) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert target.read_bytes() == b"an older backup"

    assert main(["backup", str(target), "--force"]) == 0
    assert "Backed up" in capsys.readouterr().out
    with contextlib.closing(sqlite3.connect(target)) as db:
        assert db.execute("SELECT text FROM notes").fetchall() == [("asli",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.db", "warta.db"]


def test_backup_without_a_database_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARTA_DB", str(tmp_path / "missing.db"))
    assert main(["backup", str(tmp_path / "backup.db")]) == 1
    assert "no database at" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
