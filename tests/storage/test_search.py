"""/latest's search: the same verdicts as the alerts' matcher, at a cost that does not grow."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest

from bot.matching import parse_topic, prepare_document
from bot.matching.fts import MAX_TERMS, CandidateQuery, candidate_query, fts_query, term_count
from bot.topics.search import NewsSearch
from storage import Storage
from storage.migrate import migration_scripts
from storage.models import FeedSeed, NewItem

# What a search finds, not how fast: a busy machine must not stop one at its time budget.
UNHURRIED = 120.0

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
    search = NewsSearch(storage, budget=UNHURRIED)
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
    search = NewsSearch(storage, budget=UNHURRIED)
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


# Names with their usual other spellings (up to 16 a name): even at one term a word, phrases of
# them ask for thousands of terms.
_NAMES = ("Soeharto", "Soekarno", "Djokja", "Tjilegon", "Cilegon", "Sukabumi")


def _rotations(words: tuple[str, ...], joiner: str) -> list[str]:
    return [joiner.join(words[n:] + words[:n]) for n in range(len(words))]


# Topics as long as a reader may write them (60 characters): long phrases, long OR lists,
# the same word repeated. The phrases ask for thousands of terms at full precision; the OR lists,
# with each word one term whatever its clitics, fit.
WORST_CASE = {
    "long phrases": [
        *_rotations(_NAMES, " "),
        *_rotations(_NAMES[::-1], " "),
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


@pytest.mark.parametrize(("case", "over"), [("long phrases", True), ("long OR lists", False)])
async def test_worst_case_topics_make_a_bounded_query_and_find_the_same(
    storage: Storage, case: str, over: bool
) -> None:
    queries = [parse_topic(topic) for topic in WORST_CASE[case]]
    exact = fts_query(queries)
    assert exact is not None
    assert (term_count(exact) > MAX_TERMS) == over
    bounded = candidate_query(queries)
    assert bounded is not None
    assert bounded.exact == (not over)
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
    found = await NewsSearch(storage, budget=UNHURRIED).latest(queries, limit=len(texts))
    assert found.complete
    assert [item.title for item in found.items] == expected
    # And five, as /latest asks.
    five = await NewsSearch(storage, budget=UNHURRIED).latest(queries)
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
    found = await NewsSearch(storage, budget=UNHURRIED).latest(queries, limit=len(texts))
    assert [item.title for item in found.items][:2] == ["Ia menulis", "Pengirimannya tertunda"]


async def test_ordinary_topics_keep_their_exact_query(storage: Storage) -> None:
    queries = [parse_topic(topic) for topic in TOPICS]
    bounded = candidate_query(queries)
    assert bounded is not None
    # Their finest query, each word and each of its forms one exact term: a word with many
    # forms ("rumah") is searched as a topic without forms is.
    assert bounded == CandidateQuery(fts_query(queries), exact=True)
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


async def test_a_word_is_found_with_any_number_of_clitics(storage: Storage) -> None:
    # The matcher strips clitics one after another, as many as there are; the search must let
    # every such item through, whatever form of the topic word carries them.
    texts = [
        *sentences(50, seed=13),
        ("Gempanyapunlah terasa hingga Serang", ""),
        ("Pengirimannyapun tertunda", ""),
        ("Warga: Soehartonyalah yang datang", ""),
    ]
    await store(storage, texts)
    for topic in ("gempa", "kirim", "Suharto"):
        query = parse_topic(topic)
        expected = [
            title for title, body in reversed(texts) if query.matches(prepare_document(title, body))
        ]
        found = await NewsSearch(storage, budget=UNHURRIED).latest([query], limit=len(texts))
        assert [item.title for item in found.items] == expected, topic
        assert any(title in expected for title, _ in texts[-3:]), topic


# An item as a Warta before migration 0026 stored it: its search words had their clitics on.
_OLD_ITEM = (1, "urn:old", "Banjirnya surut di Serang", "", "Rumahnyapun kering", "https://x.id/1")


async def test_items_stored_before_the_index_held_stripped_words_are_found(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        for version, script in migration_scripts("sqlite"):
            if version < 26:
                db.executescript(script)
                db.execute(f"PRAGMA user_version = {version}")
        _add_old_rows(db)
    db.close()  # the context manager only commits
    await _assert_old_item_found(Storage(path))


async def test_postgresql_items_stored_before_the_index_held_stripped_words_are_found(
    empty_postgres_url: str,
) -> None:
    with psycopg.connect(empty_postgres_url, autocommit=True) as db:
        db.execute("CREATE TABLE warta_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO warta_schema (version) VALUES (0)")
        for version, script in migration_scripts("postgresql"):
            if version < 26:
                db.execute(cast(Any, script))
                db.execute("UPDATE warta_schema SET version = %s", (version,))
        db.execute("INSERT INTO feeds (url, name) VALUES ('http://127.0.0.1/feed', 'ANTARA')")
        db.execute(
            "INSERT INTO items (feed_id, identity, title, summary, body, link, fetched_at, "
            "search) VALUES (%s, %s, %s, %s, %s, %s, 0, "
            "'''banjirnya'':1 ''surut'':2 ''di'':3 ''serang'':4 ''rumahnyapun'':6 "
            "''banjirnya+surut'':1 ''surut+di'':2 ''di+serang'':3')",
            _OLD_ITEM,
        )
    await _assert_old_item_found(Storage(empty_postgres_url))


def _add_old_rows(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO feeds (url, name) VALUES ('http://127.0.0.1/feed', 'ANTARA')")
    db.execute(
        "INSERT INTO items (feed_id, identity, title, summary, body, link, fetched_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 0)",
        _OLD_ITEM,
    )


async def _assert_old_item_found(storage: Storage) -> None:
    await storage.open()
    try:
        search = NewsSearch(storage, budget=UNHURRIED)
        for topic in ("banjir", "rumah", "banjir surut", "Serang"):
            found = await search.latest([parse_topic(topic)])
            assert [item.title for item in found.items] == [_OLD_ITEM[2]], topic
    finally:
        await storage.close()
