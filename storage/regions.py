"""Queries about the regions chats follow."""

from __future__ import annotations

from storage.database import Database


class RegionQueries(Database):
    """Regions (provinces or "Nasional") whose every new item a chat wants."""

    async def follow_region(self, chat_id: int, region: str, now: float) -> bool:
        """Follow a region; False when the chat already did."""
        async with self._write() as db:
            added = await db.execute(
                "INSERT INTO chat_regions (chat_id, region, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (chat_id, region, now),
            )
            return added == 1

    async def unfollow_region(self, chat_id: int, region: str) -> bool:
        """Stop following a region (case-insensitive); False when it was not followed."""
        async with self._write() as db:
            removed = await db.execute(
                "DELETE FROM chat_regions WHERE chat_id = ? AND lower(region) = lower(?)",
                (chat_id, region),
            )
            return removed > 0

    async def chat_regions(self, chat_id: int) -> list[str]:
        """The regions a chat follows, in the order it chose them."""
        rows = await self._all(
            "SELECT region FROM chat_regions WHERE chat_id = ? ORDER BY created_at, region",
            (chat_id,),
        )
        return [row["region"] for row in rows]

    async def region_followers(self) -> list[tuple[int, str]]:
        """(chat, region) for every active chat that follows a region."""
        rows = await self._all(
            "SELECT r.chat_id AS chat_id, r.region AS region FROM chat_regions r "
            "JOIN chats c ON c.id = r.chat_id WHERE c.active = 1"
        )
        return [(row["chat_id"], row["region"]) for row in rows]

    async def known_regions(self) -> list[str]:
        """Regions of the enabled feeds, "Nasional" first, then alphabetical."""
        rows = await self._all(
            "SELECT region FROM feeds WHERE enabled = 1 AND region != '' "
            "GROUP BY region ORDER BY region != 'Nasional', region"
        )
        return [row["region"] for row in rows]

    async def followed_region_names(self) -> list[str]:
        """Every region some chat follows, once each."""
        rows = await self._all("SELECT DISTINCT region FROM chat_regions ORDER BY region")
        return [row["region"] for row in rows]

    async def rename_followed_region(self, old: str, new: str) -> None:
        """Store every follow of a region under another name (a chat following both keeps one)."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO chat_regions (chat_id, region, created_at) "
                "SELECT chat_id, ?, created_at FROM chat_regions WHERE region = ? "
                "ON CONFLICT DO NOTHING",
                (new, old),
            )
            await db.execute("DELETE FROM chat_regions WHERE region = ?", (old,))
