"""Locating one item: what places it, and what does not, each with the cue or the reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.places.gazetteer import Gazetteer
from bot.places.locate import locate, read_places


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def codes(gazetteer: Gazetteer, title: str, teaser: str = "") -> list[str]:
    return sorted(found.code for found in locate(gazetteer, title=title, teaser=teaser))


def test_the_dateline_places_the_story(gazetteer: Gazetteer) -> None:
    found = locate(
        gazetteer, title="Harga beras naik", teaser="SORONG, ANTARA - Harga beras di pasar naik."
    )
    # Sorong is a kota and a kabupaten: unqualified, both, and their province.
    assert {(place.code, place.cue) for place in found} >= {("96.71", "dateline")}
    assert sorted(place.code for place in found) == ["96", "96.01", "96.71"]


def test_a_regency_places_its_province(gazetteer: Gazetteer) -> None:
    found = locate(gazetteer, title="Longsor di Garut, tiga rumah tertimbun")
    assert [(place.code, place.cue) for place in found] == [
        ("32.05", "name"),
        ("32", "province of Garut"),
    ]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Pemkab Bekasi perbaiki jalan", ["32", "32.16"]),
        ("Wali Kota Bekasi tinjau banjir", ["32", "32.75"]),
        ("Banjir Bekasi rendam ratusan rumah", ["32", "32.16", "32.75"]),
        ("Macet di Cikarang, Bekasi", ["32", "32.16"]),
    ],
)
def test_kota_or_kabupaten_the_one_named(
    gazetteer: Gazetteer, title: str, expected: list[str]
) -> None:
    assert codes(gazetteer, title) == expected


@pytest.mark.parametrize(
    "title",
    [
        "Warga asal Garut raih penghargaan",
        "Persib Bandung menang tipis",
        "Rusia Serang Kyiv dengan Ratusan Drone",
        "Harga batu bara naik",
        "Nasib malang menimpa pedagang",
        "Gempa guncang Papua Nugini",
        "Timor Leste jadi anggota ASEAN",
        "Banjar Diguyur Hujan Deras",
        "Mahasiswa Institut Teknologi Bandung juara",
    ],
)
def test_names_that_place_nothing(gazetteer: Gazetteer, title: str) -> None:
    assert codes(gazetteer, title) == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Kota Batu diterjang banjir", ["35", "35.79"]),
        ("Bupati Pati cabut kenaikan pajak", ["33", "33.18"]),
        ("Banjir di Kabupaten Banjar", ["63", "63.03"]),
        ("Polisi tangkap pengedar di Kuningan, Jakarta Selatan", ["31", "31.74"]),
        ("Pemprov Jambi tetapkan siaga", ["15"]),
        ("Banjir di Kota Jambi", ["15", "15.71"]),
    ],
)
def test_words_and_shared_names_with_a_cue(
    gazetteer: Gazetteer, title: str, expected: list[str]
) -> None:
    assert codes(gazetteer, title) == expected


def test_the_reasons_a_name_was_not_taken(gazetteer: Gazetteer) -> None:
    reading = read_places(
        gazetteer, title="Warga asal Garut tewas di Bandung Barat; Rusia serang Kyiv lagi"
    )
    assert [place.code for place in reading.located] == ["32.17", "32"]
    assert [(passed.name, passed.reason) for passed in reading.passed_over] == [
        ("Garut", "a person's origin"),
        ("serang", "written in lower case"),
    ]


def test_the_dateline_as_cleaning_leaves_it(gazetteer: Gazetteer) -> None:
    # Ingestion's cleaning keeps the dateline's place alone on the first line, without outlet.
    found = locate(gazetteer, title="", article="BATANG\nHujan deras sejak pagi.")
    assert [(place.code, place.cue) for place in found] == [
        ("33.25", "dateline"),
        ("33", "province of BATANG"),
    ]


@given(st.text(max_size=300), st.sampled_from(["Garut", "SORONG, ANTARA -", "Kota Bekasi", ""]))
@settings(max_examples=300, deadline=None)
def test_any_text_locates_only_known_places(gazetteer: Gazetteer, text: str, name: str) -> None:
    # Feeds send anything: letters whose lower case is longer (İ), lone marks, control
    # characters. Whatever comes, the locator answers with places of the gazetteer.
    reading = read_places(gazetteer, title=text, teaser=f"{name} {text}")
    codes = [place.code for place in reading.located]
    assert len(codes) == len(set(codes))
    assert all(gazetteer.by_code(code) is not None for code in codes)


def test_an_article_is_read_for_places_in_its_lead(gazetteer: Gazetteer) -> None:
    # A national desk's story of a landslide in Garut recalls, far down, last year's flood in
    # Samarinda: a reader following Samarinda does not want it; a place in the lead counts.
    lead = "GARUT, KOMPAS.com - Longsor menimbun tiga rumah di Cisewu. " + "Warga mengungsi. " * 60
    article = lead + "Tahun lalu longsor serupa terjadi di Samarinda."
    found = locate(gazetteer, title="Longsor timbun tiga rumah", article=article)
    assert sorted(place.code for place in found) == ["32", "32.05"]
    found = locate(
        gazetteer, title="Longsor timbun tiga rumah", article=lead[:300] + " di Samarinda."
    )
    assert sorted(place.code for place in found) == ["32", "32.05", "64", "64.72"]
    # A feed that sends whole articles sends them as its text: read the same way.
    found = locate(gazetteer, title="Longsor timbun tiga rumah", teaser=article)
    assert sorted(place.code for place in found) == ["32", "32.05"]


@pytest.mark.parametrize(
    ("title", "expected", "reason"),
    [
        # A resident's home, when the story happens abroad or in another province's place.
        (
            "Warga Indramayu disekap majikan di Malaysia",
            [],
            ("Indramayu", "the home of the people or the event named; the story happens elsewhere"),
        ),
        (
            "Mahasiswa Papua di Surabaya gelar aksi damai",
            ["35", "35.78"],
            ("Papua", "the home of the people or the event named; the story happens elsewhere"),
        ),
        (
            "Ia lahir di Tulungagung, kini menetap di Surabaya",
            ["35", "35.78"],
            ("Tulungagung", "a person's origin"),
        ),
        ("Irjen Teddy Minahasa divonis penjara", [], ("Minahasa", "a person's name")),
        ("Kecelakaan di Jalan Raya Bogor, Depok", ["32", "32.76"], ("Bogor", "a street's name")),
        ("Dua WNI ditahan di Malaka, Malaysia", [], ("Malaka", "a locality of Malaysia")),
        (
            "KA Mataram terlambat dua jam",
            [],
            ("Mataram", "the name of an organisation, club, product or culture"),
        ),
    ],
)
def test_the_guide_s_traps_place_nothing(
    gazetteer: Gazetteer, title: str, expected: list[str], reason: tuple[str, str]
) -> None:
    reading = read_places(gazetteer, title=title)
    assert sorted(place.code for place in reading.located) == expected
    assert reason in [(passed.name, passed.reason) for passed in reading.passed_over]


def test_a_resident_s_home_counts_when_the_story_is_there(gazetteer: Gazetteer) -> None:
    assert codes(gazetteer, "Warga Garut keluhkan jalan rusak") == ["32", "32.05"]
    # A thing's name after "di" places the story nowhere else.
    assert codes(gazetteer, "Warga Garut menabung di Bank Jatim") == ["32", "32.05"]
    # Another place of the same province around it keeps it: the province holds both.
    assert codes(gazetteer, "Warga Papua Barat Daya sambut presiden di Sorong") == [
        "96",
        "96.01",
        "96.71",
    ]
