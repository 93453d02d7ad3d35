"""A Telegram message's formatting (its entities) as Telegram HTML, minus the command word."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import MessageEntity

_SIMPLE_TAGS = {
    MessageEntity.BOLD: "b",
    MessageEntity.ITALIC: "i",
    MessageEntity.UNDERLINE: "u",
    MessageEntity.STRIKETHROUGH: "s",
    MessageEntity.SPOILER: "tg-spoiler",
    MessageEntity.CODE: "code",
    MessageEntity.BLOCKQUOTE: "blockquote",
}


@dataclass(frozen=True, slots=True)
class _Span:
    """One entity as tags around UTF-16 positions [start, end)."""

    start: int
    end: int
    opening: str
    closing: str


def html_after_command(text: str, entities: Sequence[MessageEntity]) -> str:
    """The text after a leading /command, as HTML that gives back the same entities."""
    cut = _command_end(text, entities)
    body = text[cut:]
    # The cut spans the ASCII command and whitespace: characters and UTF-16 units agree there.
    return entities_to_html(body, entities, shift=cut)


def _command_end(text: str, entities: Sequence[MessageEntity]) -> int:
    command = next(
        (e for e in entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None
    )
    end = command.length if command is not None else 0
    rest = text[end:]
    return end + len(rest) - len(rest.lstrip())


def entities_to_html(text: str, entities: Sequence[MessageEntity], *, shift: int = 0) -> str:
    """Telegram HTML for text whose entities start `shift` UTF-16 units before it."""
    units = text.encode("utf-16-le")
    length = len(units) // 2
    spans = sorted(
        (span for e in entities if (span := _span(e, shift, length)) is not None),
        key=lambda span: (span.start, -span.end),
    )
    boundaries = sorted({0, length} | {s.start for s in spans} | {s.end for s in spans})
    parts: list[str] = []
    open_spans: list[_Span] = []
    waiting = list(reversed(spans))
    for position, following in zip(boundaries, [*boundaries[1:], length], strict=True):
        open_spans = _close_ending(open_spans, position, parts)
        while waiting and waiting[-1].start == position:
            span = waiting.pop()
            parts.append(span.opening)
            open_spans.append(span)
        piece = units[position * 2 : following * 2].decode("utf-16-le")
        parts.append(html.escape(piece, quote=False))
    return "".join(parts)


def _close_ending(open_spans: list[_Span], position: int, parts: list[str]) -> list[_Span]:
    """Close the spans that end here; ones closed only to keep tags nested are reopened."""
    ending = [i for i, span in enumerate(open_spans) if span.end <= position]
    if not ending:
        return open_spans
    lowest = min(ending)
    parts.extend(span.closing for span in reversed(open_spans[lowest:]))
    reopened = [span for span in open_spans[lowest:] if span.end > position]
    parts.extend(span.opening for span in reopened)
    return open_spans[:lowest] + reopened


def _span(entity: MessageEntity, shift: int, length: int) -> _Span | None:
    start = max(entity.offset - shift, 0)
    end = min(entity.offset + entity.length - shift, length)
    if end <= start:
        return None
    tags = _tags(entity)
    return _Span(start, end, *tags) if tags else None


def _tags(entity: MessageEntity) -> tuple[str, str] | None:
    simple = _SIMPLE_TAGS.get(entity.type)
    if simple is not None:
        return f"<{simple}>", f"</{simple}>"
    if entity.type == MessageEntity.EXPANDABLE_BLOCKQUOTE:
        return "<blockquote expandable>", "</blockquote>"
    if entity.type == MessageEntity.TEXT_LINK and entity.url:
        return f'<a href="{html.escape(entity.url)}">', "</a>"
    if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
        return f'<a href="tg://user?id={entity.user.id}">', "</a>"
    if entity.type == MessageEntity.CUSTOM_EMOJI and entity.custom_emoji_id:
        emoji_id = html.escape(entity.custom_emoji_id)
        return f'<tg-emoji emoji-id="{emoji_id}">', "</tg-emoji>"
    if entity.type == MessageEntity.PRE:
        if entity.language:
            language = html.escape(entity.language)
            return f'<pre><code class="language-{language}">', "</code></pre>"
        return "<pre>", "</pre>"
    # Mentions, hashtags, URLs and the like are recognised by Telegram from the text itself.
    return None
