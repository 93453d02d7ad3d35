"""One feed entry cleaned: its title, the text topics are matched on, and the summary shown."""

from __future__ import annotations

from typing import Final

from bot.feeds.clean.boilerplate import ArticleText, clean_article
from bot.feeds.clean.html import FeedText
from bot.feeds.clean.summary import make_summary

# Room for an outlet name after a repeated title ("… - Kompas.com"), in letters and digits.
_TITLE_SUFFIX_ROOM: Final = 20
# A news title is a line or two; a feed's "title" of thousands of words (a whole article, a
# broken template) is cut: every later step (stories, alerts, the search words) reads a title.
MAX_TITLE_CHARS: Final = 1000
ELLIPSIS: Final = "…"


def clean_title(title: FeedText) -> str:
    """The title as the outlet wrote it, on one line, with markup and entities resolved; cut
    (at a space, with "…") past MAX_TITLE_CHARS."""
    clean = " ".join(title.text().split())
    if len(clean) <= MAX_TITLE_CHARS:
        return clean
    space = clean.rfind(" ", 0, MAX_TITLE_CHARS)
    cut = space if space >= MAX_TITLE_CHARS // 2 else MAX_TITLE_CHARS - 1
    return clean[:cut].rstrip() + ELLIPSIS


def clean_entry_text(
    title: FeedText, summary: FeedText, content: FeedText | None
) -> tuple[str, str, str]:
    """(title, body text for matching, display summary) of one feed entry."""
    clean = clean_title(title)
    short = clean_article(summary.text())
    full = clean_article(content.text()) if content else ArticleText("")
    article, other = (full, short) if len(full.text) > len(short.text) else (short, full)
    text = _drop_leading_title(article.text, clean)
    shown = "" if _repeats_title(text, clean) else make_summary(text)
    # The summary starts after the dateline; matching still sees the place it named.
    return clean, ArticleText(text, article.place or other.place).for_matching(), shown


def _drop_leading_title(body: str, title: str) -> str:
    first, _, rest = body.partition("\n")
    return rest if title and _key(first) == _key(title) else body


def _repeats_title(body: str, title: str) -> bool:
    """True when body says nothing beyond the title (perhaps plus the outlet's name)."""
    # A body much longer than the title cannot repeat it; keying only its start keeps this cheap.
    title_key, body_key = _key(title), _key(body[: 2 * (len(title) + _TITLE_SUFFIX_ROOM)])
    if not title_key or not body_key:
        return False
    if title_key.startswith(body_key):
        return True
    return body_key.startswith(title_key) and len(body_key) - len(title_key) <= _TITLE_SUFFIX_ROOM


def _key(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())
