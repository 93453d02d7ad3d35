"""Short spans of time in words, for operators: "3 min 5 s", "2 h 10 min", "4 d"."""

from __future__ import annotations

from bot.i18n import text

MINUTE, HOUR, DAY = 60, 3600, 24 * 3600


def format_duration(seconds: float, language: str) -> str:
    """A duration rounded to its two largest units."""
    whole = max(round(seconds), 0)
    if whole < MINUTE:
        return text("duration_seconds", language, seconds=whole)
    if whole < HOUR:
        minutes, rest = divmod(whole, MINUTE)
        return text("duration_minutes", language, minutes=minutes, seconds=rest)
    if whole < DAY:
        hours, rest = divmod(whole, HOUR)
        return text("duration_hours", language, hours=hours, minutes=rest // MINUTE)
    return text("duration_days", language, days=whole // DAY, hours=whole % DAY // HOUR)
