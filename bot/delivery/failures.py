"""Why messages were not delivered: the errors the sender stores, in four kinds."""

from __future__ import annotations

from collections.abc import Iterable

REASONS = ("blocked", "chat_not_found", "cancelled", "other")


def failure_counts(failures: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Undelivered messages grouped by why: the stored errors in four kinds."""
    counts = dict.fromkeys(REASONS, 0)
    for last_error, count in failures:
        counts[failure_reason(last_error)] += count
    return counts


def failure_reason(last_error: str) -> str:
    """The kind of a delivery's last error: blocked, chat_not_found, cancelled or other."""
    lowered = last_error.lower()
    if lowered == "cancelled":
        return "cancelled"
    if "chat not found" in lowered:
        return "chat_not_found"
    # The sender stores "forbidden: ..." (blocked, kicked); membership changes "bot kicked".
    if lowered.startswith(("forbidden", "bot ")) or "blocked" in lowered:
        return "blocked"
    return "other"
