"""Queries about feeds' article pages: the full-text mode, what decides it, and failures."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database
from storage.models import ArticleHealth, ArticleSettings, FullTextMode

# How many of a feed's recent entries decide whether it sends teasers only.
RECENT_TEXT_LENGTHS = 20


class ArticleQueries(Database):
    """Each feed's full-text mode, the lengths that decide 'auto', and article failures."""

    async def article_settings(self, feed_id: int) -> ArticleSettings:
        """A feed's full-text mode and the text lengths of its recent entries."""
        row = await self._one("SELECT full_text, text_lengths FROM feeds WHERE id = ?", (feed_id,))
        if row is None:
            return ArticleSettings(FullTextMode.NEVER, ())
        lengths = tuple(int(part) for part in str(row["text_lengths"]).split())
        return ArticleSettings(FullTextMode(row["full_text"]), lengths)

    async def record_text_lengths(self, feed_id: int, lengths: Sequence[int]) -> None:
        """Add the text lengths of a feed's new entries (oldest first), keeping the recent."""
        if not lengths:
            return
        async with self._write() as db:
            row = await db.fetch_one("SELECT text_lengths FROM feeds WHERE id = ?", (feed_id,))
            old = str(row["text_lengths"]).split() if row else []
            recent = [*old, *(str(length) for length in lengths)][-RECENT_TEXT_LENGTHS:]
            await db.execute(
                "UPDATE feeds SET text_lengths = ? WHERE id = ?", (" ".join(recent), feed_id)
            )

    async def record_article_failures(
        self, feed_id: int, count: int, error: str, now: float
    ) -> None:
        """Count article pages of a feed that could not be had, and keep the last reason."""
        async with self._write() as db:
            await db.execute(
                "UPDATE feeds SET article_failures = article_failures + ?, article_error = ?, "
                "article_error_at = ? WHERE id = ?",
                (count, error, now, feed_id),
            )

    async def article_health(self) -> list[ArticleHealth]:
        """Every enabled feed's full-text mode and article failures, by feed id."""
        rows = await self._all(
            "SELECT id, full_text, article_failures, article_error, article_error_at "
            "FROM feeds WHERE enabled = 1 ORDER BY id"
        )
        return [
            ArticleHealth(
                feed_id=row["id"],
                mode=FullTextMode(row["full_text"]),
                failures=row["article_failures"],
                last_error=row["article_error"],
                last_error_at=row["article_error_at"],
            )
            for row in rows
        ]
