"""Queries about the sites being fetched: each site's slots, leased to the pollers asking it."""

from __future__ import annotations

from storage.database import Database

# Held by a process that is alive (beat since :alive, not stopped) and within its lease.
_HELD_BY_THE_LIVING = (
    "site_slots.held_until >= :now AND EXISTS (SELECT 1 FROM processes p "
    "WHERE p.id = site_slots.holder AND p.stopped_at IS NULL AND p.heartbeat_at >= :alive)"
)


class SiteQueries(Database):
    """At most a few requests at a time to one site, whichever pollers send them."""

    async def take_site_slot(
        self, site: str, owner: int, per_site: int, now: float, until: float, alive_since: float
    ) -> int | None:
        """Take one of a site's `per_site` slots for a process until `until`; its number, or
        None when every one is held (by a process alive since alive_since, within its lease).

        One statement: the lowest slot nobody living holds is written, or taken over from a
        dead holder, in the name of `owner`. On PostgreSQL two pollers may pick the same free
        slot at once: the second finds it held when its insert meets the first's row and takes
        nothing this time (the caller asks again), never a slot beyond `per_site`.
        """
        async with self._write() as db:
            row = await db.fetch_one(
                "WITH RECURSIVE numbers(slot) AS (SELECT 0 UNION ALL "
                "SELECT slot + 1 FROM numbers WHERE slot + 1 < :per_site) "
                "INSERT INTO site_slots (site, slot, holder, held_until) "
                "SELECT :site, slot, :owner, :until FROM numbers WHERE NOT EXISTS ("
                "SELECT 1 FROM site_slots WHERE site_slots.site = :site "
                f"AND site_slots.slot = numbers.slot AND {_HELD_BY_THE_LIVING}) "
                "ORDER BY slot LIMIT 1 "
                "ON CONFLICT (site, slot) DO UPDATE SET holder = excluded.holder, "
                f"held_until = excluded.held_until WHERE NOT ({_HELD_BY_THE_LIVING}) "
                "RETURNING slot",
                {
                    "site": site,
                    "owner": owner,
                    "per_site": per_site,
                    "now": now,
                    "until": until,
                    "alive": alive_since,
                },
            )
        return None if row is None else int(row["slot"])

    async def release_site_slot(self, site: str, slot: int, owner: int) -> None:
        """Give a site's slot back (unless another process took it over meanwhile)."""
        async with self._write() as db:
            await db.execute(
                "DELETE FROM site_slots WHERE site = ? AND slot = ? AND holder = ?",
                (site, slot, owner),
            )
