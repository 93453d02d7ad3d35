"""Every way out of `warta` is one redacted line with the right exit code, never a traceback."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from bot.feeds.opml import MAX_DEPTH, feeds_from_opml
from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from storage.migrate import newest_version
from tests.ops.helpers import free_port, operator_environment

WRONG_TOKEN = "987654:Rahasia-Yang-Salah_42"
DATABASE_PASSWORD = "Sandi/Basis@Data:99"
# The log lines an ordinary start and stop write; anything else on standard error is a problem.
ROUTINE_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO) ")


@dataclass(frozen=True)
class Outcome:
    """How a `warta` command ended."""

    code: int
    stdout: str
    stderr: str

    @property
    def problems(self) -> list[str]:
        """The lines of standard error that are not routine log lines."""
        return [line for line in self.stderr.splitlines() if not ROUTINE_LOG.match(line)]

    def shows(self, secret: str) -> bool:
        """Whether the secret appears anywhere in the output, as written or URL-encoded."""
        output = self.stdout + self.stderr
        return secret in output or quote(secret, safe="") in output


async def warta(args: list[str], env: dict[str, str], cwd: Path) -> Outcome:
    """Run `warta ARGS` to its end, as an operator would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Outcome(process.returncode, out.decode(), err.decode())


def environment(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, **extra: str
) -> dict[str, str]:
    return operator_environment(tmp_path, telegram, feeds, {"WARTA_LOG_LEVEL": "INFO", **extra})


def database_from_a_newer_warta(path: Path) -> bytes:
    """A database whose schema version is above this code's; return its bytes."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE future (id INTEGER PRIMARY KEY)")
        db.execute(f"PRAGMA user_version = {newest_version() + 5}")
    db.close()
    return path.read_bytes()


def database_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("warta.db"))


async def test_a_wrong_token_is_one_line_without_the_token(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    env = environment(tmp_path, telegram, feeds, TELEGRAM_BOT_TOKEN=WRONG_TOKEN)
    outcome = await warta(["run"], env, tmp_path)
    assert outcome.code == 2, outcome.stderr
    (problem,) = outcome.problems
    assert "TELEGRAM_BOT_TOKEN" in problem
    assert "Traceback" not in outcome.stderr
    assert not outcome.shows(WRONG_TOKEN)
    assert [r.status for r in telegram.requests_for("getMe")] == [401]


async def test_an_unreachable_bot_api_is_one_line(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = environment(tmp_path, telegram, feeds, TELEGRAM_API_URL=nowhere)
    outcome = await warta(["run"], env, tmp_path)
    assert outcome.code == 1, outcome.stderr
    (problem,) = outcome.problems
    assert f"cannot reach the Telegram Bot API at {nowhere}" in problem
    assert "Traceback" not in outcome.stderr
    assert not outcome.shows(telegram.token)


async def test_a_database_that_cannot_be_opened_is_one_line(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    folder = tmp_path / "bukan-berkas.db"
    folder.mkdir()
    env = environment(tmp_path, telegram, feeds, WARTA_DB=str(folder))
    outcome = await warta(["run"], env, tmp_path)
    assert outcome.code == 2, outcome.stderr
    (problem,) = outcome.problems
    assert f"cannot open the database {folder}" in problem
    assert "WARTA_DB" in problem
    assert "Traceback" not in outcome.stderr
    assert not outcome.shows(telegram.token)


async def test_a_database_from_a_newer_warta_is_refused_and_left_alone(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    path = tmp_path / "warta.db"
    before = database_from_a_newer_warta(path)
    env = environment(tmp_path, telegram, feeds, WARTA_DB=str(path))
    for command in (["feeds", "export"], ["run"]):
        outcome = await warta(command, env, tmp_path)
        assert outcome.code == 2, outcome.stderr
        (problem,) = outcome.problems
        found, known = newest_version() + 5, newest_version()
        assert f"schema version {found}, written by a newer Warta" in problem
        assert f"this Warta knows versions up to {known}" in problem
        assert "Traceback" not in outcome.stderr
        assert outcome.stdout == ""
    assert path.read_bytes() == before
    assert database_files(tmp_path) == ["warta.db"]  # no journal or WAL files left either
    assert telegram.requests_for("sendMessage") == []


async def test_deeply_nested_opml_is_refused_in_one_line(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    levels = 50_000
    deep = tmp_path / "dalam.opml"
    deep.write_bytes(
        b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        + b'<outline text="Folder">' * levels
        + b'<outline type="rss" text="Feed" xmlUrl="https://berita.example/rss"/>'
        + b"</outline>" * levels
        + b"</body></opml>"
    )
    env = environment(tmp_path, telegram, feeds)
    outcome = await warta(["feeds", "import", str(deep)], env, tmp_path)
    assert outcome.code == 2, outcome.stderr[-2000:]
    (problem,) = outcome.problems
    assert problem.startswith("warta feeds: ")
    assert "nested" in problem
    assert "Traceback" not in outcome.stderr


def test_folders_up_to_the_depth_limit_still_import_in_document_order() -> None:
    depth = MAX_DEPTH - 1  # folders around the feed, which is the last level allowed
    document = (
        b'<opml version="2.0"><body><outline text="Jawa" xmlUrl="https://a.example/rss"/>'
        + b"".join(f'<outline text="Lapis {n}">'.encode() for n in range(depth))
        + b'<outline text="Dalam" xmlUrl="https://b.example/rss"/>'
        + b"</outline>" * depth
        + b'<outline text="Sesudah" xmlUrl="https://c.example/rss"/></body></opml>'
    )
    feeds = feeds_from_opml(document)
    assert [(f.name, f.region) for f in feeds] == [
        ("Jawa", ""),
        ("Dalam", f"Lapis {depth - 1}"),
        ("Sesudah", ""),
    ]


async def test_an_unreachable_postgresql_server_is_one_line_naming_the_host(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    port = free_port()
    # Written as operators must write it: the password's reserved characters %-encoded.
    url = f"postgresql://warta:{quote(DATABASE_PASSWORD, safe='')}@127.0.0.1:{port}/warta"
    env = environment(tmp_path, telegram, feeds, WARTA_DB=url)
    for command in (["run"], ["feeds", "export"]):
        outcome = await warta(command, env, tmp_path)
        assert outcome.code == 2, outcome.stderr
        (problem,) = outcome.problems
        assert f"cannot reach the PostgreSQL server 127.0.0.1:{port}" in problem
        assert "Traceback" not in outcome.stderr
        assert not outcome.shows(DATABASE_PASSWORD)
        assert not outcome.shows(telegram.token)
    assert telegram.requests_for("sendMessage") == []


async def test_a_one_letter_database_password_neither_garbles_the_line_nor_shows(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    port = free_port()
    env = environment(
        tmp_path, telegram, feeds, WARTA_DB=f"postgresql://warta:p@127.0.0.1:{port}/warta"
    )
    for command in (["run"], ["feeds", "export"], ["status"]):
        outcome = await warta(command, env, tmp_path)
        assert outcome.code == 2, outcome.stderr
        (problem,) = outcome.problems
        # The server's own words, every "p" of them as it was ("port", not "<secret>ort").
        assert f"cannot reach the PostgreSQL server 127.0.0.1:{port}: connection" in problem
        assert f"port {port} failed" in problem
        assert "<secret>" not in outcome.stderr
        assert "warta:p@" not in outcome.stdout + outcome.stderr
        assert "Traceback" not in outcome.stderr


async def test_a_postgresql_database_from_a_newer_warta_is_refused_and_left_alone(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, postgres_url: str
) -> None:
    storage = Storage(postgres_url)
    await storage.open()
    await storage.close()
    found, known = newest_version() + 5, newest_version()
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as db:
        await db.execute("UPDATE warta_schema SET version = %s", (found,))
    env = environment(tmp_path, telegram, feeds, WARTA_DB=postgres_url)
    for command in (["feeds", "export"], ["run"]):
        outcome = await warta(command, env, tmp_path)
        assert outcome.code == 2, outcome.stderr
        (problem,) = outcome.problems
        assert f"schema version {found}, written by a newer Warta" in problem
        assert f"this Warta knows versions up to {known}" in problem
        assert "WARTA_DB" in problem or command != ["run"]
        assert "Traceback" not in outcome.stderr
        assert outcome.stdout == ""
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as db:
        cursor = await db.execute("SELECT version FROM warta_schema")
        assert await cursor.fetchall() == [(found,)]
        cursor = await db.execute("SELECT count(*) FROM feeds")
        assert await cursor.fetchone() == (0,)  # not seeded from WARTA_FEEDS either
    assert telegram.requests_for("sendMessage") == []
