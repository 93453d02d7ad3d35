"""/latest's search: the same verdicts as the alerts' matcher, at a cost that does not grow."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.matching import parse_topic, prepare_document
from bot.search import NewsSearch
from storage import Storage
from storage.models import FeedSeed, NewItem

NOW = 1_800_000_000.0
# Words with the forms readers meet: clitics, stacked clitics, abbreviations, near misses.
VOCABULARY = (  # noqa: SIM905
    "banjir banjirnya banjirpun banjirnyalah Serang Serangnya serangan diserang merendam "
    "Korea Utara Korut Selatan rudal rudal-rudal rumah rumahnyapun Bogor longsor gempa Rusia "
    "Ukraina warga di dan yang jalan rusak"
).split()
TOPICS = (
    "banjir",
    "banjir Serang",
    "Serang",
    "Korea Utara",
    "rudal",
    "rumah",
    "banjir AND Bogor",
    "banjir + Serang",
    "(banjir OR longsor) AND Bogor",
    "Ukraina -Rusia",
    "gempa OR rudal",
    "jalan rusak",
)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = Storage(tmp_path / "warta.db")
    await store.open()
    await store.sync_feeds([FeedSeed("http://127.0.0.1/feed", "ANTARA Banten", "Banten")])
    yield store
    await store.close()


def sentences(count: int, seed: int) -> list[tuple[str, str]]:
    pick = random.Random(seed)
    made = []
    for _ in range(count):
        title = " ".join(pick.choices(VOCABULARY, k=pick.randint(2, 6)))
        body = " ".join(pick.choices(VOCABULARY, k=pick.randint(0, 12)))
        made.append((title, body))
    return made


async def store(storage: Storage, texts: list[tuple[str, str]], batch: str = "a") -> None:
    (feed,) = await storage.list_feeds()
    items = [
        NewItem(f"urn:{batch}:{n}", title, title, body, f"https://berita.example/{n}", NOW)
        for n, (title, body) in enumerate(texts)
    ]
    await storage.store_items(feed.id, items, NOW)


async def test_search_finds_exactly_what_the_matcher_matches(storage: Storage) -> None:
    texts = sentences(400, seed=5)
    await store(storage, texts)
    search = NewsSearch(storage)
    for topic in TOPICS:
        query = parse_topic(topic)
        expected = [
            title for title, body in reversed(texts) if query.matches(prepare_document(title, body))
        ][:5]
        found = [item.title for item in await search.latest([query])]
        assert found == expected, topic


async def test_words_with_clitics_are_found(storage: Storage) -> None:
    await store(
        storage,
        [
            ("Banjirnyalah yang merendam Serang", ""),
            ("Rumahnyapun hanyut", ""),
            ("Warga: banjir Serangnya parah", ""),
            ("Banjirlah kota", ""),  # a single clitic that is not there for the phrase below
        ],
    )
    search = NewsSearch(storage)
    assert [i.title for i in await search.latest([parse_topic("rumah")])] == ["Rumahnyapun hanyut"]
    assert [i.title for i in await search.latest([parse_topic("banjir Serang")])] == [
        "Warga: banjir Serangnya parah"
    ]


async def test_the_cost_of_a_search_does_not_grow_with_older_matches(storage: Storage) -> None:
    async def steps_for_one_search(older_matches: int, batch: str) -> int:
        texts = [(f"Banjir Serang hari ke-{n}", "") for n in range(older_matches)]
        await store(storage, texts, batch)
        counted = 0

        def count() -> int:
            nonlocal counted
            counted += 1
            return 0  # 0: carry on

        for db in storage.connections:
            await db.set_progress_handler(count, 100)
        await NewsSearch(storage).latest([parse_topic("banjir Serang")])
        for db in storage.connections:
            await db.set_progress_handler(None, 100)
        return counted

    few = await steps_for_one_search(100, "few")
    many = await steps_for_one_search(3000, "many")
    # Thirty times the matches: a search that sorted them all would take about ten times the
    # steps; reading the index newest first, only its larger size costs a little more.
    assert many < 4 * few
