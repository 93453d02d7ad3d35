"""/latest finds the newest matches wherever they are: among the newest items or far behind."""

from __future__ import annotations

from bot.matching import parse_topic
from bot.topics.search import NewsSearch
from storage import Storage
from storage.models import FeedSeed, NewItem
from storage.postgres import NEWEST_ROWS_FIRST

NOW = 1_800_000_000.0
# Items older than the newest ones a PostgreSQL search reads one by one before its index.
OLDER = NEWEST_ROWS_FIRST + 200


def news(number: int) -> tuple[str, str]:
    """Every item says something common; every 97th also a rare word, every 300th a rare phrase."""
    title = f"Warga Serang bersiap menghadapi musim hujan {number}"
    extra = []
    if number % 97 == 0:
        extra.append("tsunami")
    if number % 300 == 0:
        extra.append("pasar murah")
    return title, " ".join(["Pemerintah daerah meminta warga waspada", *extra])


async def test_rare_and_common_words_find_the_newest_matches_at_any_depth(
    storage: Storage,
) -> None:
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/feed", "ANTARA Banten", "Banten")])
    (feed,) = await storage.list_feeds()
    texts = [news(n) for n in range(OLDER + 300)]
    items = [
        NewItem(f"urn:{n}", title, title, body, f"https://berita.example/{n}", NOW)
        for n, (title, body) in enumerate(texts)
    ]
    await storage.store_items(feed.id, items, NOW)
    search = NewsSearch(storage, budget=60)
    for topic, expected in (
        ("Serang", list(range(len(texts)))[-5:]),
        ("tsunami", [n for n in range(len(texts)) if n % 97 == 0][-5:]),
        ("pasar murah", [n for n in range(len(texts)) if n % 300 == 0][-5:]),
        ("tsunami AND pasar", [n for n in range(len(texts)) if n % (97 * 300) == 0][-5:]),
    ):
        found = (await search.latest([parse_topic(topic)])).items
        assert [item.title for item in found] == [texts[n][0] for n in reversed(expected)], topic
