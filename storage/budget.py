"""Queries about the bot-wide send budget: turns of a grid every process reserves a few at a time.

Each reservation is one UPDATE of the budget's one row that reads and moves the grid in the same
statement, so processes that reserve at the same moment get turns that never overlap (the row
is locked, or the file is, until the statement commits): no read-then-write race.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database

# The first turn a reservation may take: the grid's next one, but never in the past (an idle grid
# restarts at the present: no burst to catch up) nor before a pause ends.
_EARLIEST = "(CASE WHEN paused_until > :now THEN paused_until ELSE :now END)"
_START = f"(CASE WHEN calls_at > {_EARLIEST} THEN calls_at ELSE {_EARLIEST} END)"
# Free turns are granted only when the free grid has reached the reservation's first turn. The
# free grid moves on from where it was, so reservations that come less often than its turns do
# not waste them, but from no earlier than `free_slack` before the reservation.
_FREE_DUE = f"(:free > 0 AND free_at <= {_START})"
_FREE_FROM = (
    f"(CASE WHEN free_at > {_START} - :free_slack THEN free_at ELSE {_START} - :free_slack END)"
)
_RESERVE = (
    "UPDATE send_budget SET "
    f"granted_from = {_START}, "
    f"granted_free = CASE WHEN {_FREE_DUE} THEN :free ELSE 0 END, "
    f"free_at = CASE WHEN {_FREE_DUE} THEN {_FREE_FROM} + :free_seconds ELSE free_at END, "
    f"calls_at = {_START} + :calls_seconds "
    "WHERE id = 1 RETURNING granted_from, granted_free, free_at, paused_until"
)


@dataclass(frozen=True, slots=True)
class SendTurns:
    """Turns reserved on the bot-wide grid: `calls` of them from `first`, 1/rate apart."""

    first: float
    calls: int
    free: int  # how many of the first turns go free (within Telegram's free rate)
    free_at: float  # when the free grid has its next free turn
    paused_until: float


class BudgetQueries(Database):
    """The grid of turns every call to Telegram takes, shared by every process."""

    async def reserve_send_turns(
        self,
        now: float,
        calls: int,
        per_second: float,
        free: int,
        free_per_second: float,
        free_slack: float = 0.0,
    ) -> SendTurns:
        """Reserve `calls` turns of the grid; the first `free` go free if the free grid allows."""
        params = {
            "now": now,
            "free": free,
            "free_seconds": free / free_per_second,
            "free_slack": free_slack,
            "calls_seconds": calls / per_second,
        }
        async with self._write() as db:
            row = await db.fetch_one(_RESERVE, params)
        if row is None:
            raise LookupError("the send budget's row is missing")
        return SendTurns(
            first=float(row["granted_from"]),
            calls=calls,
            free=int(row["granted_free"]),
            free_at=float(row["free_at"]),
            paused_until=float(row["paused_until"]),
        )

    async def pause_sending(self, until: float) -> None:
        """No turn for anyone before `until` (Telegram asked the bot to wait)."""
        async with self._write() as db:
            await db.execute(
                "UPDATE send_budget SET paused_until = "
                "CASE WHEN paused_until > :until THEN paused_until ELSE :until END WHERE id = 1",
                {"until": until},
            )

    async def sending_paused_until(self) -> float:
        """Until when every sender waits (in the past when nobody does)."""
        row = await self._one("SELECT paused_until FROM send_budget WHERE id = 1")
        return float(row["paused_until"]) if row else 0.0
