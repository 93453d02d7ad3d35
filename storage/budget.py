"""Queries about the bot-wide send budget: turns of a grid every process reserves a few at a time.

Each reservation is one UPDATE of the budget's one row that reads and moves the grid in the same
statement, so processes that reserve at the same moment get turns that never overlap (the row
is locked, or the file is, until the statement commits): no read-then-write race. The statement
also notes who reserved: while more than one process takes turns, the grid is spaced for
sharing (a little slower), and for a process alone at its full pace.

The free grid (free_at) says when a turn may next go free. Read leniently, only free messages
count toward Telegram's free 30 a second, and only free turns move it on. Read strictly (a
message without allow_paid_broadcast is refused once 30 of any kind left in the last second),
every turn moves it on, but never past the moment when, however densely the grid ran, fewer
than the free limit of its turns can be within the second before (`free_cap` after the last
one): a reservation that must wait for a free turn (a reply) takes it then, and the grid stops
until then, so the second drains.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database

# The first turn a reservation may take: the grid's next one, but never in the past (an idle grid
# restarts at the present: no burst to catch up). A pause does not move the grid: replies go on
# during one, and each reservation tells the senders until when they wait.
_NEXT = "(CASE WHEN calls_at > :now THEN calls_at ELSE :now END)"
# Read strictly, a call that may only go free starts at the free grid's next turn, however late.
_START = f"(CASE WHEN :wait_free = 1 AND free_at > {_NEXT} THEN free_at ELSE {_NEXT} END)"
# Another process reserved last, or did so recently enough that its turns still count.
_SHARED = f"(taker <> :taker OR shared_until > {_START})"
_INTERVAL = f"(CASE WHEN {_SHARED} THEN :shared_interval ELSE :alone_interval END)"
_FREE_INTERVAL = f"(CASE WHEN {_SHARED} THEN :free_shared_interval ELSE :free_alone_interval END)"
# Free turns are granted only when the free grid has reached the reservation's first turn. The
# free grid moves on from where it was, so reservations that come less often than its turns do
# not waste them, but from no earlier than `free_slack` before the reservation.
_FREE_DUE = f"(:free > 0 AND free_at <= {_START})"
_FREE_FROM = (
    f"(CASE WHEN free_at > {_START} - :free_slack THEN free_at ELSE {_START} - :free_slack END)"
)
# Read strictly, every turn counts, up to the bound the grid's density gives.
_EVERY_TURN = f"({_FREE_FROM} + :calls * {_FREE_INTERVAL})"
_DRAINED = f"({_START} + (:calls - 1) * {_INTERVAL} + :free_cap)"
_RESERVE = (
    "UPDATE send_budget SET "
    f"granted_from = {_START}, "
    f"granted_interval = {_INTERVAL}, "
    f"granted_free = CASE WHEN {_FREE_DUE} THEN :free ELSE 0 END, "
    f"free_at = CASE WHEN :strict = 1 THEN (CASE WHEN {_EVERY_TURN} < {_DRAINED} "
    f"THEN {_EVERY_TURN} ELSE {_DRAINED} END) "
    f"WHEN {_FREE_DUE} THEN {_FREE_FROM} + :free * {_FREE_INTERVAL} ELSE free_at END, "
    f"calls_at = {_START} + :calls * {_INTERVAL}, "
    f"shared_until = CASE WHEN taker <> :taker THEN {_START} + :share_seconds "
    "ELSE shared_until END, "
    "taker = :taker "
    "WHERE id = 1 RETURNING granted_from, granted_interval, granted_free, free_at, paused_until, "
    "paused_by, shared_until"
)


@dataclass(frozen=True, slots=True)
class Spacing:
    """Seconds between turns: for a process alone on the grid, and while several share it."""

    alone: float
    shared: float


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What a process asks of the grid: `calls` turns, up to `free` of the first going free."""

    taker: int  # the process asking (a random number of its own)
    calls: int
    spacing: Spacing
    free: int
    free_spacing: Spacing
    free_slack: float  # how far behind the free grid may be caught up with
    share_seconds: float  # how long one process's reservation makes the grid shared
    # Read strictly: every turn counts toward the free rate, and free turns are safe again this
    # long after the last turn (None: read leniently, only free turns count).
    free_cap: float | None = None
    wait_free: bool = False  # strictly: the free turns are needed, the grid waits for them


@dataclass(frozen=True, slots=True)
class SendTurns:
    """Turns reserved on the bot-wide grid: `calls` of them from `first`, `interval` apart."""

    first: float
    interval: float
    calls: int
    free: int  # how many of the first turns go free (within Telegram's free rate)
    free_at: float  # when the free grid has its next free turn
    paused_until: float
    paused_by: int  # the process whose 429 began the pause
    shared: bool  # other processes take turns too


class BudgetQueries(Database):
    """The grid of turns every call to Telegram takes, shared by every process."""

    async def reserve_send_turns(self, now: float, request: TurnRequest) -> SendTurns:
        """Reserve turns of the grid; the first few go free if the free grid allows."""
        params = {
            "now": now,
            "taker": request.taker,
            "calls": request.calls,
            "alone_interval": request.spacing.alone,
            "shared_interval": request.spacing.shared,
            "free": request.free,
            "free_alone_interval": request.free_spacing.alone,
            "free_shared_interval": request.free_spacing.shared,
            "free_slack": request.free_slack,
            "share_seconds": request.share_seconds,
            "strict": int(request.free_cap is not None),
            "free_cap": request.free_cap or 0.0,
            "wait_free": int(request.wait_free and request.free_cap is not None),
        }
        async with self._write() as db:
            row = await db.fetch_one(_RESERVE, params)
        if row is None:
            raise LookupError("the send budget's row is missing")
        first = float(row["granted_from"])
        return SendTurns(
            first=first,
            interval=float(row["granted_interval"]),
            calls=request.calls,
            free=int(row["granted_free"]),
            free_at=float(row["free_at"]),
            paused_until=float(row["paused_until"]),
            paused_by=int(row["paused_by"]),
            shared=float(row["shared_until"]) > first,
        )

    async def pause_sending(self, until: float, by: int) -> None:
        """No sender in any process sends before `until`: Telegram asked process `by` to wait."""
        async with self._write() as db:
            await db.execute(
                "UPDATE send_budget SET "
                "paused_by = CASE WHEN paused_until >= :until THEN paused_by ELSE :by END, "
                "paused_until = CASE WHEN paused_until >= :until THEN paused_until ELSE :until END "
                "WHERE id = 1",
                {"until": until, "by": by},
            )

    async def sending_paused_until(self) -> float:
        """Until when every sender waits (in the past when nobody does)."""
        row = await self._one("SELECT paused_until FROM send_budget WHERE id = 1")
        return float(row["paused_until"]) if row else 0.0
