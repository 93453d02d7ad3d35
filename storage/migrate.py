"""Numbered schema migrations, applied at start-up through `PRAGMA user_version`."""

from __future__ import annotations

import re
from importlib import resources

import aiosqlite

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migration_scripts() -> list[tuple[int, str]]:
    """Return (version, sql) for every bundled migration, in order."""
    scripts = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        found = _NAME.match(entry.name)
        if found:
            scripts.append((int(found.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def newest_version() -> int:
    """The schema version this code brings a database to."""
    return max((version for version, _ in migration_scripts()), default=0)


async def schema_version(db: aiosqlite.Connection) -> int:
    """The schema version the database file is at (0 for a new file)."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row["user_version"]) if row else 0


async def apply_migrations(db: aiosqlite.Connection) -> int:
    """Bring the schema up to the newest version; return that version."""
    current = await schema_version(db)
    for version, script in migration_scripts():
        if version <= current:
            continue
        # executescript commits first; the version bump is part of the same script.
        await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
        current = version
    return current
