"""Numbered schema migrations: one history, a script for each engine where their SQL differs.

`migrations/sqlite/` and `migrations/postgresql/` hold the same versions under the same names;
SQLite records the version it reached in `PRAGMA user_version`, PostgreSQL in `warta_schema`.
"""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
ENGINES = ("sqlite", "postgresql")


def migration_scripts(engine: str) -> list[tuple[int, str]]:
    """Return (version, sql) for every bundled migration of an engine, in order."""
    if engine not in ENGINES:
        raise ValueError(f"no migrations for {engine!r}")
    scripts = []
    for entry in resources.files("storage").joinpath("migrations", engine).iterdir():
        found = _NAME.match(entry.name)
        if found:
            scripts.append((int(found.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def migration_names(engine: str) -> list[str]:
    """The file names of an engine's migrations, in order."""
    folder = resources.files("storage").joinpath("migrations", engine)
    return sorted(entry.name for entry in folder.iterdir() if _NAME.match(entry.name))


def newest_version() -> int:
    """The schema version this code brings a database to (the same on every engine)."""
    return max((version for version, _ in migration_scripts("sqlite")), default=0)
