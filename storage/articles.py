"""Queries about feeds' article pages: the full-text mode, what decides it, failures, and
the items whose alerts wait for their page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from storage.database import DATA_ERRORS, Database
from storage.items import NO_DOCUMENT, insert_rows, queue_alerts_of
from storage.models import (
    ArticleHealth,
    ArticleSettings,
    FullTextMode,
    PendingArticle,
    PendingItem,
    PendingMatch,
    TimeZone,
)

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
        self, failures: Sequence[tuple[int, int, str]], now: float
    ) -> None:
        """Count article pages of feeds that could not be had, and keep the last reason:
        (feed id, pages, reason) each, in one transaction."""
        async with self._write() as db:
            await db.execute_many(
                "UPDATE feeds SET article_failures = article_failures + ?, article_error = ?, "
                "article_error_at = ? WHERE id = ?",
                [(count, error, now, feed_id) for feed_id, count, error in failures],
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

    async def pending_items(self, item_ids: Sequence[int]) -> dict[int, PendingItem]:
        """The items of these pending articles, as stored, by id (an item matched already, or
        pruned, is left out)."""
        found: dict[int, PendingItem] = {}
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._all(
                "SELECT i.id, i.feed_id, f.name, f.region, coalesce(i.story_id, i.id) AS story_id, "
                "i.title, i.body, p.link FROM pending_articles p JOIN items i ON i.id = p.item_id "
                f"JOIN feeds f ON f.id = i.feed_id WHERE p.item_id IN ({marks})",
                tuple(chunk),
            )
            for row in rows:
                found[int(row["id"])] = PendingItem(
                    item_id=int(row["id"]),
                    feed_id=int(row["feed_id"]),
                    feed_name=row["name"],
                    region=row["region"],
                    story_id=int(row["story_id"]),
                    title=row["title"],
                    teaser=row["body"],
                    link=row["link"],
                )
        return found

    async def due_pending_articles(
        self, now: float, owner: int | None, alive_since: float, limit: int
    ) -> list[PendingArticle]:
        """Pending articles past their budget that no living poller but `owner` is fetching:
        its own, the unowned, and those of a poller stopped or silent since alive_since."""
        rows = await self._all(
            "SELECT p.item_id, i.feed_id, p.link, p.due_at FROM pending_articles p "
            "JOIN items i ON i.id = p.item_id WHERE p.due_at <= :now AND (p.owner IS NULL "
            "OR p.owner = :owner OR NOT EXISTS (SELECT 1 FROM processes r WHERE r.id = p.owner "
            "AND r.stopped_at IS NULL AND r.heartbeat_at >= :alive)) "
            "ORDER BY p.due_at, p.item_id LIMIT :limit",
            {"now": now, "owner": owner, "alive": alive_since, "limit": limit},
        )
        return [
            PendingArticle(int(r["item_id"]), int(r["feed_id"]), r["link"], float(r["due_at"]))
            for r in rows
        ]

    async def match_pending_articles(
        self,
        matches: Sequence[PendingMatch],
        now: float,
        local_hours: Mapping[TimeZone, int] | None = None,
    ) -> int:
        """Queue pending articles' alerts, with their article's text and places if had, and
        take them off the list, in one transaction; the alerts queued (none for an article
        matched already, by this poller or another).

        An article whose text the database refuses with its search words is stored without
        them, and if still refused left out (the item keeps its teaser): its alerts go all the
        same, and the others' are never held up by it.
        """
        hours = {zone: 12 for zone in TimeZone} | dict(local_hours or {})
        had = [match for match in matches if match.body is not None]
        documents = await self.dialect.search_documents([(m.title, str(m.body)) for m in had])
        words = {match.item_id: doc for match, doc in zip(had, documents, strict=True)}
        try:
            return await self._match_pending(matches, words, hours, now)
        except DATA_ERRORS:
            pass  # rolled back whole: each article alone now
        queued = 0
        for match in matches:
            for document in (words.get(match.item_id), NO_DOCUMENT):
                try:
                    queued += await self._match_pending([match], {match.item_id: document},
                                                        hours, now)  # fmt: skip
                    break
                except DATA_ERRORS:
                    continue
            else:
                queued += await self._match_pending([replace(match, body=None)], {}, hours, now)
        return queued

    async def _match_pending(
        self,
        matches: Sequence[PendingMatch],
        words: Mapping[int, str | None],
        hours: Mapping[TimeZone, int],
        now: float,
    ) -> int:
        ids = [match.item_id for match in matches]
        async with self._write() as db:
            taken = {
                int(row["item_id"])
                for row in await db.fetch_all(
                    "DELETE FROM pending_articles WHERE item_id IN "
                    f"({','.join('?' * len(ids))}) RETURNING item_id",
                    ids,
                )
            }
            # Matched already (by another poller's sweep, say): nothing more of these.
            mine = [match for match in matches if match.item_id in taken]
            bodies = [(m.body, words.get(m.item_id), m.item_id) for m in mine if m.body is not None]
            if bodies:
                await db.execute_many(self.dialect.set_body, bodies)
            # Located once, here: on its article if had, or else on its teaser.
            places = [(m.item_id, code) for m in mine for code in m.places]
            await insert_rows(db, "item_places (item_id, place_code)", places)
            fans = [(m.item_id, m.story_id, m.alerts) for m in mine]
            return await queue_alerts_of(db, fans, now, hours)
