"""Parse: turn a feed body into entries with a stable identity each."""

from __future__ import annotations

import calendar
import hashlib
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import feedparser

from bot.feeds.clean import FeedText

MAX_IDENTITY = 500
# The one type feedparser reports for text that is not markup (Atom type="text", most RSS titles).
_PLAIN_TEXT = "text/plain"


class FeedParseError(Exception):
    """The body is not a usable feed; `reason` is shown to operators."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry as the feed gave it (HTML or plain text, not yet cleaned)."""

    identity: str
    title: FeedText
    summary: FeedText
    content: FeedText | None
    link: str
    published_at: float | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The entries of a feed, oldest first, and its title."""

    title: str
    entries: list[ParsedEntry]


def parse_feed(body: bytes, headers: Mapping[str, str]) -> ParsedFeed:
    """Parse a feed body (blocking: run it in a worker thread)."""
    if not body.strip():
        raise FeedParseError("empty body")
    lowered = {key.lower(): value for key, value in headers.items()}
    # feedparser's own fetcher has no timeout; it only parses the bytes we give it. Addresses
    # inside HTML fields stay as written: the cleaner keeps only their text, and rewriting them
    # took a sixth of the parsing time. An entry's own link is still made absolute.
    parsed: Any = feedparser.parse(
        io.BytesIO(body), response_headers=lowered, resolve_relative_uris=False
    )
    if not parsed.get("version") and not parsed.entries:
        raise FeedParseError(_not_a_feed_reason(parsed, lowered))
    entries: dict[str, ParsedEntry] = {}
    for raw in parsed.entries:
        entry = _entry(raw)
        if entry is not None:
            entries.setdefault(entry.identity, entry)
    ordered = sorted(entries.values(), key=lambda e: e.published_at or 0.0)
    return ParsedFeed(str(parsed.feed.get("title", "")), ordered)


def _not_a_feed_reason(parsed: Any, headers: Mapping[str, str]) -> str:
    content_type = headers.get("content-type", "").split(";")[0].strip()
    if content_type == "text/html":
        return "not a feed: got an HTML page"
    problem = parsed.get("bozo_exception")
    detail = f": {problem}" if problem else ""
    return f"not a feed{detail}"[:300]


def _entry(raw: Any) -> ParsedEntry | None:
    title = _text(raw.get("title"), raw.get("title_detail"))
    summary = _text(raw.get("summary"), raw.get("summary_detail"))
    link = str(raw.get("link", "") or "")
    contents = [_text(part.get("value"), part) for part in raw.get("content") or []]
    content = max(contents, key=lambda part: len(part.value), default=None)
    if not (title.value.strip() or summary.value.strip()):
        return None
    return ParsedEntry(
        identity=_identity(raw, title.value, summary.value, link),
        title=title,
        summary=summary,
        content=content,
        link=link,
        published_at=_published(raw),
    )


def _text(value: Any, detail: Any) -> FeedText:
    """A field's text, HTML unless feedparser found it to be plain text."""
    kind = detail.get("type", "") if isinstance(detail, Mapping) else ""
    return FeedText(str(value or ""), is_html=kind != _PLAIN_TEXT)


def _identity(raw: Any, title: str, summary: str, link: str) -> str:
    guid = str(raw.get("id", "") or "").strip()
    if guid:
        return guid[:MAX_IDENTITY]
    if link.strip():
        return link.strip()[:MAX_IDENTITY]
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return f"sha256:{digest}"


def _published(raw: Any) -> float | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # The plain dict lookup: feedparser's own maps a missing "updated_parsed" to an
        # unparseable "published_parsed" (None) with a DeprecationWarning, once per entry.
        value = dict.get(raw, key)
        if isinstance(value, time.struct_time):
            try:
                return float(calendar.timegm(value))
            except (OverflowError, ValueError):
                return None
    return None
