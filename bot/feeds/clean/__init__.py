"""Cleaning a feed entry's text for matching and display.

- `html.py`: HTML to plain text (a field the feed gives as plain text stays text).
- `boilerplate.py`: site boilerplate ("Baca juga: …", share prompts, credits) and the dateline cut.
- `summary.py`: the summary of about 300 characters, cut at a sentence or a word.
- `entry.py`: one entry's title, text for matching and summary, from the three above.

May import only the standard library and its own modules; the rest of `bot.feeds` imports it.
"""

from __future__ import annotations

from bot.feeds.clean.boilerplate import strip_boilerplate
from bot.feeds.clean.entry import clean_entry_text, clean_title
from bot.feeds.clean.html import FeedText, html_to_text
from bot.feeds.clean.summary import make_summary

__all__ = [
    "FeedText",
    "clean_entry_text",
    "clean_title",
    "html_to_text",
    "make_summary",
    "strip_boilerplate",
]
