"""HTML to plain text: block tags become lines, entities decoded, invisible characters dropped."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

# Tags that start a new line of text.
_BLOCK_TAGS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_CELL_TAGS: Final = frozenset({"td", "th"})
# Their content is code, embeds or fallbacks, never article text.
_SKIPPED_TAGS: Final = frozenset({"script", "style", "iframe", "noscript", "template", "svg"})

_BLOCK_MARKUP_RE: Final = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|table|blockquote|section|article|pre|hr)\b", re.I
)
# Markup that survived one round of decoding: the feed escaped its HTML twice.
_ESCAPED_MARKUP_RE: Final = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|em|strong|img|li|ul|ol|h[1-6]|script|style|iframe|figure"
    r"|figcaption|blockquote|table|tr|td)\b[^<>]*>",
    re.I,
)
# A "<" that no ">" closes before the next "<" cannot open a tag. Escaping it keeps it as
# text and spares html.parser a rescan of the rest of the input for every such "<".
_STRAY_LT_RE: Final = re.compile(r"<(?=[^<>]*(?:<|\Z))")
_LINE_BREAK_RE: Final = re.compile("\r\n?|[\u2028\u2029\x85]")
_CONTROL_RE: Final = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
# Zero-width and direction marks: invisible, and they split words for matching.
_INVISIBLE_RE: Final = re.compile(
    "[\u00ad\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
# A zero-width joiner glues emoji sequences together; next to a letter it is noise.
_LOOSE_JOINER_RE: Final = re.compile(r"\u200d(?=\w)|(?<=\w)\u200d")


@dataclass(frozen=True, slots=True)
class FeedText:
    """A text field of a feed entry: HTML, or plain text that only looks like markup."""

    value: str
    is_html: bool = True

    def text(self) -> str:
        """The visible text: HTML parsed, plain text kept as it is (entities resolved)."""
        return html_to_text(self.value) if self.is_html else plain_to_text(self.value)


class _TextExtractor(HTMLParser):
    """Collects the visible text of a fragment, turning block tags into line breaks."""

    def __init__(self, *, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._keep_newlines = keep_newlines
        self._skip_depth = 0
        self._pieces: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a skipped element or break the line."""
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        else:
            self._separate(tag)

    def handle_endtag(self, tag: str) -> None:
        """Close a skipped element or break the line."""
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        else:
            self._separate(tag)

    def handle_data(self, data: str) -> None:
        """Keep text outside skipped elements."""
        if self._skip_depth:
            return
        # In markup with its own block structure, source newlines are only whitespace.
        self._pieces.append(data if self._keep_newlines else data.replace("\n", " "))

    def unknown_decl(self, data: str) -> None:
        """Keep the text of CDATA sections."""
        if data.startswith("CDATA["):
            self.handle_data(data.removeprefix("CDATA["))

    def text(self) -> str:
        """The text collected so far."""
        return "".join(self._pieces)

    def _separate(self, tag: str) -> None:
        if self._skip_depth:
            return
        if tag in _BLOCK_TAGS:
            self._pieces.append("\n")
        elif tag in _CELL_TAGS:
            self._pieces.append(" ")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: one line per block, entities decoded, spaces collapsed."""
    text = _extract(fragment)
    if _ESCAPED_MARKUP_RE.search(text):
        text = _extract(text)
    elif "&" in text:
        # Feeds often escape twice ("&amp;quot;"); what is left after parsing is one more layer.
        text = html.unescape(text)
    return _normalise(text)


def plain_to_text(text: str) -> str:
    """Plain text, cleaned like html_to_text's output but with nothing taken for a tag."""
    # Entities left in plain text are the feed escaping twice, as in HTML fields.
    return _normalise(html.unescape(text) if "&" in text else text)


def _extract(fragment: str) -> str:
    parser = _TextExtractor(keep_newlines=_BLOCK_MARKUP_RE.search(fragment) is None)
    parser.feed(_STRAY_LT_RE.sub("&lt;", fragment))
    parser.close()
    return parser.text()


def _normalise(text: str) -> str:
    text = _LINE_BREAK_RE.sub("\n", text)
    text = _CONTROL_RE.sub("", _INVISIBLE_RE.sub("", text))
    text = _LOOSE_JOINER_RE.sub("", text)
    # str.split() also splits on NBSP and the other Unicode spaces, normalising them.
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
