"""Search stored items: full-text candidates, confirmed by the same matcher as alerts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.matching import TopicQuery, prepare_document
from storage import Storage
from storage.models import Item

CANDIDATES = 400
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(queries: Sequence[TopicQuery]) -> str | None:
    """An FTS5 query that every item matching any of the topics satisfies (a superset)."""
    alternatives = []
    for query in queries:
        for phrase in [*query.phrases(), *query.also_covers()]:
            words = _WORD.findall(phrase.casefold())
            if words:
                # Prefix terms let "Jakarta" find "Jakartanya"; the matcher decides afterwards.
                alternatives.append(" AND ".join(f'"{word}"*' for word in words))
    if not alternatives:
        return None
    return " OR ".join(f"({alternative})" for alternative in dict.fromkeys(alternatives))


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
        for item, body in await self._storage.search_items(expression, CANDIDATES):
            document = prepare_document(item.title, body)
            if any(query.matches(document) for query in queries):
                found.append(item)
                if len(found) == limit:
                    break
        return found
