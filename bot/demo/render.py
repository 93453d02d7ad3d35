"""Telegram HTML shown in a terminal: bold, italics, code and links (with their address)."""

from __future__ import annotations

from html.parser import HTMLParser

from rich.style import Style
from rich.text import Text

TAG_STYLES = {
    "b": Style(bold=True),
    "strong": Style(bold=True),
    "i": Style(italic=True),
    "em": Style(italic=True),
    "u": Style(underline=True),
    "ins": Style(underline=True),
    "s": Style(strike=True),
    "strike": Style(strike=True),
    "del": Style(strike=True),
    "code": Style(color="cyan"),
    "pre": Style(color="cyan"),
    "blockquote": Style(italic=True, dim=True),
    "tg-spoiler": Style(reverse=True),
    "span": Style(reverse=True),  # Telegram allows only <span class="tg-spoiler">
}
ADDRESS_STYLE = Style(dim=True)


def telegram_html_to_text(html: str) -> Text:
    """Rich text for a message in Telegram's HTML; a link's address follows its words."""
    parser = _TelegramHtml()
    parser.feed(html)
    parser.close()
    return parser.text


class _TelegramHtml(HTMLParser):
    """Builds rich Text from the small tag set Telegram's HTML parse mode allows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = Text()
        self._open: list[tuple[str, Style, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href is not None:
            style = Style(underline=True, color="blue", link=href)
        else:
            style = TAG_STYLES.get(tag, Style())
        self._open.append((tag, style, href))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            opened, _, href = self._open.pop()
            if href is not None and not self.text.plain.endswith(href):
                # Terminals without hyperlinks still show where the link goes.
                self.text.append(f" ({href})", style=ADDRESS_STYLE)
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        style = Style.combine(style for _, style, _ in self._open) if self._open else None
        self.text.append(data, style=style)
