"""When to poll a feed next: from how often it publishes and what its site asks for.

The rule: a feed is asked about RATE_DIVISOR times per item it publishes (the mean gap between
its last RATE_ITEMS items of the last week, divided; the silence since its newest item when
that is longer), never more often than WARTA_POLL_SECONDS nor less often than
WARTA_POLL_MAX_SECONDS. A site's own word (RSS `ttl`, `Cache-Control: max-age`, `Expires`) can
lengthen that up to the maximum, never beyond it. After a failure the feed backs off, and a
`Retry-After` on 429/503 is honoured even beyond the maximum, up to MAX_RETRY_AFTER_SECONDS.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum

from bot.i18n import text

RATE_DIVISOR = 10
# The items that tell a feed's rate: its last few, of the last few days.
RATE_ITEMS = 20
RATE_WINDOW_SECONDS = 7 * 24 * 3600
MAX_BACKOFF_SECONDS = 6 * 3600
# A Retry-After longer than this is a misconfigured server, not a wish to be asked in a week.
MAX_RETRY_AFTER_SECONDS = 6 * 3600
# Feeds of one host chosen the same interval are spread over this part of it (at most
# JITTER_MAX_SECONDS), always later, so no feed is asked sooner than its interval allows.
JITTER_FRACTION = 0.05
JITTER_MAX_SECONDS = 15.0
# Only the head of a document is searched for an RSS <ttl>: it sits in the channel, before items.
TTL_SEARCH_BYTES = 16 * 1024
# An HTTP date is 29 characters; the obsolete forms a few more. Longer is not a date.
MAX_DATE_CHARS = 64
_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>", re.IGNORECASE)
# ASCII digits only, and few of them (HTTP's delta-seconds): a value is never an error.
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?([0-9]{1,15})(?![0-9])", re.IGNORECASE)
_DELTA_SECONDS = re.compile(r"[0-9]{1,15}")


class Reason(StrEnum):
    """Why a feed has the interval it has (stored with it, shown in /feeds)."""

    FIXED = "fixed"  # WARTA_POLL_SECONDS = WARTA_POLL_MAX_SECONDS
    RATE = "rate"  # its publishing rate
    QUIET = "quiet"  # nothing published lately: the longest interval
    CACHE = "cache"  # the site's Cache-Control max-age or Expires
    TTL = "ttl"  # the feed's RSS <ttl>
    RETRY_AFTER = "retry_after"  # the site's Retry-After on 429/503
    BACKOFF = "backoff"  # failing: waiting longer after each failure
    PUSH = "push"  # its WebSub hub pushes new items (lease current): the longest interval


@dataclass(frozen=True, slots=True)
class Interval:
    """How long until a feed's next poll, and why."""

    seconds: float
    reason: Reason


@dataclass(frozen=True, slots=True)
class Bounds:
    """The shortest and longest interval between two polls of one feed."""

    shortest: float
    longest: float

    @property
    def fixed(self) -> bool:
        """Every feed is polled at one interval."""
        return self.longest <= self.shortest

    def clamp(self, seconds: float) -> float:
        """seconds, within the bounds."""
        return min(max(seconds, self.shortest), self.longest)


def publishing_interval(bounds: Bounds, item_times: list[float], now: float) -> Interval:
    """The interval a feed's publishing rate calls for, from its recent items' times.

    The mean gap between its recent items, or the silence since its newest when that is
    longer (a feed that stopped publishing slows down); fewer than two recent items: quiet.
    """
    if bounds.fixed:
        return Interval(bounds.shortest, Reason.FIXED)
    recent = sorted(t for t in item_times if now - RATE_WINDOW_SECONDS <= t <= now)
    if len(recent) < 2:
        return Interval(bounds.longest, Reason.QUIET)
    mean_gap = (recent[-1] - recent[0]) / (len(recent) - 1)
    gap = max(mean_gap, now - recent[-1])
    return Interval(bounds.clamp(gap / RATE_DIVISOR), Reason.RATE)


def success_interval(
    bounds: Bounds, by_rate: Interval, headers: dict[str, str], ttl: float | None, now: float
) -> Interval:
    """The interval after a good fetch: the rate's, lengthened by what the site asks for
    (its cache headers, and the feed's ttl in seconds)."""
    if bounds.fixed:
        return by_rate
    best = by_rate
    for asked, reason in (
        (site_cache_seconds(headers, now), Reason.CACHE),
        (ttl, Reason.TTL),
    ):
        if asked is not None and bounds.clamp(asked) > best.seconds:
            best = Interval(bounds.clamp(asked), reason)
    return best


def pushed_interval(bounds: Bounds, lease_left: float) -> Interval:
    """The interval of a feed its hub pushes: the longest, only to catch what a push missed.

    Never past the end of the hub's lease (lease_left seconds away): if it is not renewed by
    then, the feed is polled at once, and at its own interval again from there on.
    """
    return Interval(bounds.clamp(lease_left), Reason.PUSH)


def failure_interval(bounds: Bounds, failures: int, retry_after: float | None) -> Interval:
    """The interval after a failure (the feed's failures so far, this one included)."""
    backoff = min(bounds.shortest * 2**failures, max(MAX_BACKOFF_SECONDS, bounds.shortest))
    if retry_after is not None and min(retry_after, MAX_RETRY_AFTER_SECONDS) > backoff:
        return Interval(min(retry_after, MAX_RETRY_AFTER_SECONDS), Reason.RETRY_AFTER)
    return Interval(backoff, Reason.BACKOFF)


def jitter(feed_id: int, interval: Interval, bounds: Bounds) -> float:
    """A feed's own small delay past its interval, so one host's feeds do not fall due together.

    Fixed per feed (a hash of its id), so it spreads feeds without making any feed's own
    schedule wander; none with a fixed schedule, which polls every feed at the one interval.
    """
    if bounds.fixed:
        return 0.0
    share = (zlib.crc32(feed_id.to_bytes(8, "big")) % 1000) / 1000
    return share * min(interval.seconds * JITTER_FRACTION, JITTER_MAX_SECONDS)


def site_cache_seconds(headers: dict[str, str], now: float) -> float | None:
    """How long the site says its answer stays fresh: Cache-Control max-age, else Expires."""
    lowered = {name.lower(): value for name, value in headers.items()}
    control = lowered.get("cache-control", "")
    if "no-cache" in control.lower() or "no-store" in control.lower():
        return None
    if (match := _MAX_AGE.search(control)) is not None:
        return float(match.group(1))
    expires = _http_date(lowered.get("expires", ""))
    if expires is None:
        return None
    # Against the server's own Date when it sends one: clocks differ, the difference does not.
    served = _http_date(lowered.get("date", "")) or now
    return max(expires - served, 0.0)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A Retry-After header's wait in seconds (delta-seconds or an HTTP date); None if unread."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    moment = _http_date(value)
    return None if moment is None else max(moment - now, 0.0)


def feed_ttl_seconds(body: bytes) -> float | None:
    """An RSS channel's <ttl> (minutes) in seconds, None without one."""
    match = _TTL.search(body[:TTL_SEARCH_BYTES])
    return None if match is None else float(match.group(1)) * 60


def reason_text(reason: str, language: str) -> str:
    """Why a feed has its interval, in words (a reason this version does not know: as stored)."""
    try:
        return text(f"feeds_reason_{Reason(reason).value}", language)
    except ValueError:
        return reason


def _http_date(value: str) -> float | None:
    """An HTTP date as a timestamp; None for anything else (headers are the site's to garble:
    a year past the calendar, digits of another script, an offset of days)."""
    if not value.strip() or not value.isascii() or len(value) > MAX_DATE_CHARS:
        return None
    try:
        moment = parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
