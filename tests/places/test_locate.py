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
