"""`warta backup FILE`: a consistent copy of the live database, safe while the bot runs.

An SQLite file is copied with SQLite's backup API; a PostgreSQL database is dumped with the
server's own `pg_dump` (custom format, for `pg_restore`) when it is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bot.config import ConfigError, load_config, program_environment
from storage import describe

EXIT_FAILED = 1
EXIT_CONFIG = 2
BUSY_TIMEOUT_SECONDS = 15.0


class BackupError(Exception):
    """The backup could not be made; the message says why."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta backup`."""
    parser = commands.add_parser(
        "backup", help="copy the database (WARTA_DB) to FILE, safely while the bot runs"
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="where to write the copy")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Copy the database and say what was copied; exit 1 when refused or failed."""
    try:
        source = load_config().database
    except ConfigError as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if not isinstance(source, Path):
        return run_pg_dump(source, args.file, force=args.force)
    started = time.monotonic()
    try:
        pages, integrity = backup_database(source, args.file, force=args.force)
    except BackupError as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_FAILED
    size = args.file.stat().st_size
    print(
        f"Backed up {source} to {args.file}: {pages} pages, {size / 1024 / 1024:.1f} MiB, "
        f"integrity {integrity}, in {time.monotonic() - started:.2f} s."
    )
    return 0 if integrity == "ok" else EXIT_FAILED


def backup_database(source: Path, target: Path, *, force: bool) -> tuple[int, str]:
    """Copy source to target with SQLite's backup API; return (pages, integrity check result)."""
    if not source.is_file():
        raise BackupError(f"no database at {source} (set WARTA_DB to the bot's database)")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; use --force to replace it")
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the live database itself")
    partial = _partial_file(target)
    try:
        pages, integrity = _copy(source, partial)
        partial.replace(target)
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"backup of {source} to {target} failed: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return pages, integrity


def _partial_file(target: Path) -> Path:
    """An empty file next to target, readable by its owner only (the copy holds chat ids)."""
    # Renamed onto target at the end, so target is never a half-written copy.
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise BackupError(f"cannot write in {target.parent}: {error.strerror}") from None
    os.close(handle)
    return Path(name)


def _copy(source: Path, target: Path) -> tuple[int, str]:
    """One read transaction over the source, so the copy is a single moment of the database."""
    with (
        contextlib.closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)) as live,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy)
        # The live database uses WAL; the copy is one self-contained file.
        copy.execute("PRAGMA journal_mode = DELETE")
        pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
        integrity = str(copy.execute("PRAGMA integrity_check").fetchone()[0])
    return pages, integrity


def run_pg_dump(url: str, target: Path, *, force: bool) -> int:
    """Dump a PostgreSQL database with pg_dump, or say how to when pg_dump is not installed."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        print(
            f"warta: {describe(url)} is a PostgreSQL database and pg_dump is not on PATH: "
            "install PostgreSQL's client tools (the server's version or newer) and run "
            f"`warta backup` again, or run {pg_dump_example(url, target)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    started = time.monotonic()
    try:
        dump_database(pg_dump, url, target, force=force)
    except BackupError as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_FAILED
    size = target.stat().st_size
    print(
        f"Backed up {describe(url)} to {target} with pg_dump: {size / 1024 / 1024:.1f} MiB, "
        f"in {time.monotonic() - started:.2f} s; restore it with pg_restore."
    )
    return 0


def pg_dump_example(url: str, target: Path) -> str:
    """The pg_dump command an operator can run by hand (the password left out)."""
    return (
        f"PGPASSWORD=… pg_dump --format=custom --file={shlex.quote(str(target))} "
        f"{shlex.quote(describe(url))}"
    )


def dump_database(pg_dump: str, url: str, target: Path, *, force: bool) -> None:
    """Run pg_dump into a partial file renamed onto target when it succeeds."""
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; use --force to replace it")
    conninfo, password = _without_password(url)
    # On the command line the password would show in every `ps` listing; pg_dump reads it here.
    extra = {"PGPASSWORD": password} if password else {}
    partial = _partial_file(target)
    try:
        done = subprocess.run(
            [pg_dump, "--format=custom", f"--file={partial}", f"--dbname={conninfo}"],
            env=program_environment(**extra),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            problem = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[0]
            raise BackupError(f"pg_dump could not back up {describe(url)}: {problem}")
        partial.replace(target)
    except OSError as error:
        raise BackupError(f"backup of {describe(url)} to {target} failed: {error}") from None
    finally:
        partial.unlink(missing_ok=True)


def _without_password(url: str) -> tuple[str, str | None]:
    """The connection string without its password, and the password."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    password = params.pop("password", None)
    return psycopg.conninfo.make_conninfo("", **params), None if password is None else str(password)
