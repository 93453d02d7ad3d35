"""Feed items and readers for the tests, built one way across the suite."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.standin import FeedItem
from storage import Storage


def news(
    slug: str,
    title: str,
    body: str = "",
    *,
    hours_ago: float = 0.1,
    site: str = "berita.example",
    now: float | None = None,
) -> FeedItem:
    """A news item published `hours_ago` before `now` (the wall clock's unless given: a bot on
    a fake clock reads the time a feed gives against its own), its body one short paragraph
    unless given."""
    moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
    return FeedItem(
        title=title,
        link=f"https://{site}/{slug}",
        description=body or f"<p>{title}. Berita lengkap menyusul.</p>",
        guid=f"urn:berita:{slug}",
        published=moment - timedelta(hours=hours_ago),
    )


async def register_readers(storage: Storage, first_id: int, count: int) -> list[int]:
    """Chats that have started the bot, written straight to storage (fast for hundreds)."""
    ids = list(range(first_id, first_id + count))
    for chat_id in ids:
        await storage.register_chat(chat_id, "private", f"Pembaca {chat_id}", time.time())
    return ids
