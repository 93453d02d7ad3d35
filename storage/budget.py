"""Queries about the bot-wide send budget: turns of a grid every process reserves a few at a time.

Each reservation is one transaction that first locks the budget's one row, then reads and moves
the grid in one UPDATE, so processes that reserve at the same moment get turns that never overlap
(the row is locked, or the file is, until the transaction commits): no read-then-write race. The
statement also notes who reserved: while more than one process takes turns, the grid is spaced
for sharing (a little slower), and for a process alone at its full pace. Read strictly, every turn
given out is also written down (send_turns) for a few seconds, whichever process took it.

Read leniently, only free messages count toward Telegram's free 30 a second: the free grid
(free_at) says when a turn may next go free, and only free turns move it on. Read strictly (a
message without allow_paid_broadcast is refused once 30 of any kind left in the last second),
every turn counts, and the turns written down say exactly how many the last second holds: a
turn goes free only while that count leaves room for it, and a reservation that must go free (a
reply) takes its turns at the first moment the count does, however the grid ran before; the grid
stops until then (the second drains) and goes on right after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from storage.database import Database, Row, Session

# The first turn a reservation may take: the grid's next one, but never in the past (an idle grid
# restarts at the present: no burst to catch up). A pause does not move the grid: replies go on
# during one, and each reservation tells the senders until when they wait.
_NEXT = "(CASE WHEN calls_at > :now THEN calls_at ELSE :now END)"
# Read strictly, a call that may only go free starts once the second before it holds few enough
# turns, however late: when the turn :offset turns before the latest written down has aged out.
_EDGE = "(SELECT at FROM send_turns ORDER BY at DESC LIMIT 1 OFFSET :offset)"
_DRAINED = f"(COALESCE({_EDGE}, 0) + :counted_seconds)"
_START = f"(CASE WHEN :wait_free = 1 AND {_DRAINED} > {_NEXT} THEN {_DRAINED} ELSE {_NEXT} END)"
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
# Read strictly, the turns that Telegram may count within the second before the reservation's
# first turn: every turn given out since (the reservation comes after all of them).
_COUNTED = f"(SELECT count(*) FROM send_turns WHERE at > {_START} - :counted_seconds)"
_STRICT_FREE = f"(CASE WHEN {_COUNTED} + :free + :trailing <= :free_limit THEN :free ELSE 0 END)"
_RESERVE = (
    "UPDATE send_budget SET "
    f"granted_from = {_START}, "
    f"granted_interval = {_INTERVAL}, "
    f"granted_free = CASE WHEN :strict = 1 THEN {_STRICT_FREE} "
    f"WHEN {_FREE_DUE} THEN :free ELSE 0 END, "
    f"free_at = CASE WHEN :strict = 1 THEN {_START} + :calls * {_INTERVAL} "
    f"WHEN {_FREE_DUE} THEN {_FREE_FROM} + :free * {_FREE_INTERVAL} ELSE free_at END, "
    f"calls_at = {_START} + :calls * {_INTERVAL}, "
    f"shared_until = CASE WHEN taker <> :taker THEN {_START} + :share_seconds "
    "ELSE shared_until END, "
    "taker = :taker "
    "WHERE id = 1 RETURNING granted_from, granted_interval, granted_free, free_at, paused_until, "
    "paused_by, shared_until"
)
# Taken first in a strict reservation's transaction: on PostgreSQL its UPDATE then sees the turns
# other processes wrote down before they let go of the row.
_LOCK = "UPDATE send_budget SET taker = taker WHERE id = 1"
_WRITE_DOWN = "INSERT INTO send_turns (at, free) VALUES (:at, :free)"
_FORGET = "DELETE FROM send_turns WHERE at < :before"
# Turns are kept this much longer than any second that counts them, and forgotten by the
# reservations that cross a whole second (about one a second): the table stays small.
_KEPT_SECONDS = 1.0


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
    # Read strictly, every turn counts toward the free rate: a turn goes free only while fewer
    # than `free_limit` turns (itself included) are within `counted_seconds` before it.
    strict: bool = False
    free_limit: int = 29
    counted_seconds: float = 1.0
    # Turns given out after a free one that may still reach Telegram before it (bunched): they
    # count toward its second too.
    trailing: int = 0
    wait_free: bool = False  # strictly: the turns must all go free, the grid waits for them


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
        wait_free = request.wait_free and request.strict
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
            "strict": int(request.strict),
            "free_limit": request.free_limit,
            "counted_seconds": request.counted_seconds,
            "trailing": request.trailing,
            "wait_free": int(wait_free),
            # Its `free` turns find room once no more than free_limit - free - trailing others
            # are counted.
            "offset": max(0, request.free_limit - request.free - request.trailing),
        }
        async with self._write() as db:
            if request.strict:
                await db.execute(_LOCK)
            row = await db.fetch_one(_RESERVE, params)
            if row is not None and request.strict:
                await self._write_down(db, row, request.calls, now - request.counted_seconds)
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

    @staticmethod
    async def _write_down(db: Session, row: Row, calls: int, counted_from: float) -> None:
        """Note the turns just given out, and forget those no second counts any more."""
        first, interval = float(row["granted_from"]), float(row["granted_interval"])
        free = int(row["granted_free"])
        turns = [{"at": first + n * interval, "free": int(n < free)} for n in range(calls)]
        await db.execute_many(_WRITE_DOWN, turns)
        if math.floor(first) != math.floor(first + calls * interval):
            await db.execute(_FORGET, {"before": counted_from - _KEPT_SECONDS})

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
