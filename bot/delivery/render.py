"""Render news alerts and item lists as Telegram HTML messages."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from telegram.constants import MessageLimit

from bot.i18n import DEFAULT_LANGUAGE, text
from bot.wib import to_local
from storage.models import TimeZone

ITEM_TITLE_UNITS: Final = 200
ITEM_SOURCE_UNITS: Final = 60
# Labels are capped up front so that an absurd source name cannot crowd out the news itself.
TOPICS_UNITS: Final = 300
SOURCE_UNITS: Final = 100
REGION_UNITS: Final = 60
WHERE_UNITS: Final = 200
# Where the story happens: a label of this mark is a place, shown on its own line, not a topic.
WHERE_ICON: Final = "📍"
# Places named on that line; the rest are counted ("+2").
WHERE_SHOWN: Final = 3
ELLIPSIS: Final = "…"
ALERT_ICON: Final = "🔔"
META_SEPARATOR: Final = " · "
LINK_SCHEMES: Final = frozenset({"http", "https"})

_TAG_RE: Final = re.compile(r"<[^<>]*>")
# Control characters and lone surrogates: Telegram rejects or garbles them. Control
# characters that are whitespace are left for str.split() to turn into spaces.
_UNSENDABLE_RE: Final = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")
_LINK_FORBIDDEN_RE: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_DANGLING: Final = ",;:-\u2013—([{“\u2018 \n"
_ZERO_WIDTH_JOINER: Final = "\u200d"


@dataclass(frozen=True, slots=True)
class AlertView:
    """What one alert shows, as plain (unescaped) text."""

    topics: tuple[str, ...]
    title: str
    summary: str
    link: str
    source_name: str
    region: str
    published_at: datetime | None
    language: str = DEFAULT_LANGUAGE
    time_zone: TimeZone = TimeZone.WIB  # the reader's clock, for the time shown


@dataclass(frozen=True, slots=True)
class _AlertParts:
    """The plain-text pieces of an alert, each shortened independently to fit."""

    topics: str
    where: str
    title: str
    source: str
    region: str
    when: str
    summary: str
    link: str | None
    read_more: str


# Which pieces give way first when a message is too long; with the labels capped, the
# summary and title always suffice, the rest only keeps the guarantee unconditional.
_SHRINK_ORDER: Final = ("summary", "title", "source", "region", "where", "topics")


def render_alert(view: AlertView) -> str:
    """The alert as Telegram HTML, never over Telegram's message length."""
    # Places that brought a topic's alert have a line of their own, under the source; the
    # alert of a place followed, with no topic, says the place where the topics go.
    topics = [label for label in view.topics if not _is_where(label)] or list(view.topics)
    where = _where(view.topics) if len(topics) < len(view.topics) else ""
    parts = _AlertParts(
        topics=_shorten(_one_line(", ".join(topics)), TOPICS_UNITS),
        where=_shorten(where, WHERE_UNITS),
        title=_one_line(view.title),
        source=_shorten(_one_line(view.source_name), SOURCE_UNITS),
        region=_shorten(_one_line(view.region), REGION_UNITS),
        when=_when(view, with_year=True),
        summary=_paragraph(view.summary),
        link=_safe_link(view.link),
        read_more=text("alert_read_more", view.language),
    )
    return _compose(_fit(parts))


def _is_where(label: str) -> bool:
    return label.startswith(WHERE_ICON)


def _where(labels: Sequence[str]) -> str:
    """The places among an alert's labels, on one line: at most WHERE_SHOWN, then "+N"."""
    places = [_one_line(label.removeprefix(WHERE_ICON)) for label in labels if _is_where(label)]
    places = list(dict.fromkeys(place for place in places if place))
    shown = META_SEPARATOR.join(places[:WHERE_SHOWN])
    more = len(places) - WHERE_SHOWN
    return f"{shown} +{more}" if more > 0 else shown


def _fit(parts: _AlertParts) -> _AlertParts:
    for name in _SHRINK_ORDER:
        excess = telegram_length(_compose(parts)) - MessageLimit.MAX_TEXT_LENGTH
        if excess <= 0:
            break
        value: str = getattr(parts, name)
        parts = replace(parts, **{name: _shorten(value, _utf16_length(value) - excess)})
    return parts


def _compose(parts: _AlertParts) -> str:
    head: list[str] = []
    if parts.topics:
        head.append(f"{ALERT_ICON} <b>{_escape(parts.topics)}</b>")
    if parts.title:
        head.append(f"<b>{_escape(parts.title)}</b>")
    meta = META_SEPARATOR.join(
        _escape(piece) for piece in (parts.source, parts.region, parts.when) if piece
    )
    if meta:
        head.append(meta)
    if parts.where:
        head.append(f"{WHERE_ICON} {_escape(parts.where)}")
    blocks = ["\n".join(head)] if head else []
    if parts.summary:
        blocks.append(_escape(parts.summary))
    if parts.link:
        blocks.append(f'<a href="{_escape(parts.link)}">{_escape(parts.read_more)}</a>')
    return "\n\n".join(blocks)


def render_item_line(view: AlertView, index: int) -> str:
    """One compact numbered line for a list: linked title, then source and time."""
    title = _shorten(_one_line(view.title), ITEM_TITLE_UNITS) or text(
        "item_untitled", view.language
    )
    link = _safe_link(view.link)
    shown = f'<a href="{_escape(link)}">{_escape(title)}</a>' if link else _escape(title)
    source = _shorten(_one_line(view.source_name), ITEM_SOURCE_UNITS)
    when = _when(view, with_year=False)
    details = ", ".join(piece for piece in (source, when) if piece)
    tail = f" — {_escape(details)}" if details else ""
    return f"{index}. {shown}{tail}"


def render_item_list(views: list[AlertView], header: str) -> str:
    """header (trusted Telegram HTML) and numbered lines, stopping before the length limit."""
    lines = [header] if header else []
    used = telegram_length(header)
    for index, view in enumerate(views, start=1):
        line = render_item_line(view, index)
        cost = telegram_length(line) + (1 if lines else 0)
        if used + cost > MessageLimit.MAX_TEXT_LENGTH:
            break  # later lines are older news; a gap in the numbering would confuse
        lines.append(line)
        used += cost
    return "\n".join(lines)


def split_message(lines: Sequence[str], limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Lines of Telegram HTML (each closing every tag it opens) as few messages as fit.

    Messages are split between lines only, so never inside a tag or an entity; a line too long
    for a message on its own goes as its plain text, shortened ("…").
    """
    messages: list[str] = []
    current: list[str] = []
    used = 0
    for line in lines:
        cost = telegram_length(line)
        if cost > limit:
            line = _escape(_shorten(plain_text(line), limit))
            cost = telegram_length(line)
        if current and used + 1 + cost > limit:
            messages.append("\n".join(current))
            current, used = [], 0
        used += cost + (1 if current else 0)
        current.append(line)
    messages.append("\n".join(current))
    # Telegram drops a message's outer whitespace: one with nothing else is refused.
    return [message for message in messages if message.strip()] or [""]


def shorten(text: str, units: int) -> str:
    """Plain text cut to at most units UTF-16 units, at a word boundary when one is near, "…"
    ended; never inside an emoji or a letter with its accents."""
    return _shorten(text, units)


def plain_text(text_html: str) -> str:
    """The visible text of Telegram HTML."""
    return html.unescape(_TAG_RE.sub("", text_html))


def telegram_length(text_html: str) -> int:
    """Length Telegram counts for an HTML message: UTF-16 units of its visible text."""
    return _utf16_length(plain_text(text_html))


def format_wib(moment: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """Moment in Jakarta time, as "25 Nov 2026 14:05 WIB"."""
    return format_local(moment, TimeZone.WIB, language)


def format_local(
    moment: datetime, zone: TimeZone, language: str = DEFAULT_LANGUAGE, *, with_year: bool = True
) -> str:
    """Moment on a zone's clock with the zone's name, as "25 Nov 2026 15:05 WITA"."""
    local = to_local(moment, zone)
    months = text("month_names", language).split()
    day = f"{local.day} {months[local.month - 1]}"
    if with_year:
        day = f"{day} {local.year}"
    # WIB, WITA and WIT are what Indonesians write in either language.
    return f"{day} {local:%H:%M} {zone.value}"


def _when(view: AlertView, *, with_year: bool) -> str:
    if view.published_at is None:
        return ""
    try:
        return format_local(view.published_at, view.time_zone, view.language, with_year=with_year)
    except OverflowError:
        return ""  # a corrupt date at the edge of the calendar must not stop the alert


def _safe_link(link: str) -> str | None:
    """link when it is a plain http(s) URL, else None (no javascript:, data: and the like)."""
    candidate = link.strip()
    if not candidate or _LINK_FORBIDDEN_RE.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return candidate.replace(" ", "%20")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _one_line(text: str) -> str:
    return " ".join(_UNSENDABLE_RE.sub("", text).split())


def _paragraph(text: str) -> str:
    lines = (" ".join(line.split()) for line in _UNSENDABLE_RE.sub("", text).splitlines())
    return "\n".join(line for line in lines if line)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _shorten(text: str, units: int) -> str:
    """text cut to at most units UTF-16 units, at a word boundary when one is near, plus "…"."""
    if _utf16_length(text) <= units:
        return text
    if units <= len(ELLIPSIS):
        return ""
    end = _fitting_prefix(text, units - len(ELLIPSIS))
    space = max(text.rfind(" ", 0, end + 1), text.rfind("\n", 0, end + 1))
    # Text without spaces (long URLs, emoji runs) is cut between characters instead.
    cut = space if space >= end // 2 and space > 0 else _grapheme_start(text, end)
    head = text[:cut].rstrip(_DANGLING)
    return head + ELLIPSIS if head else ""


def _fitting_prefix(text: str, units: int) -> int:
    """Number of leading characters whose UTF-16 length is at most units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return index
    return len(text)


def _grapheme_start(text: str, index: int) -> int:
    """index moved back so that it does not split an emoji sequence or combining marks."""
    while 0 < index < len(text) and _continues_cluster(text, index):
        index -= 1
    if index < len(text) and _is_regional_indicator(text[index]):
        run = 0
        while index - run > 0 and _is_regional_indicator(text[index - run - 1]):
            run += 1
        index -= run % 2  # flags are pairs of regional indicators
    return index


def _continues_cluster(text: str, index: int) -> bool:
    char = text[index]
    code = ord(char)
    return (
        text[index - 1] == _ZERO_WIDTH_JOINER
        or char == _ZERO_WIDTH_JOINER
        or unicodedata.category(char) in ("Mn", "Mc", "Me")
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def render_digest(
    groups: list[tuple[str, list[AlertView]]], header: str, continued: str
) -> list[str]:
    """A digest: items grouped under their topic, split at item boundaries to fit Telegram.

    header and continued are trusted Telegram HTML (from the catalogue); continued opens every
    message after the first.
    """
    return [message for message, _ in split_digest(groups, header, continued)]


def split_digest(
    groups: list[tuple[str, list[AlertView]]], header: str, continued: str
) -> list[tuple[str, int]]:
    """The digest's messages, each with how many of the items (in the order given) it carries."""
    messages: list[tuple[str, int]] = []
    lines: list[str] = [header]
    carried = 0
    for topic, views in groups:
        heading = f"\n{ALERT_ICON} <b>{_escape(_shorten(_one_line(topic), TOPICS_UNITS))}</b>"
        for index, view in enumerate(views, start=1):
            block = [heading] if index == 1 else []
            block.append(render_item_line(view, index))
            if telegram_length("\n".join([*lines, *block])) > MessageLimit.MAX_TEXT_LENGTH:
                messages.append(("\n".join(lines), carried))
                lines = [continued, heading] if index > 1 else [continued]
                carried = 0
            lines.extend(block)
            carried += 1
    messages.append(("\n".join(lines), carried))
    return messages
