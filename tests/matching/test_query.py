"""Parsing and evaluating topics."""

from __future__ import annotations

import dataclasses

import pytest

from bot.matching import TopicQuery, TopicSyntaxError, parse_topic, prepare_document


def matches(topic: str, text: str) -> bool:
    """Tell whether `topic` matches an item made of `text`."""
    return parse_topic(topic).matches(prepare_document("", text))


BOGOR_FLOOD = "Banjir dan tanah longsor landa Bogor, akses ke Puncak terputus."
CIANJUR_SLIDE = "Tanah longsor di Cianjur timbun tiga rumah, dua warga hilang."
KYIV_STRIKE = "Serangan drone Rusia hantam Kyiv, Ukraina minta tambahan pertahanan udara."
UKRAINE_MEDAL = "Ukraina raih medali emas pertama di Kejuaraan Dunia Atletik."


def test_equivalent_spellings_share_a_key() -> None:
    keys = {parse_topic(text).key for text in ("Korea Utara", "korea utara", '"Korea  Utara"')}
    assert keys == {"korea utara"}
    assert parse_topic("Korea Utara") == parse_topic('  "KOREA utara" ')
    assert hash(parse_topic("Korea Utara")) == hash(parse_topic("korea utara"))


def test_source_is_kept_stripped() -> None:
    assert parse_topic("  Korea Utara ").source == "Korea Utara"


def test_query_is_immutable() -> None:
    query = parse_topic("banjir")
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.key = "gempa"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("banjir OR longsor", "banjir | longsor"),
        ("banjir AND Serang", "banjir + Serang"),
        ("Ukraina -Rusia", "Ukraina NOT Rusia"),
        ("Ukraina -Rusia", "Ukraina AND NOT Rusia"),
        ("banjir AND Serang", "Serang AND banjir"),
        ("a1 OR b2 AND c3", "a1 OR (b2 AND c3)"),
        ("(banjir OR longsor) AND Bogor", "Bogor AND (longsor OR banjir)"),
        ("banjir OR banjir", "banjir"),
        ("banjir || longsor", "banjir OR longsor"),
    ],
)
def test_equivalent_expressions(left: str, right: str) -> None:
    assert parse_topic(left).key == parse_topic(right).key


def test_different_expressions_differ() -> None:
    assert parse_topic("a1 OR b2 AND c3").key != parse_topic("(a1 OR b2) AND c3").key
    assert parse_topic("AS").key != parse_topic("as").key


@pytest.mark.parametrize(
    ("topic", "text", "expected"),
    [
        ("Korea Utara", "Ketegangan Rusia-Korea Utara meningkat.", True),
        ("Korea Utara", "Korea Selatan dan Jepang bahas ancaman dari utara.", False),
        ('"Korea Utara"', "Korut uji coba rudal baru.", True),
        ("Korea Utara OR Pyongyang", "Pyongyang kecam latihan militer gabungan.", True),
        ("Korea Utara | Pyongyang", "Seoul tuan rumah KTT.", False),
        ("banjir AND Serang", "Banjir rendam ratusan rumah di Kota Serang.", True),
        ("banjir + Serang", "Israel melancarkan serangan; banjir di Gaza.", False),
        ("banjir Serang", "Banjir rendam ratusan rumah di Kota Serang.", False),
        ("Ukraina -Rusia", UKRAINE_MEDAL, True),
        ("Ukraina -Rusia", KYIV_STRIKE, False),
        ("Ukraina NOT Rusia", KYIV_STRIKE, False),
        ('Korea -"Korea Utara"', "Drama Korea terbaru tayang di Netflix.", True),
        ('Korea -"Korea Utara"', "Korea Utara dan Korea Selatan bertemu.", False),
        ("(banjir OR longsor) AND Bogor", BOGOR_FLOOD, True),
        ("(banjir OR longsor) AND Bogor", CIANJUR_SLIDE, False),
        ("banjir OR longsor AND Bogor", CIANJUR_SLIDE, False),
        ("banjir OR longsor AND Bogor", "Banjir di Cianjur.", True),
        ("longsor -(Bogor OR Depok)", CIANJUR_SLIDE, True),
        ("longsor -(Bogor OR Depok)", BOGOR_FLOOD, False),
        ("Rusia-Korea", "Hubungan Rusia-Korea Utara memanas.", True),
        ('"OR" AND Jakarta', "Kode OR di Jakarta.", True),
        ("tol Serang-Panimbang", "Tol Serang Panimbang rampung 2026.", True),
    ],
)
def test_matches(topic: str, text: str, expected: bool) -> None:
    assert matches(topic, text) is expected


@pytest.mark.parametrize(
    ("topic", "text", "expected"),
    [
        ("Korut", "Korea Utara luncurkan rudal.", True),
        ("Korea Utara", "Korut luncurkan rudal.", True),
        ("Jabar", "Pemerintah Provinsi Jawa Barat siapkan bus mudik.", True),
        ("Pemprov Jabar", "Pemerintah Provinsi Jawa Barat siapkan bus mudik.", True),
        ("Pemerintah Provinsi Jawa Barat", "Pemprov Jabar siapkan bus mudik.", True),
        ("Jateng", "Pemerintah Provinsi Jawa Timur naikkan UMP.", False),
        ("PBB", "Perserikatan Bangsa-Bangsa serukan gencatan senjata.", True),
        ("Jogja", "Wisatawan padati Malioboro, Yogyakarta diguyur hujan.", True),
        ("AS", "Dolar AS menguat terhadap rupiah.", True),
        ("AS", "Mahasiswa di Amerika Serikat waspada badai.", True),
        ("Amerika Serikat", "Presiden AS bertemu Prabowo.", True),
        ("AS", "Truk terguling setelah as roda patah.", False),
        ("Amerika Serikat", "Pelanggan kartu As dapat bonus.", False),
        ("as roda", "Truk terguling setelah as roda patah.", True),
        ("DPR", "DPRD Jateng setujui APBD Perubahan.", False),
        ("DPR", "Dewan Perwakilan Rakyat Daerah Bekasi gelar paripurna.", False),
        ("DPR", "Dewan Perwakilan Rakyat sahkan undang-undang.", True),
        ("DPRD", "Dewan Perwakilan Rakyat Daerah Bekasi gelar paripurna.", True),
    ],
)
def test_abbreviations(topic: str, text: str, expected: bool) -> None:
    assert matches(topic, text) is expected


def test_phrases_lists_positive_phrases_only() -> None:
    query = parse_topic('(banjir OR "tanah longsor") AND Bogor -Puncak')
    assert query.phrases() == ["banjir", "tanah longsor", "bogor"]


def test_also_covers_lists_other_forms_as_spelled_in_the_table() -> None:
    assert parse_topic("Korut").also_covers() == ["Korea Utara"]
    assert parse_topic("korea utara").also_covers() == ["Korut"]
    assert parse_topic("AS -Rusia").also_covers() == ["Amerika Serikat"]
    assert parse_topic("Jabar OR Jateng").also_covers() == ["Jawa Barat", "Jawa Tengah"]
    assert parse_topic("banjir Jabar").also_covers() == ["banjir Jawa Barat"]
    # "Daerah Istimewa Yogyakarta" contains "Yogyakarta": no need to say it.
    # The forms come from the gazetteer, in its order.
    assert parse_topic("Jogja").also_covers() == [
        "Yogyakarta",
        "DIY",
        "Yogya",
        "Jogjakarta",
        "Ngayogyakarta",
    ]
    # What a topic excludes is not something it covers.
    assert parse_topic("ukraina -Korut").also_covers() == []


def test_every_short_form_of_the_gazetteer_matches_its_place_both_ways() -> None:
    # Short forms the old hand-written table never had: they come with the gazetteer now.
    assert matches("Kukar", "Banjir merendam tiga kecamatan di Kutai Kartanegara.")
    assert matches("Kutai Kartanegara", "Banjir merendam tiga kecamatan di Kukar.")
    assert matches("Malut", "Gempa magnitudo 5,1 guncang Maluku Utara.")
    assert matches("Tangsel", "Pemkot Tangerang Selatan buka lowongan PPPK.")
    # A short form in capitals of a kabupaten counts only written so: "tts" is no regency.
    assert not matches("TTS", "Jawaban tts hari ini ada di halaman belakang.")
    assert matches("TTS", "Kekeringan melanda TTS, warga antre air bersih.")


def test_a_place_topic_keeps_to_its_place_beside_longer_names_of_others() -> None:
    assert not matches("Papua", "Gubernur Papua Nugini bertemu Presiden di Jakarta.")
    assert not matches("Padang Lawas", "Banjir di Padang Lawas Utara rendam 300 rumah.")
    assert matches("Padang Lawas", "Banjir di Padang Lawas rendam 300 rumah.")
    # A place's name alone forms no group: the word is still found in a longer name.
    assert matches("=batu", "Harga batu bara naik lagi pekan ini.")


def test_matched_terms() -> None:
    doc = prepare_document("Korea Utara luncurkan rudal", "Pyongyang klaim uji coba sukses.")
    assert parse_topic("Korut OR Pyongyang").matched_terms(doc) == ["korea utara", "pyongyang"]
    assert parse_topic("Korut -rudal").matched_terms(doc) == []


@pytest.mark.parametrize(
    ("topic", "code", "detail"),
    [
        ("", "empty", ""),
        ("   ", "empty", ""),
        ("() banjir", "empty", "()"),
        ("banjir AND ...", "empty", "..."),
        ('""', "empty", ""),
        ('"Korea Utara', "unbalanced_quote", '"Korea Utara'),
        ('Korea "Utara" "', "unbalanced_quote", '"'),
        ("(banjir OR longsor", "unbalanced_paren", "("),
        ("banjir OR longsor)", "unbalanced_paren", ")"),
        (")banjir(", "unbalanced_paren", ")"),
        ("OR banjir", "dangling_operator", "OR"),
        ("banjir OR", "dangling_operator", "OR"),
        ("banjir AND OR longsor", "dangling_operator", "AND"),
        ("banjir +", "dangling_operator", "+"),
        ("| banjir", "dangling_operator", "|"),
        ("banjir -", "dangling_operator", "-"),
        ("banjir NOT", "dangling_operator", "NOT"),
        ("(banjir OR) Bogor", "dangling_operator", "OR"),
        ("-Rusia", "only_exclusions", "-rusia"),
        ("NOT Rusia", "only_exclusions", "-rusia"),
        ("-Rusia -Ukraina", "only_exclusions", "-rusia AND -ukraina"),
        ("Ukraina OR -Rusia", "only_exclusions", "-rusia"),
        ("(Ukraina OR -Rusia) Kyiv", "only_exclusions", "-rusia"),
        ("x" * 61, "too_long", "x"),
        ("a", "too_short", "a"),
    ],
)
def test_syntax_errors(topic: str, code: str, detail: str) -> None:
    with pytest.raises(TopicSyntaxError) as caught:
        parse_topic(topic)
    assert caught.value.code == code
    assert caught.value.detail == detail
    assert isinstance(caught.value, ValueError)


def test_empty_quotes_beside_words_add_nothing() -> None:
    assert parse_topic('banjir ""').key == "banjir"


def test_length_limits_are_inclusive() -> None:
    assert parse_topic("AS").key == "AS"
    assert isinstance(parse_topic("banjir " + "x" * 53), TopicQuery)


@pytest.mark.parametrize(
    ("topic", "code", "position"),
    [
        ("banjir (Serang", "unbalanced_paren", 7),
        ("banjir Serang)", "unbalanced_paren", 13),
        ('gempa "Cianjur', "unbalanced_quote", 6),
        ("banjir OR", "dangling_operator", 7),
        ("  banjir AND OR gempa", "dangling_operator", 9),
        ("a", "too_short", 0),
        ("x" * 70, "too_long", 60),
    ],
)
def test_an_invalid_topic_says_where_its_first_error_is(
    topic: str, code: str, position: int
) -> None:
    with pytest.raises(TopicSyntaxError) as raised:
        parse_topic(topic)
    assert raised.value.code == code
    assert raised.value.position == position


def test_a_word_the_root_dictionary_lists_keeps_to_itself() -> None:
    # "beras" looks like "ber-" + "ras", and "keras", "teras" like forms of "ras": the root
    # dictionary lists each as a word of its own, so rice prices stay rice prices.
    assert matches("harga beras", "Harga beras di Pasar Rau naik lagi.")
    assert not matches("harga beras", "Harga keras harus dibayar tim tamu di Bandung.")
    assert not matches("ras", "Teras rumah warga roboh diterjang angin.")
    # An ordinary word still finds its forms.
    assert matches("kirim", "Pengiriman bantuan ke Lombok tertunda cuaca.")
