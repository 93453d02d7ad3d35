"""/latest's search: the same verdicts as the alerts' matcher, at a cost that does not grow."""

from __future__ import annotations

import random

import pytest

from bot.matching import parse_topic, prepare_document
from bot.matching.fts import MAX_TERMS, CandidateQuery, candidate_query, fts_query, term_count
from bot.topics.search import NewsSearch
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
async def storage(storage: Storage) -> Storage:
    """The suite's database, with one feed."""
    await storage.sync_feeds([FeedSeed("http://127.0.0.1/feed", "ANTARA Banten", "Banten")])
    return storage


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
        found = [item.title for item in (await search.latest([query])).items]
        assert found == expected, topic


async def titles(search: NewsSearch, *topics: str) -> list[str]:
    return [item.title for item in (await search.latest(list(map(parse_topic, topics)))).items]


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
    assert await titles(search, "rumah") == ["Rumahnyapun hanyut"]
    assert await titles(search, "banjir Serang") == ["Warga: banjir Serangnya parah"]


async def test_the_cost_of_a_search_does_not_grow_with_older_matches(storage: Storage) -> None:
    async def steps_for_one_search(older_matches: int, batch: str) -> int:
        texts = [(f"Banjir Serang hari ke-{n}", "") for n in range(older_matches)]
        await store(storage, texts, batch)
        counted = 0

        def count() -> float:
            # The search asks the time every few SQLite steps, and once per candidate.
            nonlocal counted
            counted += 1
            return 0.0

        storage.search_check_steps = 100
        await NewsSearch(storage, clock=count).latest([parse_topic("banjir Serang")])
        return counted

    few = await steps_for_one_search(100, "few")
    many = await steps_for_one_search(3000, "many")
    # Thirty times the matches: a search that sorted them all would take about ten times the
    # steps; reading the index newest first, only its larger size costs a little more.
    assert many < 4 * few


# Topics as long as a reader may write them (60 characters): long phrases, long OR lists,
# the same word repeated. Together each set asks for thousands of terms at full precision.
WORST_CASE = {
    "long phrases": [
        "Korea Utara rudal rumah Bogor longsor gempa Rusia Ukraina",
        "banjir Serang merendam rumah warga di jalan rusak Bogor",
        "warga di Serang banjir Korea Utara rudal jalan rusak gempa",
        "rumah warga di jalan rusak banjir Serang",
        "banjir banjir banjir banjir banjir banjir banjir banjir",
        "Serang Serang Serang Serang Serang Serang Serang Serang",
        *(" ".join(f"{c}{c}{chr(97 + n)}" for n in range(15)) for c in "cdefgh"),
    ],
    "long OR lists": [
        "banjir|Bogor|gempa|longsor|rudal|Rusia|Ukraina|rumah|jalan",
        *("|".join(f"{c}{c}{chr(97 + n)}" for n in range(15)) for c in "cdefghijklmnopqrs"),
        "rudal-rudal OR Korut",
        "Serang -banjir",
    ],
}


@pytest.mark.parametrize("case", WORST_CASE)
async def test_worst_case_topics_make_a_bounded_query_and_find_the_same(
    storage: Storage, case: str
) -> None:
    queries = [parse_topic(topic) for topic in WORST_CASE[case]]
    exact = fts_query(queries)
    assert exact is not None
    assert term_count(exact) > MAX_TERMS
    bounded = candidate_query(queries)
    assert bounded is not None
    assert not bounded.exact
    assert bounded.expression is None or term_count(bounded.expression) <= MAX_TERMS
    texts = [
        *sentences(300, seed=9),
        ("Korea Utara rudal rumah Bogor longsor gempa Rusia Ukraina", "warga"),
        ("Rusia Ukraina gempa longsor Bogor rumah rudal Korea Utara", "the same words, shuffled"),
        ("Rumah warga di jalan rusak: banjir Serangnya", ""),
        ("Rumahnya warga di jalannya rusaknya banjirnya Serang", "clitics everywhere"),
        *sentences(100, seed=10),
    ]
    await store(storage, texts)
    expected = [
        title
        for title, body in reversed(texts)
        if any(query.matches(prepare_document(title, body)) for query in queries)
    ]
    found = await NewsSearch(storage).latest(queries, limit=len(texts))
    assert found.complete
    assert [item.title for item in found.items] == expected
    # And five, as /latest asks.
    five = await NewsSearch(storage).latest(queries)
    assert [item.title for item in five.items] == expected[:5]


async def test_twenty_topics_with_their_word_forms_keep_a_query(storage: Storage) -> None:
    words = "kirim tulis pakai bangun jual beli bayar tanam ajar dukung periksa lapor tangkap sita"
    queries = [parse_topic(word) for word in words.split()]
    bounded = candidate_query(queries)
    assert bounded is not None
    assert bounded.expression is not None
    assert term_count(bounded.expression) <= MAX_TERMS
    texts = [*sentences(200, seed=12), ("Pengirimannya tertunda", ""), ("Ia menulis", "")]
    await store(storage, texts)
    found = await NewsSearch(storage).latest(queries, limit=len(texts))
    assert [item.title for item in found.items][:2] == ["Ia menulis", "Pengirimannya tertunda"]


async def test_ordinary_topics_keep_their_exact_query(storage: Storage) -> None:
    queries = [parse_topic(topic) for topic in TOPICS]
    bounded = candidate_query(queries)
    assert bounded is not None
    # Their finest query; a word with many forms ("rumah") is in it by prefixes, which let
    # through other words too, so it is searched as deep as a coarser one.
    assert bounded.expression == fts_query(queries)
    assert not bounded.exact
    assert candidate_query([parse_topic("Korea Utara OR =banjir")]) == CandidateQuery(
        fts_query([parse_topic("Korea Utara OR =banjir")]), exact=True
    )


@pytest.mark.parametrize("max_terms", [MAX_TERMS, 100, 30, 0])
async def test_every_coarser_query_lets_through_every_match(
    storage: Storage, max_terms: int
) -> None:
    texts = [
        *sentences(300, seed=11),
        ("Rumahnya warga di jalannya rusaknya banjirnya Serang", ""),
        ("Banjirnya Serangnya parah, rudal-rudal Korut", ""),
        ("Pengirimannya tertunda, kata Suharto", "bantuan dikirimkan besok"),
    ]
    await store(storage, texts)
    topics = [
        *TOPICS,
        *WORST_CASE["long phrases"][:4],
        "Korea Utara OR rumah -Bogor",
        "kirim AND Soeharto",
        '"bantuan kirim"',
    ]
    for topic in topics:
        query = parse_topic(topic)
        bounded = candidate_query([query], max_terms)
        assert bounded is not None
        candidates = await storage.search_items(bounded.expression, len(texts))
        matching = {
            (title, body) for title, body in texts if query.matches(prepare_document(title, body))
        }
        assert matching <= {(item.title, body) for item, body in candidates}, topic
