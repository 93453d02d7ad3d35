"""The typed statuses are exactly the values the schema lets a row hold."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from enum import StrEnum
from pathlib import Path

import pytest

from storage import Storage
from storage.models import BroadcastStatus, DeliveryMode, DeliveryStatus


@pytest.mark.parametrize(
    ("table", "column", "values"),
    [
        ("deliveries", "status", DeliveryStatus),
        ("chats", "delivery", DeliveryMode),
        ("broadcasts", "status", BroadcastStatus),
    ],
)
async def test_a_typed_status_has_a_member_for_each_value_the_schema_allows(
    tmp_path: Path, table: str, column: str, values: type[StrEnum]
) -> None:
    storage = Storage(tmp_path / "warta.db")
    await storage.open()
    await storage.close()
    with contextlib.closing(sqlite3.connect(tmp_path / "warta.db")) as db:
        (schema,) = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
    allowed = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", schema)
    assert allowed is not None, schema
    assert set(re.findall(r"'([^']*)'", allowed.group(1))) == {member.value for member in values}
