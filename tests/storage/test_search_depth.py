"""/latest finds the newest matches wherever they are: among the newest items or far behind."""

from __future__ import annotations

import pytest

from bot.matching import parse_topic
from bot.topics.search import NewsSearch
from storage import Storage, postgres
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


async def test_matches_spread_thinly_behind_the_newest_are_found_newest_first(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A million items' proportions at a test's size: PostgreSQL reads the 50 newest items one by
    # one before it looks further back, and a topic matching every 10th item is then looked for
    # in windows of older ids (its matches too many for one pass of the index, too few to read
    # every item): the 20 newest stories take the five among the newest 50 and 15 from behind.
    monkeypatch.setattr(postgres, "NEWEST_ROWS_FIRST", 50)
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/feed", "ANTARA Banten", "Banten")])
    (feed,) = await storage.list_feeds()
    total = 3_000
    flooded = [n for n in range(total) if n % 10 == 0]
    items = [
        NewItem(
            f"urn:{n}",
            f"{'Banjir merendam' if n in flooded else 'Warga membersihkan'} Serang {n}",
            "Pemerintah daerah meminta warga waspada",
            "",
            f"https://berita.example/{n}",
            NOW + n,
        )
        for n in range(total)
    ]
    await storage.store_items(feed.id, items, NOW + total)
    search = NewsSearch(storage, budget=60)
    found = await search.latest([parse_topic("banjir")], limit=20)
    assert [item.title for item in found.items] == [
        f"Banjir merendam Serang {n}" for n in reversed(flooded[-20:])
    ]
