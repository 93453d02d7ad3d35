"""Western Indonesian Time (WIB, Asia/Jakarta): the only time readers see or choose."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@functools.cache
def wib() -> tzinfo:
    """The Asia/Jakarta time zone."""
    try:
        return ZoneInfo("Asia/Jakarta")
    except ZoneInfoNotFoundError:
        # Hosts without tz data still get the right answer: WIB has had no DST since 1964.
        return timezone(timedelta(hours=7), "WIB")


def to_wib(moment: datetime) -> datetime:
    """A moment in WIB; naive moments are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(wib())


def wib_at(timestamp: float) -> datetime:
    """A UTC epoch timestamp as a WIB datetime."""
    return datetime.fromtimestamp(timestamp, tz=wib())


def wib_offset_at(timestamp: float) -> float:
    """WIB's distance from UTC in seconds at a moment (seven hours since 1964)."""
    offset = wib_at(timestamp).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def in_quiet_hours(hour: int, start: int | None, end: int | None) -> bool:
    """Whether a WIB hour falls inside quiet hours from start to end (which may wrap midnight)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end
