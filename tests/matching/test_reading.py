"""How topics are read beyond the plain word rules: aliases, spellings, places, word forms."""

from __future__ import annotations

from bot.matching import parse_topic, prepare_document


def matches(topic: str, text: str, title: str = "") -> bool:
    return parse_topic(topic).matches(prepare_document(title, text))


def test_a_city_reaches_its_districts_but_a_district_not_the_whole_city() -> None:
    assert matches("Jakarta", "Tawuran pelajar pecah di Kebayoran Baru, Jaksel.")
    assert matches("Jakarta", "Anggota DPRD DKI menyoroti anggaran banjir.")
    assert not matches("Jaksel", "Harga beras di Jakarta naik lima persen.")
    assert not matches("Jakarta Selatan", "Tawuran pelajar pecah di Cakung, Jakarta Timur.")


def test_foreign_names_match_in_every_spelling() -> None:
    assert matches("Kyiv", "Rusia meluncurkan rudal ke Kiev.")
    assert matches("Zelensky", "Presiden Volodymyr Zelenskyy bertemu Trump.")
    assert matches("Turki", "Gempa guncang Türkiye bagian timur.")
    assert matches("Huthi", "Houthi klaim tembak jatuh drone AS di Yaman.")


def test_a_longer_name_of_another_country_is_not_the_country() -> None:
    assert not matches("Sudan", "Perang saudara di Sudan Selatan memaksa warga mengungsi.")
    assert matches("Sudan", "Sudan dan Sudan Selatan sepakat membuka jalur minyak.")
    assert matches("Sudan Selatan", "Perang saudara di Sudan Selatan memaksa warga mengungsi.")
    assert not matches("Papua", "Papua Nugini diguncang gempa magnitudo 6,9.")


def test_words_that_only_look_like_a_clitic_form_keep_their_meaning() -> None:
    assert not matches("Dau", "Polisi menangkap simpatisan Daulah Islamiyah di Bekasi.")
    assert not matches("Mali", "Siti Malikah, warga Sumenep, menjadi wisudawan terbaik IPB.")
    assert matches("Dau", "Camat Dau pun turun langsung meninjau lokasi longsor.")
    assert matches("Mali", "Junta militer Malipun menolak tekanan ECOWAS.")
