"""Indonesia's clocks: WIB (Asia/Jakarta), WITA (Asia/Makassar) and WIT (Asia/Jayapura).

A chat reads its digest hour and quiet hours on its own clock and sees times on it; WIB is the
default, and the clock of operators' figures.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import TimeZone

# Each zone's IANA name, and its distance from UTC for hosts without tz data: none of the
# three has had daylight saving time since 1964.
_ZONES: Mapping[TimeZone, tuple[str, int]] = {
    TimeZone.WIB: ("Asia/Jakarta", 7),
    TimeZone.WITA: ("Asia/Makassar", 8),
    TimeZone.WIT: ("Asia/Jayapura", 9),
}


@functools.cache
def clock_of(zone: TimeZone) -> tzinfo:
    """The tzinfo of one of Indonesia's three zones."""
    name, hours = _ZONES[zone]
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=hours), zone.value)


def utc_offset_hours(zone: TimeZone) -> int:
    """The zone's distance from UTC in whole hours, as readers know it (WIB is UTC+7)."""
    return _ZONES[zone][1]


def wib() -> tzinfo:
    """The Asia/Jakarta time zone."""
    return clock_of(TimeZone.WIB)


def to_local(moment: datetime, zone: TimeZone) -> datetime:
    """A moment on a zone's clock; naive moments are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(clock_of(zone))


def to_wib(moment: datetime) -> datetime:
    """A moment in WIB; naive moments are taken as UTC."""
    return to_local(moment, TimeZone.WIB)


def local_at(timestamp: float, zone: TimeZone) -> datetime:
    """A UTC epoch timestamp on a zone's clock."""
    return datetime.fromtimestamp(timestamp, tz=clock_of(zone))


def wib_at(timestamp: float) -> datetime:
    """A UTC epoch timestamp as a WIB datetime."""
    return local_at(timestamp, TimeZone.WIB)


def hours_at(timestamp: float) -> dict[TimeZone, int]:
    """The hour of the day on each zone's clock at a moment."""
    return {zone: local_at(timestamp, zone).hour for zone in TimeZone}


def wib_offset_at(timestamp: float) -> float:
    """WIB's distance from UTC in seconds at a moment (seven hours since 1964)."""
    offset = wib_at(timestamp).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def in_quiet_hours(hour: int, start: int | None, end: int | None) -> bool:
    """Whether an hour falls inside quiet hours from start to end (which may wrap midnight)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end
