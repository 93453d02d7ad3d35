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


def test_a_place_that_is_also_a_word_counts_where_the_text_says_it_is_the_place() -> None:
    assert matches("Batu", "Hujan es melanda Kota Batu, puluhan pohon tumbang.")
    assert matches("Serang", "SERANG, KOMPAS.com — Pemprov Banten menyiapkan anggaran jalan.")
    assert matches("Medan", "Banjir merendam 12 kecamatan di Medan setelah Sungai Deli meluap.")
    assert matches("Malang", "Arema FC kalah di kandang, suporter Malang kecewa.")
    assert not matches("Batu", "Tambang batu bara ilegal di Kalimantan Timur ditutup polisi.")
    assert not matches("Padang", "Ribuan warga antre nasi Padang gratis di Jakarta Selatan.")
    assert not matches("Kudus", "Jemaat merayakan Pentakosta, hari turunnya Roh Kudus.")
    assert not matches("Malang", "Nasib malang dialami seorang pengendara ojek di Bogor.")


def test_a_title_case_headline_says_nothing_by_its_capitals() -> None:
    assert not matches("Serang", "Rusia Serang Kyiv dengan Puluhan Drone, Listrik Padam.")
    assert matches("Serang", "", title="Banjir Rendam Ratusan Rumah di Kota Serang")
    # The feed's region vouches for a name in its province.
    headline = "Malang Diguyur Hujan Deras, Sejumlah Ruas Jalan Tergenang"
    assert not matches("Malang", "", title=headline)
    assert parse_topic("Malang").matches(prepare_document(headline, "", region="Jawa Timur"))


def test_common_words_match_their_affixed_forms_unless_figurative() -> None:
    assert matches("banjir", "Ratusan rumah di Bekasi kebanjiran setelah hujan deras.")
    assert matches("banjir", "Luapan Sungai Citarum membanjiri sawah warga.")
    assert matches("korupsi", "KPK menahan koruptor pengadaan alat kesehatan.")
    assert matches("mudik", "Pemudik motor diminta beristirahat setiap dua jam.")
    assert not matches("banjir", "Pameran otomotif itu dibanjiri pengunjung sejak hari pertama.")
    assert not matches("kebakaran", "Elite partai kebakaran jenggot usai survei dirilis.")
    # Never for place names: "diserang" is not Serang.
    assert not matches("Serang", "Pos polisi diserang kelompok bersenjata di Papua.")


def test_an_equals_sign_asks_for_the_exact_words_only() -> None:
    assert not matches("=banjir", "Ratusan rumah di Bekasi kebanjiran setelah hujan deras.")
    assert matches("=banjir", "Puluhan desa di Grobogan terendam banjir.")
    assert matches("=batu", "Tambang batu bara ilegal di Kalimantan Timur ditutup polisi.")
    assert not matches("=Korut", "Korea Utara kembali meluncurkan rudal balistik.")
    assert matches('="batu bara"', "Harga batu bara acuan naik lagi.")
    assert parse_topic("=banjir").key != parse_topic("banjir").key


def test_list_descriptions_name_the_place_and_the_other_forms() -> None:
    batu = parse_topic("Batu").places()
    assert [(p.name, p.province, [u.kind for u in p.units]) for p in batu] == [
        ("Batu", "Jawa Timur", ["kota"])
    ]
    assert parse_topic("=Batu").places() == []
    assert "kebanjiran" in parse_topic("banjir").also_covers()
    assert parse_topic("=banjir").also_covers() == []
    assert "banjir" not in parse_topic("banjir").also_covers()


def test_a_variant_containing_a_shorter_one_is_not_looked_up_twice() -> None:
    jakarta = parse_topic("Jakarta")
    assert ("dki", "jakarta") not in jakarta.positive_variants()
    assert ("jaksel",) in jakarta.positive_variants()
    # A narrower place counts for the place alone, not inside a longer phrase.
    assert ("pemprov", "jaksel") not in parse_topic("Pemprov DKI").positive_variants()
    assert matches("Pemprov DKI", "Pemerintah Provinsi DKI Jakarta memperpanjang diskon pajak.")


def test_the_and_form_of_a_phrase_is_offered_only_for_plain_words() -> None:
    assert parse_topic("banjir Serang").as_and() == "banjir AND Serang"
    assert parse_topic("Korea Utara").as_and() == "Korea AND Utara"
    assert parse_topic("banjir").as_and() is None
    assert parse_topic("banjir AND Serang").as_and() is None
    assert parse_topic('"banjir Serang"').as_and() is None
    assert parse_topic("=banjir Serang").as_and() is None
    assert parse_topic("<b>Serang</b> & <script>").as_and() is None


def test_a_place_followed_by_an_ordinary_phrase_is_still_the_place() -> None:
    # "baru-baru ini" (recently) after the name is no compound.
    assert matches("Serang", "Banjir melanda Serang baru-baru ini, ratusan warga mengungsi.")
