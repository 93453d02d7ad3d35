"""PostgreSQL's full-text search finds the items SQLite's FTS5 finds, on the same data: the
same ones, but for phrases of three or more words, where it may find a few more."""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds.poller import MAX_BODY_CHARS
from bot.matching import parse_topic
from bot.matching.fts import candidate_query
from bot.matching.normalize import NOT_CLITIC, stem_chain
from storage.fulltext import (
    CLITICS,
    MAX_LEXEME_BYTES,
    NO_MATCH,
    _lexeme,
    fts5_expression,
    index_text,
    index_word,
    search_document,
    tsquery,
    words,
)
from tests.postgres import PostgresServer

# Indonesian news as feeds write it: accents, clitics, abbreviations, numbers, punctuation,
# addresses, other scripts; some words end the title and start the body.
ITEMS = (
    ("Banjir bandang terjang Garut, 1.000 warga mengungsi", "Rumah warga rusak berat."),
    ("Banjirnya surut, warga Serang kembali ke rumah", "Banjir merendam 3 kecamatan."),
    ("Warga Bogor waspada banjir", "Bandang datang dari hulu sungai Ciliwung."),
    ("BANJIR BANDANG di Sukabumi", "Tim SAR gabungan dikerahkan sejak pukul 04.30 WIB."),
    ("Gempa M5,6 guncang Cianjur", "BMKG: gempa tidak berpotensi tsunami; warga diimbau tenang."),
    ("Longsor tutup jalan Puncak–Cianjur", "Jalan rusak, kendaraan dialihkan ke jalur alternatif."),
    ("Café di Jakarta tutup", "Pemiliknya, Señor García, menutup kafé itu sejak Jum'at."),
    ("Korea Utara luncurkan rudal", "Korut menembakkan rudal-rudal balistik ke Laut Jepang."),
    ("Harga BBM naik", "Pertalite Rp10.000/liter mulai 1-9-2024; cek https://mypertamina.id."),
    (
        "Covid-19: kasus naik",
        "Kemenkes mencatat 2.345 kasus COVID19 baru; hubungi info@kemkes.go.id",
    ),
    ("Pemilu 2024 berjalan lancar", "KPU: partisipasi 81,78%. Pemilunya berlangsung damai."),
    ("Rumahnyapun hanyut terbawa arus", "Korban banjirpun terus bertambah di Demak."),
    ("Ukraina dan Rusia berunding", "Perundingan di Istanbul (İstanbul) berlangsung alot."),
    ("日本 dan Indonesia teken kerja sama", "Kerja sama senilai ¥5 miliar 🤝 ditandatangani."),
    ("Video viral: banjir 🤣 bandang", "Warga Ciamis mengungsi."),
    ("Banjir 🌊 bandang di Ciamis", "Video viral."),
    ("Tiket KRL naik", "Commuter_Line menyesuaikan tarif; e-KTP wajib dibawa."),
    ("Banjir", "bandang"),
    (
        "Kurs 1e5 12ab34 0x1f 007 9e99 1,5e3",
        "Kode B-52, v2.0.1, C:\\data\\banjir.txt, <b>banjir</b>",
    ),
    ("", "Hanya isi berita tanpa judul: banjir bandang lagi."),
    ("Judul tanpa isi: gempa susulan", ""),
    ("Ṭhe ﬁrst ǅupa ß Ǡ ǡ ĳ", "µ ς σ ſ ᏸ Ᏸ 𐐀 ﬀ e\u0301 \u0301x"),  # noqa: RUF001
    ("Banjir di Bekasi", "banjir " + "e" * 3000 + " bandang"),
    (
        "Berita panjang",
        " ".join(f"kata{n}" for n in range(1000))[: MAX_BODY_CHARS - 15] + " banjir bandang",
    ),
)
TOPICS = (
    "banjir",
    "banjir bandang",
    "Banjir AND Serang",
    "(banjir OR longsor) AND Bogor",
    "Korea Utara",
    "rudal",
    "rumah",
    "gempa OR rudal",
    "Ukraina -Rusia",
    "jalan rusak",
    "Covid-19",
    "covid19",
    "BBM",
    "kafe",
    "Jumat",
    "istanbul",
    "pemilu",
    "e-KTP",
    "10.000",
    "Ciamis bandang",
    "bandang",
)


@dataclass(frozen=True, slots=True)
class Engines:
    """The same items in an SQLite FTS5 table and in a PostgreSQL tsvector column."""

    sqlite: sqlite3.Connection
    postgres: psycopg.Connection[tuple[Any, ...]]

    def sqlite_ids(self, expression: str) -> set[int]:
        """Items FTS5 finds for an expression."""
        rows = self.sqlite.execute(
            "SELECT rowid FROM items_fts WHERE items_fts MATCH ?", (fts5_expression(expression),)
        ).fetchall()
        return {row[0] for row in rows}

    def postgres_ids(self, expression: str) -> set[int]:
        """Items PostgreSQL finds for the same expression."""
        rows = self.postgres.execute(
            "SELECT id FROM items WHERE search @@ CAST(%s AS tsquery)", (tsquery(expression),)
        ).fetchall()
        return {row[0] for row in rows}


def _migration_statements() -> list[str]:
    """The FTS5 table and its insert trigger, exactly as the migration to the index's words
    writes them."""
    folder = resources.files("storage") / "migrations" / "sqlite"
    sql = (folder / "0026_search_words.sql").read_text()
    patterns = (
        r"CREATE VIRTUAL TABLE items_fts .*?\);",
        r"CREATE TRIGGER items_fts_insert .*?END;",
    )
    return [re.search(pattern, sql, re.DOTALL)[0] for pattern in patterns]  # type: ignore[index]


@pytest.fixture(scope="module")
def engines(postgres: PostgresServer) -> Iterator[Engines]:
    """ITEMS stored in both engines, for the whole module."""
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, search_words TEXT)")
    for statement in _migration_statements():
        lite.execute(statement)
    numbered = [(n, title, body) for n, (title, body) in enumerate(ITEMS, start=1)]
    lite.executemany(
        "INSERT INTO items (id, search_words) VALUES (?, ?)",
        [(n, index_text(title, body)) for n, title, body in numbered],
    )
    url = postgres.create_database()
    try:
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("CREATE TABLE items (id bigint PRIMARY KEY, search tsvector NOT NULL)")
            pg.execute("CREATE INDEX items_search ON items USING gin (search)")
            with pg.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO items VALUES (%s, CAST(%s AS tsvector))",
                    [(n, search_document(title, body)) for n, title, body in numbered],
                )
            yield Engines(lite, pg)
    finally:
        lite.close()
        postgres.drop_database(url)


# Words: FTS5 reads them with unicode61 and remove_diacritics 2.


def test_words_are_folded_without_accents() -> None:
    assert words("Banjirnya SURUT, Café «Señor» İstanbul") == [
        "banjirnya",
        "surut",
        "cafe",
        "senor",
        "istanbul",
    ]


def test_punctuation_digits_and_underscores_separate_words() -> None:
    assert words("Rp10.000 e-KTP Jum'at commuter_line covid19 info@kemkes.go.id") == [
        "rp10",
        "000",
        "e",
        "ktp",
        "jum",
        "at",
        "commuter",
        "line",
        "covid19",
        "info",
        "kemkes",
        "go",
        "id",
    ]


def test_folding_follows_unicode_6_1_as_fts5_does() -> None:
    # "ß" and "ﬁ" are not expanded, final sigma is folded, Cherokee's newer pairs stay apart.
    assert words("ß ﬁ Σ ς ᏸ Ᏸ 𐐀") == ["ß", "ﬁ", "\u03c3", "\u03c3", "ᏸ", "Ᏸ", "𐐨"]


def test_combining_accents_continue_a_word_but_never_start_one() -> None:
    assert words("e\u0301 \u0301x") == ["e", "x"]


def test_emoji_newer_than_unicode_6_1_are_words_as_in_fts5() -> None:
    # 🤝 came in Unicode 9 (unassigned in 6.1: a word to FTS5); 🌊 and ☔ are 6.1 symbols.
    assert words("banjir 🤝 bandang 🌊 ☔") == ["banjir", "🤝", "bandang"]


def _fts5_words(db: sqlite3.Connection) -> dict[int, list[str]]:
    """The words FTS5 indexed, per row, in order."""
    found: dict[int, list[tuple[int, str]]] = {}
    for rowid, offset, term in db.execute("SELECT doc, offset, term FROM vocabulary"):
        found.setdefault(rowid, []).append((offset, term))
    return {rowid: [term for _, term in sorted(terms)] for rowid, terms in found.items()}


def _probes() -> Iterator[int]:
    """Every code point of the BMP, and a sample of the others with all of the table's edges."""
    yield from (code for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)
    yield from range(0x10000, 0x110000, 61)
    yield from range(0x10400, 0x10430)  # Deseret, folded
    yield from range(0x1F300, 0x1F700)  # emoji: some Unicode 6.1 symbols, some newer


def test_every_character_is_read_as_fts5_reads_it() -> None:
    db = sqlite3.connect(":memory:")
    db.execute(
        """CREATE VIRTUAL TABLE t USING fts5(x, tokenize = "unicode61 remove_diacritics 2")"""
    )
    db.execute("CREATE VIRTUAL TABLE vocabulary USING fts5vocab(t, instance)")
    probes = sorted(set(_probes()))
    # Each character alone and inside a word: "é aéa", "- a-a".
    documents = [
        " ".join(f"{chr(code)} a{chr(code)}a" for code in probes[start : start + 500])
        for start in range(0, len(probes), 500)
    ]
    db.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(documents, start=1))
    indexed = _fts5_words(db)
    for rowid, document in enumerate(documents, start=1):
        assert words(document) == indexed[rowid], document[:40]


# The index's words: without their clitics.


def test_words_are_indexed_without_their_clitics() -> None:
    assert index_text("Banjirnya surut", "Rumahnyapun, masalahnya; dinya") == (
        "banjir surut\nrumah masa dinya"
    )


_STEMS = st.sampled_from(sorted(NOT_CLITIC)) | st.text("aiklnpuy", max_size=6)


@given(stem=_STEMS, clitics=st.lists(st.sampled_from(CLITICS), max_size=3))
def test_the_index_strips_whatever_the_matcher_strips(stem: str, clitics: list[str]) -> None:
    # The matcher takes a word for each of its stems (bot/matching/normalize.py): each of them
    # must be the word the index holds, or a search would miss what an alert finds.
    word = stem + "".join(clitics)
    assert {index_word(form) for form in stem_chain(word)} == {index_word(word)}


def test_both_engines_find_a_word_in_its_clitic_forms(engines: Engines) -> None:
    banjir = engines.sqlite_ids('"banjir"')
    assert banjir == engines.postgres_ids('"banjir"')
    # "Banjirnya surut", "Korban banjirpun": the word itself is not in them.
    assert {2, 12} <= banjir
    assert engines.sqlite_ids('"rumah"') >= {12}


# The document PostgreSQL indexes.


def lexemes(document: str) -> dict[str, list[int]]:
    """The lexemes of a search document and their positions, read as a tsvector's text."""
    found = re.findall(r"'((?:[^']|'')*)':([\d,]+)", document)
    return {lexeme.replace("''", "'"): [int(p) for p in at.split(",")] for lexeme, at in found}


def test_document_keeps_ascii_words_spells_others_as_code_points_and_pairs_them() -> None:
    assert lexemes(search_document("Banjir di Café", "日本 🤝")) == {
        "banjir": [1],
        "di": [2],
        "banjir+di": [1],
        "cafe": [3],
        "di+cafe": [2],
        # Position 4 is left out: no pair, no phrase spans title and body.
        "0.26085.26412": [5],
        "0.129309": [6],
        "0.26085.26412+0.129309": [5],
    }


def test_words_too_long_for_postgresql_are_cut() -> None:
    found = lexemes(search_document("ж" * 5000, "a" * 5000))
    assert "a" * MAX_LEXEME_BYTES in found
    (long_other,) = [lexeme for lexeme in found if lexeme.startswith("0.1078.1078.")]
    assert len(long_other) <= MAX_LEXEME_BYTES
    assert all(len(lexeme.encode()) <= MAX_LEXEME_BYTES for lexeme in found)


def test_postgresql_indexes_exactly_these_words_at_these_positions(
    engines: Engines,
) -> None:
    for title, body in ITEMS:
        _assert_indexed_as_written(engines.postgres, title, body)


@settings(max_examples=100, deadline=None)
@given(title=st.text(max_size=40), body=st.text(max_size=80))
def test_postgresql_indexes_any_text_as_written(engines: Engines, title: str, body: str) -> None:
    _assert_indexed_as_written(engines.postgres, title, body)


def _assert_indexed_as_written(
    pg: psycopg.Connection[tuple[Any, ...]], title: str, body: str
) -> None:
    # Title words at 1, 2, ...; one position left out; the body's words; each adjacent pair of
    # a part at its first word's position.
    expected: dict[str, list[int]] = {}
    start = 0
    for part in (title, body):
        found = [_lexeme(index_word(word)) for word in words(part)]
        for offset, lexeme in enumerate(found, start=start + 1):
            expected.setdefault(lexeme, []).append(offset)
        for offset, pair in enumerate(itertools.pairwise(found), start=start + 1):
            expected.setdefault("+".join(pair)[:MAX_LEXEME_BYTES], []).append(offset)
        start += len(found) + 1
    rows = pg.execute(
        "SELECT lexeme, positions FROM unnest(CAST(%s AS tsvector))",
        (search_document(title, body),),
    ).fetchall()
    indexed = {str(lexeme): list(positions) for lexeme, positions in rows}
    assert indexed == {lexeme: sorted(set(at)) for lexeme, at in expected.items()}


# Search expressions.


def test_expression_becomes_phrases_ands_and_ors() -> None:
    expression = '"banjir bandang" OR ("Banjirnya" AND "Café") OR "gempa"'
    assert tsquery(expression) == "('banjir+bandang' | ('banjir' & 'cafe') | 'gempa')"


def test_a_longer_phrase_asks_for_its_pairs_in_any_order() -> None:
    # Their order too would make the GIN index read every item holding any of the words.
    assert tsquery('"korea utara hari ini"') == "('korea+utara' & 'utara+hari' & 'hari+ini')"


def test_a_prefix_asks_for_every_word_it_begins() -> None:
    assert tsquery('"kirim"* OR ("a" AND "pengiriman"*)') == "('kirim':* | ('a' & 'pengiriman':*))"


def test_and_binds_tighter_than_or() -> None:
    assert tsquery('"a" OR "b" AND "c" OR "d"') == "('a' | ('b' & 'c') | 'd')"


@pytest.mark.parametrize(
    ("word", "query"),
    [
        ("it's", "('banjir' & 'it+s')"),
        ("a:b", "('banjir' & 'a+b')"),
        ("a:*", "('banjir' & 'a')"),
        ("x&y|z", "('banjir' & ('x+y' & 'y+z'))"),
        ("!(x)", "('banjir' & 'x')"),
        ("a\\b", "('banjir' & 'a+b')"),
        ('say "hi"', "('banjir' & 'say+hi')"),
        ("1.000", "('banjir' & '1+000')"),
        ("<->", NO_MATCH),
        ("'", NO_MATCH),
    ],
)
def test_no_word_changes_the_query_around_it(engines: Engines, word: str, query: str) -> None:
    expression = '"banjir" AND "' + word.replace('"', '""') + '"'
    assert tsquery(expression) == query
    assert_postgresql_finds_what_fts5_finds(engines, expression)


def test_a_phrase_without_words_matches_nothing_as_in_fts5() -> None:
    assert tsquery('"banjir" OR "-"') == "'banjir'"
    assert tsquery('"banjir" AND "-"') == NO_MATCH
    assert tsquery('""') == NO_MATCH
    assert tsquery('("" OR "—") AND "x"') == NO_MATCH


@pytest.mark.parametrize("expression", ["", "banjir", '"a" AND', '("a"', '"a")', '"a" NOT "b"'])
def test_what_fts_py_does_not_write_is_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="FTS5 expression"):
        tsquery(expression)


# Both engines, the same answers.

_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def assert_postgresql_finds_what_fts5_finds(engines: Engines, expression: str) -> None:
    """Every item FTS5 finds; no other unless the expression has a phrase of three words or
    more (asked as its pairs, in any order)."""
    fts5, postgresql = engines.sqlite_ids(expression), engines.postgres_ids(expression)
    assert fts5 <= postgresql
    if all(len(words(quoted.replace('""', '"'))) < 3 for quoted in _QUOTED.findall(expression)):
        assert postgresql == fts5


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_finds_the_same_items_in_both_engines(engines: Engines, topic: str) -> None:
    query = candidate_query([parse_topic(topic)])
    assert query is not None
    assert query.expression is not None
    assert_postgresql_finds_what_fts5_finds(engines, query.expression)


def test_topics_together_and_coarser_find_the_same_items(engines: Engines) -> None:
    topics = [parse_topic(topic) for topic in TOPICS]
    # The smallest budget is just above what the coarsest query of these topics costs.
    for max_terms in (2_000, 1_000, 900):
        query = candidate_query(topics, max_terms=max_terms)
        assert query is not None
        assert query.expression is not None
        assert_postgresql_finds_what_fts5_finds(engines, query.expression)


def test_the_data_exercises_phrases_boundaries_and_long_bodies(engines: Engines) -> None:
    # Guards the comparisons above against a corpus that no longer tests anything.
    ids = engines.postgres_ids('"banjir bandang"')
    assert ids == engines.sqlite_ids('"banjir bandang"')
    title_ends_body_starts = ITEMS.index(("Banjir", "bandang")) + 1
    across_a_word = ITEMS.index(("Video viral: banjir 🤣 bandang", "Warga Ciamis mengungsi.")) + 1
    across_a_symbol = ITEMS.index(("Banjir 🌊 bandang di Ciamis", "Video viral.")) + 1
    longest = len(ITEMS)
    assert {1, 4, across_a_symbol, longest} <= ids
    assert title_ends_body_starts not in ids
    assert across_a_word not in ids
    assert engines.postgres_ids('"' + "e" * 3000 + '"') == {longest - 1}


_VOCABULARY = sorted({word for title, body in ITEMS[:-2] for word in (title + " " + body).split()})
_WORD = st.sampled_from(_VOCABULARY) | st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6
)
_TERM = st.lists(_WORD, max_size=3).map(
    lambda chosen: '"' + " ".join(chosen).replace('"', '""') + '"'
)
_OPERATOR = st.sampled_from([" AND ", " OR "])
_GROUP = st.recursive(
    _TERM,
    lambda inner: st.tuples(st.lists(inner, min_size=2, max_size=3), _OPERATOR).map(
        lambda parts: "(" + parts[1].join(parts[0]) + ")"
    ),
    max_leaves=6,
)
_EXPRESSION = st.tuples(_GROUP, st.lists(st.tuples(_OPERATOR, _GROUP), max_size=3)).map(
    lambda parts: parts[0] + "".join(operator + group for operator, group in parts[1])
)


@settings(max_examples=100, deadline=None)
@given(expression=_EXPRESSION)
def test_any_expression_finds_the_same_items_in_both_engines(
    engines: Engines, expression: str
) -> None:
    assert_postgresql_finds_what_fts5_finds(engines, expression)
