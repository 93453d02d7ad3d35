"""Cleaning: feed HTML to plain text, site boilerplate and datelines cut, a short summary."""

from __future__ import annotations

from bot.feeds.clean.boilerplate import (
    FeedText,
    clean_entry_text,
    clean_title,
    html_to_text,
    make_summary,
    strip_boilerplate,
)

__all__ = [
    "FeedText",
    "clean_entry_text",
    "clean_title",
    "html_to_text",
    "make_summary",
    "strip_boilerplate",
]
