"""Queries about running processes (their heartbeats) and cluster-wide leases."""

from __future__ import annotations

from storage.database import Database
from storage.models import ProcessInfo


class ProcessQueries(Database):
    """Which processes are alive, with which roles, and who holds each lease."""

    async def database_time(self) -> float:
        """The database's clock now, in Unix seconds: the server's on PostgreSQL."""
        row = await self._one(f"SELECT {self.dialect.clock()} AS now")
        if row is None:
            raise LookupError("the database did not tell its time")
        return float(row["now"])

    async def register_process(
        self, process_id: int, roles: str, host: str, pid: int, now: float
    ) -> None:
        """Record a process that just started."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO processes (id, roles, host, pid, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (process_id, roles, host, pid, now, now),
            )

    async def beat(self, process_id: int, now: float) -> bool:
        """Say the process is still alive; False if its row is gone (pruned as dead)."""
        async with self._write() as db:
            changed = await db.execute(
                "UPDATE processes SET heartbeat_at = ? WHERE id = ? AND stopped_at IS NULL",
                (now, process_id),
            )
            return changed > 0

    async def process_stopped(self, process_id: int, now: float) -> None:
        """Record a clean stop: the process holds nothing any more."""
        async with self._write() as db:
            await db.execute("UPDATE processes SET stopped_at = ? WHERE id = ?", (now, process_id))
            await db.execute("DELETE FROM leases WHERE holder = ?", (process_id,))

    async def live_processes(self, since: float) -> list[ProcessInfo]:
        """Processes not stopped whose last heartbeat is at or after a moment, oldest first."""
        rows = await self._all(
            "SELECT id, roles, host, pid, started_at, heartbeat_at FROM processes "
            "WHERE stopped_at IS NULL AND heartbeat_at >= ? ORDER BY started_at, id",
            (since,),
        )
        return [
            ProcessInfo(
                id=int(row["id"]),
                roles=tuple(role for role in row["roles"].split(",") if role),
                host=row["host"],
                pid=int(row["pid"]),
                started_at=float(row["started_at"]),
                heartbeat_at=float(row["heartbeat_at"]),
            )
            for row in rows
        ]

    async def forget_processes(self, before: float) -> int:
        """Delete the rows of processes stopped or silent since before a moment."""
        async with self._write() as db:
            return await db.execute(
                "DELETE FROM processes WHERE heartbeat_at < ? OR stopped_at < ?",
                (before, before),
            )

    async def take_lease(self, name: str, holder: int, now: float, until: float) -> bool:
        """Take or renew a lease; True while this holder has it (free or expired are taken)."""
        async with self._write() as db:
            row = await db.fetch_one(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at "
                "WHERE leases.holder = excluded.holder OR leases.expires_at < ? "
                "RETURNING holder",
                (name, holder, until, now),
            )
            return row is not None

    async def release_lease(self, name: str, holder: int) -> None:
        """Give a lease up at once (a clean stop), so another process takes it without waiting."""
        async with self._write() as db:
            await db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def lease_holder(self, name: str, now: float) -> int | None:
        """Who holds a lease now, if anyone."""
        row = await self._one(
            "SELECT holder FROM leases WHERE name = ? AND expires_at >= ?", (name, now)
        )
        return int(row["holder"]) if row else None
