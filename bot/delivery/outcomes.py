"""Recording what became of each send, even while the database refuses writes for a while."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from storage import DATABASE_ERRORS

log = logging.getLogger(__name__)

# A write of an outcome: True if it changed the row, False if the row was no longer the
# sender's to change (a broadcast cancelled, a chat paused or deactivated meanwhile).
Write = Callable[[], Awaitable[bool]]

FIRST_RETRY_SECONDS = 0.25


@dataclass(slots=True)
class _Backlog:
    """Outcomes of one delivery that storage refused, in the order they happened."""

    chat_id: int
    writes: list[tuple[str, Write]]
    failures: int = 0
    due: float = 0.0
    retrying: bool = False


class OutcomeRecorder:
    """Writes send outcomes in order; keeps in memory what storage refused and retries it.

    A message Telegram accepted must never go out again because its row could not be updated
    (disk full, database locked past its retries). While an outcome waits here the sender leaves
    its row alone (and the row stays claimed in the database): it is retried with backoff and
    logged, and only a restart of the process can make the message go out again.
    """

    def __init__(
        self, max_backoff: float = 30.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_backoff = max_backoff
        self._monotonic = monotonic
        self._waiting: dict[int, _Backlog] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def holds(self, delivery_id: int) -> bool:
        """Whether an outcome of this delivery is still waiting to be written."""
        return delivery_id in self._waiting

    def next_due(self) -> float | None:
        """The monotonic time of the next retry, if anything waits."""
        return min((backlog.due for backlog in self._waiting.values()), default=None)

    async def record(self, chat_id: int, delivery_id: int, outcome: str, write: Write) -> None:
        """Write an outcome now, or after the ones of this delivery still waiting."""
        backlog = self._waiting.get(delivery_id)
        if backlog is not None:
            backlog.writes.append((outcome, write))
            return
        backlog = _Backlog(chat_id, [(outcome, write)])
        self._waiting[delivery_id] = backlog
        await self._drain(delivery_id, backlog)

    async def retry_due(self, *, everything: bool = False) -> None:
        """Try again the outcomes whose retry time has come (or all of them)."""
        now = self._monotonic()
        for delivery_id, backlog in list(self._waiting.items()):
            if not backlog.retrying and (everything or backlog.due <= now):
                await self._drain(delivery_id, backlog)

    def log_unwritten(self) -> None:
        """Say which outcomes are lost with this process: their messages may go out again."""
        for delivery_id, backlog in self._waiting.items():
            outcomes = ",".join(outcome for outcome, _ in backlog.writes)
            log.error(
                "send outcome never recorded chat=%d delivery=%d outcome=%s: "
                "the message may be sent again after a restart",
                backlog.chat_id,
                delivery_id,
                outcomes,
            )

    async def _drain(self, delivery_id: int, backlog: _Backlog) -> None:
        backlog.retrying = True
        try:
            while backlog.writes:
                outcome, write = backlog.writes[0]
                try:
                    changed = await write()
                except DATABASE_ERRORS as error:
                    self._postpone(delivery_id, backlog, outcome, error)
                    return
                except Exception:
                    # Not the database refusing but a fault that would recur: say so, go on.
                    log.exception(
                        "send outcome dropped chat=%d delivery=%d outcome=%s",
                        backlog.chat_id,
                        delivery_id,
                        outcome,
                    )
                    changed = True
                backlog.writes.pop(0)
                self._written(delivery_id, backlog, outcome, changed)
            del self._waiting[delivery_id]
        finally:
            backlog.retrying = False

    def _postpone(
        self, delivery_id: int, backlog: _Backlog, outcome: str, error: Exception
    ) -> None:
        backlog.failures += 1
        delay = min(FIRST_RETRY_SECONDS * 2 ** (backlog.failures - 1), self._max_backoff)
        backlog.due = self._monotonic() + delay
        log.error(
            "send outcome not recorded chat=%d delivery=%d outcome=%s reason=%s retry_in=%.2fs",
            backlog.chat_id,
            delivery_id,
            outcome,
            error,
            delay,
        )

    @staticmethod
    def _written(delivery_id: int, backlog: _Backlog, outcome: str, changed: bool) -> None:
        if backlog.failures:
            log.info(
                "send outcome recorded chat=%d delivery=%d outcome=%s after_failures=%d",
                backlog.chat_id,
                delivery_id,
                outcome,
                backlog.failures,
            )
        if not changed:
            log.info(
                "send outcome not applied chat=%d delivery=%d outcome=%s: "
                "the message was cancelled, paused or dropped meanwhile",
                backlog.chat_id,
                delivery_id,
                outcome,
            )
