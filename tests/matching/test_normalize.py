"""Normalisation of words shared by topics and items."""

from __future__ import annotations

import pytest

from bot.matching import prepare_document
from bot.matching.abbreviations import build_table, load_table
from bot.matching.normalize import (
    canonical,
    document_tokens,
    fold,
    raw_words,
    stem_chain,
    topic_tokens,
)

MARKED = frozenset({"AS"})


def contains(text: str, phrase: str) -> bool:
    """Tell whether the item text contains the topic phrase."""
    return topic_tokens(phrase, MARKED) in prepare_document("", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Korea  Utara", "korea utara"),
        ("KOREA UTARA!", "korea utara"),
        ("Rusia-Korea Utara", "rusia korea utara"),
        ("Café Société", "cafe societe"),
        ("\uff2a\uff21\uff2b\uff21\uff32\uff34\uff21", "jakarta"),  # full-width letters
        ("Ma'ruf Amin", "ma ruf amin"),
        ("COVID-19 (varian_baru)", "covid 19 varian baru"),
        ("Straße", "strasse"),
        ("“Banjir” — Serang…", "banjir serang"),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_raw_words_keep_case_and_drop_accents() -> None:
    assert raw_words("Presiden AS, José Ramos-Horta") == [
        "Presiden",
        "AS",
        "Jose",
        "Ramos",
        "Horta",
    ]


@pytest.mark.parametrize(
    ("word", "chain"),
    [
        ("jakartanya", ("jakartanya", "jakarta")),
        ("bogorlah", ("bogorlah", "bogor")),
        ("beraskah", ("beraskah", "beras")),
        ("meskipun", ("meskipun", "meski")),
        ("bukunyalah", ("bukunyalah", "bukunya", "buku")),
        ("hanya", ("hanya",)),
        ("kenya", ("kenya",)),
        ("sekolah", ("sekolah",)),
        ("sekolahnya", ("sekolahnya", "sekolah")),
        ("masalah", ("masalah",)),
        ("jumlah", ("jumlah",)),
        ("bogor", ("bogor",)),
    ],
)
def test_stem_chain(word: str, chain: tuple[str, ...]) -> None:
    assert stem_chain(word) == chain


def test_canonical_lowers_and_strips() -> None:
    assert canonical("AS") == "as"
    assert canonical("rudalnya") == "rudal"


def test_document_tokens_mark_case_sensitive_forms() -> None:
    tokens = document_tokens("AS dan as, As", MARKED)
    assert tokens == [("AS", "as"), ("dan",), ("as",), ("as",)]


def test_topic_tokens_do_not_strip_clitics() -> None:
    assert topic_tokens("Jakartanya AS as", MARKED) == ("jakartanya", "AS", "as")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Ketegangan Rusia-Korea Utara meningkat", "Korea Utara"),
        ("Jakartanya macet total", "Jakarta"),
        ("Bogorlah tujuan wisata warga", "Bogor"),
        ("Beraskah penyebab inflasi?", "beras"),
        ("Rudal-rudal Iran menghantam Irak", "rudal"),
        ("Israel cegat rudal-rudalnya", "rudal"),
        ("Israel cegat rudal-rudalnya", "rudalnya"),
        ("Kenya dilanda banjir", "Kenya"),
        ("Sekolahnya rusak diterjang banjir", "sekolahnya"),
        ("Sekolahnya rusak diterjang banjir", "sekolah"),
        ("KORUT LUNCURKAN RUDAL", "Korut"),
        ("Harga-harga beras melonjak", "harga beras"),
        ("Presiden AS bertemu Prabowo", "AS"),
    ],
)
def test_item_contains(text: str, phrase: str) -> None:
    assert contains(text, phrase)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Israel melancarkan serangan udara", "Serang"),
        ("Seorang pedagang diserang orang tak dikenal", "Serang"),
        ("Kelompok bersenjata menyerang pos TNI", "Serang"),
        ("Penyerangan terhadap markas polisi", "Serang"),
        ("Jakarta macet total", "Jakartanya"),
        ("Masalah sampah kian pelik", "masa"),
        ("Gemparnya berita itu", "gempa"),
        ("Truk terguling setelah as roda patah", "AS"),
        ("Paket murah untuk pelanggan kartu As", "AS"),
        ("Korea Selatan dan utara", "Korea Utara"),
        ("Utara Korea", "Korea Utara"),
    ],
)
def test_item_does_not_contain(text: str, phrase: str) -> None:
    assert not contains(text, phrase)


def test_phrase_does_not_span_title_and_text() -> None:
    doc = prepare_document("Pertemuan tingkat tinggi di Korea", "Utara Jakarta macet")
    assert ("korea", "utara") not in doc
    assert ("korea",) in doc
    assert ("utara", "jakarta") in doc


def test_longer_form_of_another_group_is_not_the_shorter_one() -> None:
    doc = prepare_document("", "Dewan Perwakilan Rakyat Daerah Kota Bekasi menggelar rapat")
    assert ("dewan", "perwakilan", "rakyat") not in doc
    assert ("dewan", "perwakilan", "rakyat", "daerah") in doc


def test_shipped_table_is_complete() -> None:
    table = load_table()
    groups = {id(group): group for group in table.groups.values()}
    assert len(groups) >= 40
    pairs = [
        ("korut", "korea utara"),
        ("korsel", "korea selatan"),
        ("jabar", "jawa barat"),
        ("ntb", "nusa tenggara barat"),
        ("diy", "daerah istimewa yogyakarta"),
        ("jogja", "yogyakarta"),
        ("pemprov", "pemerintah provinsi"),
        ("kemenkes", "kementerian kesehatan"),
        ("bmkg", "badan meteorologi klimatologi dan geofisika"),
        ("pbb", "perserikatan bangsa bangsa"),
        ("AS", "amerika serikat"),
    ]
    for short, full in pairs:
        assert tuple(full.split()) in table.groups[tuple(short.split())]
    assert "AS" in table.marked
    assert ("as",) not in table.groups


def test_table_rejects_a_form_in_two_groups() -> None:
    data = {"group": [{"forms": ["Korut", "Korea Utara"]}, {"forms": ["KORUT", "Utara"]}]}
    with pytest.raises(ValueError, match="korut"):
        build_table(data)


def test_table_expansion_keeps_the_written_phrase_first() -> None:
    table = load_table()
    variants = dict(table.expand(("pemprov", "jabar")))
    assert next(iter(variants)) == ("pemprov", "jabar")
    assert variants[("pemerintah", "provinsi", "jawa", "barat")] == (
        "Pemerintah Provinsi Jawa Barat"
    )
    assert variants[("pemprov", "jawa", "barat")] == "pemprov Jawa Barat"
    assert len(variants) == 4
