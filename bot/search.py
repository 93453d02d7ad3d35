"""Search stored items: full-text candidates, confirmed by the same matcher as alerts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.fts import fts_query
from bot.matching import TopicQuery, prepare_document
from storage import Storage
from storage.models import Item

# Candidates checked per round, newest first: most searches are done after the first round,
# and fetching an item costs more than finding it. At most 400 are checked in all.
ROUNDS = (20, 80, 300)


class NewsSearch:
    """Finds the newest stored items that topics match."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def latest(self, queries: Sequence[TopicQuery], limit: int = 5) -> list[Item]:
        """The newest items that any of the queries matches."""
        expression = fts_query(queries)
        if expression is None:
            return []
        found: list[Item] = []
        before_id: int | None = None
        for size in ROUNDS:
            candidates = await self._storage.search_items(expression, size, before_id=before_id)
            for item, body in candidates:
                document = prepare_document(item.title, body)
                if any(query.matches(document) for query in queries):
                    found.append(item)
                    if len(found) == limit:
                        return found
            if len(candidates) < size:
                break
            before_id = candidates[-1][0].id
        return found
