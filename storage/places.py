"""Queries about where items happen: their place codes, and the items stored before places."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.database import Database
from storage.items import ITEM_COLUMNS, item_from_row
from storage.models import Item


@dataclass(frozen=True, slots=True)
class Unlocated:
    """An item stored before places were read, with what locating reads."""

    id: int
    title: str
    body: str
    region: str


class PlaceQueries(Database):
    """The places of items (Kemendagri codes)."""

    async def item_places(self, item_id: int) -> list[str]:
        """The place codes stored for an item, in code order."""
        rows = await self._all(
            "SELECT place_code FROM item_places WHERE item_id = ? ORDER BY place_code",
            (item_id,),
        )
        return [row["place_code"] for row in rows]

    async def items_followed(
        self, codes: Sequence[str], regions: Sequence[str], limit: int
    ) -> list[Item]:
        """The newest items located at any of the codes or from feeds of any of the regions."""
        code_marks = ",".join("?" * len(codes)) or "NULL"
        region_marks = ",".join("?" * len(regions)) or "NULL"
        rows = await self._all(
            f"SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
            "WHERE i.id IN (SELECT p.item_id FROM item_places p "
            f"WHERE p.place_code IN ({code_marks})) OR f.region IN ({region_marks}) "
            "ORDER BY i.id DESC LIMIT ?",
            (*codes, *regions, limit),
        )
        return [item_from_row(row) for row in rows]

    async def alerts_per_province(self, since: float) -> list[tuple[str, int]]:
        """(province code, alerts sent since a moment about items located there), most first."""
        # A province's code is its two digits; a kabupaten/kota's has a dot.
        rows = await self._all(
            "SELECT p.place_code AS code, count(*) AS alerts FROM deliveries d "
            "JOIN item_places p ON p.item_id = d.item_id "
            "WHERE d.status = 'sent' AND d.finished_at >= ? AND length(p.place_code) = 2 "
            "GROUP BY p.place_code ORDER BY alerts DESC, code",
            (since,),
        )
        return [(row["code"], int(row["alerts"])) for row in rows]

    async def unlocated_items(self, limit: int) -> list[Unlocated]:
        """Items of the backlog stored before places were read, oldest first."""
        rows = await self._all(
            "SELECT i.id AS id, i.title AS title, i.body AS body, f.region AS region "
            "FROM places_backlog b JOIN items i ON i.id = b.item_id "
            "JOIN feeds f ON f.id = i.feed_id ORDER BY b.item_id LIMIT ?",
            (limit,),
        )
        return [Unlocated(row["id"], row["title"], row["body"], row["region"]) for row in rows]

    async def store_located(self, located: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Store the places of backlog items and take them off the backlog."""
        async with self._write() as db:
            await db.execute_many(
                "INSERT INTO item_places (item_id, place_code) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                [(item_id, code) for item_id, codes in located for code in codes],
            )
            await db.execute_many(
                "DELETE FROM places_backlog WHERE item_id = ?",
                [(item_id,) for item_id, _ in located],
            )
