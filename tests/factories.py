"""Items for the tests' feed server, built one way across the suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.standin import FeedItem


def news(
    slug: str, title: str, body: str = "", *, hours_ago: float = 0.1, site: str = "berita.example"
) -> FeedItem:
    """A news item published `hours_ago`, its body one short paragraph unless given."""
    return FeedItem(
        title=title,
        link=f"https://{site}/{slug}",
        description=body or f"<p>{title}. Berita lengkap menyusul.</p>",
        guid=f"urn:berita:{slug}",
        published=datetime.now(UTC) - timedelta(hours=hours_ago),
    )
