"""Feed HTML to plain text: markup, entities, boilerplate, datelines and summaries."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds.clean import (
    FeedText,
    clean_entry_text,
    clean_title,
    html_to_text,
    make_summary,
    strip_boilerplate,
)
from bot.matching import parse_topic, prepare_document

EN_DASH = "\u2013"
DANGLING = ",;:-\u2013\u2014([{\u201c\u2018"
# Hostile input may cost this many times what ordinary text of its length costs (about 1-3x
# when linear; a quadratic rescan costs hundreds to thousands of times as much).
LINEAR_FACTOR = 30


def cpu_seconds(work: Callable[[], object]) -> float:
    """This process's CPU time for the quickest of three runs: other processes' load is not
    counted, and the machine's speed cancels out against a run on ordinary text."""
    runs = []
    for _ in range(3):
        started = time.process_time()
        work()
        runs.append(time.process_time() - started)
    return min(runs)


# --- html_to_text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("Harga &lt;naik&gt; &amp; stok &quot;aman&quot;", 'Harga <naik> & stok "aman"'),
        (
            "Kata &#8220;banjir&#8221; dan &#x27;longsor&#x27;",
            "Kata \u201cbanjir\u201d dan 'longsor'",
        ),
        ("&amp;quot;Waspada&amp;quot; kata BMKG", '"Waspada" kata BMKG'),
        ("AT&amp;amp;T dan Rp&amp;nbsp;5.000", "AT&T dan Rp 5.000"),
        ("Jakarta&nbsp;&nbsp;Pusat", "Jakarta Pusat"),
        ("&lt;p&gt;Satu&lt;/p&gt;&lt;p&gt;Dua &amp;amp; tiga&lt;/p&gt;", "Satu\nDua & tiga"),
    ],
    ids=["basic", "numeric", "double-quot", "double-amp-nbsp", "nbsp", "escaped-markup"],
)
def test_entities_are_decoded_including_double_escaping(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


def test_script_style_and_iframe_content_is_dropped() -> None:
    fragment = (
        "<p>Banjir melanda Serang.</p>"
        '<script>var judul = "<p>rahasia</p>";</script>'
        "<style>p { color: red }</style>"
        '<iframe src="https://example.com/embed">iklan sisipan</iframe>'
        "<noscript><img src=x>tanpa skrip</noscript>"
        "<p>Warga mengungsi.</p>"
    )
    assert html_to_text(fragment) == "Banjir melanda Serang.\nWarga mengungsi."


def test_block_tags_become_lines_and_inline_tags_do_not() -> None:
    fragment = (
        "<h2>Banjir <b>Serang</b></h2><div>Air naik<br>setinggi 1 meter</div>"
        "<ul><li>Kasemen</li><li>Walantaka</li></ul><p><a href='/x'>Ban</a>tuan tiba</p>"
        "<h6>Akhir</h6>"
    )
    assert html_to_text(fragment) == (
        "Banjir Serang\nAir naik\nsetinggi 1 meter\nKasemen\nWalantaka\nBantuan tiba\nAkhir"
    )


def test_whitespace_collapses_within_lines() -> None:
    fragment = "<p>  Banjir \t melanda\n   kota  </p>\n\n<p>\n</p><p>Dua</p>"
    assert html_to_text(fragment) == "Banjir melanda kota\nDua"


def test_plain_text_keeps_its_line_breaks() -> None:
    assert html_to_text("Baris satu\r\nBaris  dua\n\nBaris tiga") == (
        "Baris satu\nBaris dua\nBaris tiga"
    )


def test_invisible_and_control_characters_are_removed() -> None:
    fragment = "\ufeffBan\u200bjir\u00ad di\u00a0Le\u2060bak\x07\x1b\u202e!\u2028Baris"
    assert html_to_text(fragment) == "Banjir di Lebak!\nBaris"


def test_zero_width_joiner_survives_only_inside_emoji() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert html_to_text(f"Ke\u200dluarga {family}") == f"Keluarga {family}"


def test_cdata_text_is_kept() -> None:
    assert html_to_text("<![CDATA[Gempa M5,2]]> guncang Banten") == "Gempa M5,2 guncang Banten"


def test_empty_and_tag_only_fragments_give_empty_text() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<p> </p><br/><img src='x'>") == ""


@pytest.mark.parametrize(
    "fragment",
    ["<p" * 60_000, '<a x="<b>' * 20_000, "a < b " * 20_000, "&lt;p " * 30_000],
    ids=["unclosed-tags", "unclosed-attribute", "less-than", "escaped"],
)
def test_malformed_markup_takes_linear_time(fragment: str) -> None:
    ordinary = ("<p>Banjir merendam Kota <b>Serang</b>.</p> " * len(fragment))[: len(fragment)]
    # Linear work costs about what ordinary markup of the same length costs; a quadratic rescan
    # of this input costs thousands of times as much.
    work = cpu_seconds(lambda: html_to_text(fragment))
    assert work < LINEAR_FACTOR * cpu_seconds(lambda: html_to_text(ordinary))


def test_stray_less_than_signs_stay_text() -> None:
    assert html_to_text("Skor 3<5 dan <b>tebal</b> lalu a <b") == "Skor 3<5 dan tebal lalu a <b"


# --- strip_boilerplate ---------------------------------------------------------------------

BOILERPLATE_CASES: list[tuple[str, str, str]] = [
    # related articles
    (
        "baca-juga-line",
        "Polisi menutup Jalan Raya Serang sejak pagi.\n"
        "Baca juga: Banjir Rendam Ratusan Rumah di Kasemen\n"
        "Warga diminta mencari jalur lain.",
        "Polisi menutup Jalan Raya Serang sejak pagi.\nWarga diminta mencari jalur lain.",
    ),
    (
        "baca-juga-inline",
        "Harga beras naik lima persen, kata dia. Baca Juga: Operasi Pasar Digelar di Cilegon "
        "Sementara itu stok di gudang Bulog aman.",
        "Harga beras naik lima persen, kata dia.",
    ),
    (
        "baca-juga-inline-lowercase-colon",
        "Posko didirikan di balai desa, ujar Budi. baca juga: Pemkot Serang Siapkan Dapur Umum",
        "Posko didirikan di balai desa, ujar Budi.",
    ),
    (
        "baca-juga-upper-line",
        "Jadwal KRL berubah.\nBACA JUGA: Stasiun Rangkasbitung Dipadati Penumpang",
        "Jadwal KRL berubah.",
    ),
    (
        "baca-juga-upper-inline-no-colon",
        "Petugas masih berjaga di lokasi. BACA JUGA Gempa Guncang Lebak Selatan",
        "Petugas masih berjaga di lokasi.",
    ),
    (
        "baca-juga-heading-then-titles",
        "Evakuasi berlangsung hingga malam.\nBaca juga:\nLongsor Tutup Akses Desa Cibeber\n"
        "Siapa Pengganti Kapolda Banten?\nTim SAR kembali mencari korban pada Kamis pagi.",
        "Evakuasi berlangsung hingga malam.\nTim SAR kembali mencari korban pada Kamis pagi.",
    ),
    (
        "simak-juga",
        "Kebakaran menghanguskan 40 kios.\nSimak juga: Video Detik-detik Api Melahap Pasar Rau",
        "Kebakaran menghanguskan 40 kios.",
    ),
    (
        "lihat-juga",
        "Banjir surut pada sore hari.\nLihat juga: Galeri Foto Banjir Bandang Pandeglang",
        "Banjir surut pada sore hari.",
    ),
    (
        "simak-video-detik",
        "Korban dibawa ke RSUD.\n"
        'Simak Video "Momen Evakuasi Korban Longsor di Cibeber"\n'
        "[Gambas:Video 20detik]\n(dil/idh)",
        "Korban dibawa ke RSUD.",
    ),
    (
        "artikel-terkait-heading",
        "Pemilu berjalan lancar.\nArtikel Terkait\nKPU Tetapkan Hasil Rekapitulasi\n"
        "Bawaslu Terima Lima Laporan",
        "Pemilu berjalan lancar.",
    ),
    (
        "pilihan-editor-tempo",
        "Menteri membantah tudingan itu. Pilihan Editor: Istana Jawab Kritik Soal Pangan",
        "Menteri membantah tudingan itu.",
    ),
    (
        "baca-selengkapnya",
        "Gubernur meninjau tanggul yang jebol... Baca selengkapnya",
        "Gubernur meninjau tanggul yang jebol...",
    ),
    # pagination
    (
        "halaman-numbers",
        "Dinas Kesehatan membuka posko.\nHalaman: 1 2\nPosko buka 24 jam.",
        "Dinas Kesehatan membuka posko.\nPosko buka 24 jam.",
    ),
    (
        "halaman-selanjutnya",
        "Tim gabungan menyisir sungai.\nHalaman selanjutnya",
        "Tim gabungan menyisir sungai.",
    ),
    (
        "halaman-berikutnya-inline",
        "Ia menambahkan bahwa bantuan sudah disalurkan. Halaman berikutnya",
        "Ia menambahkan bahwa bantuan sudah disalurkan.",
    ),
    (
        "selanjutnya-alone",
        "Pendaftaran dibuka Senin.\nSelanjutnya \u00bb",
        "Pendaftaran dibuka Senin.",
    ),
    (
        "page-number-strip",
        "Sidang ditunda pekan depan.\n1 2 3 Selanjutnya",
        "Sidang ditunda pekan depan.",
    ),
    # tag lists
    (
        "tags-line",
        "Hujan deras diperkirakan hingga Jumat.\nTags: banjir, serang, bpbd banten",
        "Hujan deras diperkirakan hingga Jumat.",
    ),
    (
        "tag-heading-then-tags",
        "BPBD menyiagakan perahu karet.\nTag:\nBanjir Serang\nBPBD Banten\nCuaca Ekstrem",
        "BPBD menyiagakan perahu karet.",
    ),
    (
        "tags-inline",
        "KPU menetapkan jadwal kampanye. Tags: pemilu, kpu",
        "KPU menetapkan jadwal kampanye.",
    ),
    (
        "hashtags",
        "Warga bergotong royong membersihkan lumpur.\n#banjir #serang #gotongroyong",
        "Warga bergotong royong membersihkan lumpur.",
    ),
    # share and follow prompts
    (
        "google-news-line",
        "Jalur Anyer kembali dibuka.\nIkuti berita terkini dan menarik lainnya di Google News",
        "Jalur Anyer kembali dibuka.",
    ),
    (
        "google-news-inline",
        "Jalur Anyer kembali dibuka. Ikuti berita terkini dan menarik lainnya di Google News",
        "Jalur Anyer kembali dibuka.",
    ),
    (
        "telegram-update",
        "Harga cabai turun.\nDapatkan update berita pilihan dan breaking news setiap hari dari "
        'Kompas.com. Mari bergabung di Grup Telegram "Kompas.com News Update", caranya klik '
        "link https://t.me/kompascomupdate, kemudian join.",
        "Harga cabai turun.",
    ),
    (
        "whatsapp-update-inline",
        "Stok BBM aman. Dapatkan update berita terbaru melalui WhatsApp Channel kami.",
        "Stok BBM aman.",
    ),
    (
        "bagikan-and-networks",
        "Festival Keraton digelar meriah.\nBagikan\nFacebook\nTwitter\nWhatsApp\nSalin tautan",
        "Festival Keraton digelar meriah.",
    ),
    (
        "share-line",
        "Jembatan Ciujung selesai diperbaiki.\nShare:\nBagikan artikel ini",
        "Jembatan Ciujung selesai diperbaiki.",
    ),
    (
        "follow-instagram",
        "Laga digelar di Stadion Maulana Yusuf.\nIkuti kami di Instagram @wartabanten",
        "Laga digelar di Stadion Maulana Yusuf.",
    ),
    (
        "advert-slots",
        "Harga emas naik. ADVERTISEMENT SCROLL TO CONTINUE WITH CONTENT Kenaikan dipicu dolar.",
        "Harga emas naik. Kenaikan dipicu dolar.",
    ),
    # editor and credit lines
    (
        "antara-credits",
        "Bupati meresmikan pasar baru.\nPewarta: Budi Santoso\nEditor: Ani Lestari\n"
        "Copyright \u00a9 ANTARA 2026",
        "Bupati meresmikan pasar baru.",
    ),
    (
        "ant-line",
        "Pemkab menyalurkan 5 ton beras.\n(ant)",
        "Pemkab menyalurkan 5 ton beras.",
    ),
    (
        "ant-inline",
        'Pemkab menyalurkan 5 ton beras, "kata dia." (ant)',
        'Pemkab menyalurkan 5 ton beras, "kata dia."',
    ),
    (
        "detik-initials",
        "Tersangka ditahan di Polres Cilegon. (mhd/fas)",
        "Tersangka ditahan di Polres Cilegon.",
    ),
    (
        "sumber-at-end",
        "Inflasi Banten tercatat 2,1 persen.\nSumber: Antara",
        "Inflasi Banten tercatat 2,1 persen.",
    ),
    (
        "sumber-inline-at-end",
        "Inflasi Banten tercatat 2,1 persen. Sumber: kompas.com",
        "Inflasi Banten tercatat 2,1 persen.",
    ),
    (
        "editor-inline",
        "Rapat dilanjutkan besok. Pewarta: Budi Santoso Editor: Ani",
        "Rapat dilanjutkan besok.",
    ),
    (
        "laporan-wartawan",
        "Laporan Wartawan TribunBanten.com, Ahmad Haris\nPolisi memburu pelaku begal.",
        "Polisi memburu pelaku begal.",
    ),
    (
        "artikel-ini-telah-tayang",
        "Polisi memburu pelaku begal.\nArtikel ini telah tayang di TribunBanten.com dengan judul "
        "Polisi buru begal",
        "Polisi memburu pelaku begal.",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in BOILERPLATE_CASES],
    ids=[case_id for case_id, _, _ in BOILERPLATE_CASES],
)
def test_boilerplate_is_removed(text: str, expected: str) -> None:
    assert strip_boilerplate(text) == expected


def test_there_are_at_least_thirty_boilerplate_cases() -> None:
    assert len(BOILERPLATE_CASES) >= 30


def test_words_only_in_a_related_line_do_not_survive() -> None:
    text = (
        "JAKARTA, KOMPAS.com - Rupiah menguat tipis. Baca Juga: Harga Kedelai Impor Melonjak "
        "Menurut analis, penguatan bersifat sementara.\nArtikel terkait: Nilai Tukar Petani"
    )
    cleaned = strip_boilerplate(text)
    assert cleaned == "Rupiah menguat tipis."
    for word in ("Kedelai", "Impor", "Petani", "KOMPAS"):
        assert word not in cleaned


DATELINES = [
    "SEWAKTU.com --",
    "JAKARTA, KOMPAS.com -",
    "Jakarta (ANTARA) -",
    "Serang, (ANTARA) -",
    "Liputan6.com, Jakarta -",
    "TEMPO.CO, Jakarta -",
    "JAKARTA, iNews.id -",
    "Bisnis.com, JAKARTA \u2014",
    "SERANG -",
    "REPUBLIKA.CO.ID, JAKARTA --",
    "Suara.com -",
    f"VIVA {EN_DASH}",
    "detikNews -",
    "Jakarta, CNN Indonesia --",
    "Jakarta, CNBC Indonesia -",
    "Jakarta -",
    "Bandar Lampung (ANTARA) -",
    "Jakarta, 25/11 (ANTARA) -",
    "TRIBUNNEWS.COM, JAKARTA -",
    "KOTA BOGOR -",
]


@pytest.mark.parametrize("dateline", DATELINES)
def test_dateline_prefix_is_removed(dateline: str) -> None:
    text = f"{dateline} Presiden meminta warga tetap tenang.\nBantuan terus disalurkan."
    assert strip_boilerplate(text) == (
        "Presiden meminta warga tetap tenang.\nBantuan terus disalurkan."
    )


def test_dateline_is_only_removed_at_the_start() -> None:
    text = "Warga berkumpul di alun-alun.\nSERANG - kota itu ramai."
    assert strip_boilerplate(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Warga Serang juga diminta waspada terhadap banjir susulan.",
        "Ia juga membaca laporan BMKG sebelum rapat dimulai.",
        "Polisi meminta warga membaca juga papan peringatan di tepi sungai.",
        "Menurut dia, baca juga aturan teknisnya sebelum mendaftar.",
        "Rapat berakhir. Baca juga buku panduan yang dibagikan panitia, pesan dia.",
        "Selanjutnya, polisi memeriksa tiga saksi.",
        "Tim juga membagikan bantuan kepada 200 keluarga.",
        "Editor senior itu mengatakan redaksi tetap independen.",
        "Inflasi naik.\nSumber: BPS mencatat kenaikan harga beras.\nOperasi pasar disiapkan.",
        "Presiden Joko Widodo - yang hadir di lokasi - meminta warga tenang.",
        "Kereta Cepat Jakarta-Bandung kembali beroperasi normal.",
        "Harga tiket naik (sekitar 10 persen) menjelang libur.",
    ],
)
def test_ordinary_sentences_are_kept(text: str) -> None:
    assert strip_boilerplate(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Halaman: " + "1" * 5000 + "x",
        "Halaman: " + "1 , " * 3000 + "x",
        "Oke. Ikuti berita x " * 5000,
        "Oke. Dapatkan update x " * 5000,
        "Oke. Gabung x " * 5000,
        "Aaaa, " * 3000 + "-x",
        "Ok. Halaman 1 " * 3000,
    ],
    ids=["digits", "separators", "ikuti", "dapatkan", "gabung", "places", "halaman"],
)
def test_pathological_lines_take_linear_time(text: str) -> None:
    ordinary = ("Harga beras naik di pasar Serang. " * len(text))[: len(text)]

    def clean(line: str) -> Callable[[], object]:
        return lambda: (strip_boilerplate(line), make_summary(line))

    assert cpu_seconds(clean(text)) < LINEAR_FACTOR * cpu_seconds(clean(ordinary))


def test_strip_boilerplate_of_empty_text_is_empty() -> None:
    assert strip_boilerplate("") == ""
    assert strip_boilerplate("Baca juga:\n\nTags") == ""


# --- clean_title -----------------------------------------------------------------------------


def test_clean_title_resolves_entities_and_keeps_outlet_suffix() -> None:
    raw = "  Harga &amp;quot;Cabai&amp;quot;\n Naik &amp; Stok Menipis - Kompas.com "
    assert clean_title(FeedText(raw)) == 'Harga "Cabai" Naik & Stok Menipis - Kompas.com'


def test_clean_title_is_one_line() -> None:
    assert clean_title(FeedText("<p>Banjir</p><p>Serang</p>")) == "Banjir Serang"


# --- make_summary ----------------------------------------------------------------------------


def test_summary_of_short_text_is_the_text() -> None:
    assert make_summary("Banjir  melanda\nSerang.", limit=300) == "Banjir melanda Serang."


def test_summary_cuts_at_sentence_end_within_limit() -> None:
    text = "Banjir melanda Serang. Air setinggi satu meter merendam ratusan rumah warga."
    assert make_summary(text, limit=40) == "Banjir melanda Serang."


def test_summary_uses_the_last_sentence_end_that_fits() -> None:
    text = "Satu dua. Tiga empat. Lima enam tujuh delapan sembilan sepuluh."
    assert make_summary(text, limit=25) == "Satu dua. Tiga empat."


def test_summary_cuts_at_word_boundary_without_sentence_end() -> None:
    text = "Pemerintah Provinsi Banten menyiapkan anggaran tanggap darurat untuk korban"
    summary = make_summary(text, limit=30)
    assert summary == "Pemerintah Provinsi Banten\u2026"
    assert len(summary) <= 30


def test_summary_drops_dangling_punctuation_before_ellipsis() -> None:
    assert (
        make_summary("Menurut dia, bantuan akan tiba besok pagi", limit=14) == "Menurut dia\u2026"
    )


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        (
            "Dr. H. Ahmad Suryana meninjau posko. Ia membawa bantuan obat-obatan.",
            50,
            "Dr. H. Ahmad Suryana meninjau posko.",
        ),
        (
            "Warga Jl. Ahmad Yani No. 5 mengungsi. Mereka tinggal di masjid.",
            45,
            "Warga Jl. Ahmad Yani No. 5 mengungsi.",
        ),
        (
            "Bantuan Rp. 5 juta diserahkan Prof. Budi. Dana berasal dari zakat warga.",
            50,
            "Bantuan Rp. 5 juta diserahkan Prof. Budi.",
        ),
        (
            "Ia membawa beras, gula, minyak, dll. untuk warga Kasemen yang terdampak.",
            40,
            "Ia membawa beras, gula, minyak, dll.\u2026",
        ),
        (
            "Jalan rusak sepanjang 3 km. Perbaikan dimulai pekan depan oleh dinas PUPR.",
            40,
            "Jalan rusak sepanjang 3 km. Perbaikan\u2026",
        ),
        (
            "Wisuda dihadiri Ir. Sutopo, S.T., M.Si. Acara berlangsung khidmat hingga sore.",
            45,
            "Wisuda dihadiri Ir. Sutopo, S.T., M.Si.\u2026",
        ),
    ],
    ids=["dr-h", "jl-no", "rp-prof", "dll", "km", "degrees"],
)
def test_summary_does_not_end_at_abbreviations(text: str, limit: int, expected: str) -> None:
    summary = make_summary(text, limit=limit)
    assert summary == expected
    assert len(summary) <= limit


def test_summary_of_a_single_overlong_word_is_empty() -> None:
    assert make_summary("x" * 400, limit=300) == ""


def test_summary_with_tiny_limit_is_empty() -> None:
    assert make_summary("Banjir melanda Serang", limit=1) == ""
    assert make_summary("Banjir melanda Serang", limit=0) == ""


def test_default_summary_limit_is_300() -> None:
    summary = make_summary("kata " * 200)
    assert summary.endswith("\u2026")
    assert len(summary) <= 300


_WORD = st.text(
    alphabet=st.sampled_from('abcdeAB.,;:!?"()\u2014\u2026\u00e9\U0001f600'),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(_WORD, max_size=60),
    separators=st.lists(st.sampled_from([" ", "  ", "\n", "\t"]), min_size=60, max_size=60),
    limit=st.integers(min_value=0, max_value=200),
)
def test_summary_is_within_limit_and_made_of_whole_leading_words(
    words: list[str], separators: list[str], limit: int
) -> None:
    text = "".join(word + separator for word, separator in zip(words, separators, strict=False))
    summary = make_summary(text, limit=limit)
    assert len(summary) <= limit
    flat = " ".join(text.split())
    if flat.startswith(summary):
        # A sentence cut (or the whole text): it must end where a word ends.
        assert summary in ("", flat) or flat[len(summary)] == " "
        return
    assert summary.endswith("\u2026")
    original = text.split()
    shown = summary.removesuffix("\u2026").split()
    assert 0 < len(shown) <= len(original)
    assert shown[:-1] == original[: len(shown) - 1]
    # A cut at a word may shed dangling punctuation, but never letters of a word.
    assert original[len(shown) - 1].rstrip(DANGLING) in (shown[-1], shown[-1].rstrip(DANGLING))


# --- clean_entry_text -----------------------------------------------------------------------


def clean_html_entry(
    title: str, summary_html: str, content_html: str | None
) -> tuple[str, str, str]:
    """clean_entry_text of an entry whose fields are all HTML, as RSS descriptions are."""
    content = None if content_html is None else FeedText(content_html)
    return clean_entry_text(FeedText(title), FeedText(summary_html), content)


def test_entry_prefers_longer_content_and_strips_boilerplate() -> None:
    summary_html = "<p>Banjir melanda Serang.</p>"
    content_html = (
        "<p>SERANG, KOMPAS.com - Banjir melanda Serang sejak Rabu malam.</p>"
        "<p><strong>Baca juga:</strong> <a href='/x'>Longsor di Lebak</a></p>"
        "<p>Sebanyak 300 rumah terendam. Warga mengungsi ke masjid.</p>"
        "<p>Pewarta: Budi</p>"
    )
    title, body, summary = clean_html_entry("Banjir &amp; Longsor", summary_html, content_html)
    assert title == "Banjir & Longsor"
    # The dateline's place stays for matching; the outlet and the related link go.
    assert body == (
        "SERANG\nBanjir melanda Serang sejak Rabu malam.\n"
        "Sebanyak 300 rumah terendam. Warga mengungsi ke masjid."
    )
    assert summary == (
        "Banjir melanda Serang sejak Rabu malam. Sebanyak 300 rumah terendam. "
        "Warga mengungsi ke masjid."
    )
    assert "Lebak" not in body


def test_entry_keeps_summary_when_content_is_shorter() -> None:
    title, body, summary = clean_html_entry(
        "Judul", "<p>Ringkasan yang lebih panjang dari isi.</p>", "<p>Isi.</p>"
    )
    assert (title, body, summary) == (
        "Judul",
        "Ringkasan yang lebih panjang dari isi.",
        "Ringkasan yang lebih panjang dari isi.",
    )


@pytest.mark.parametrize(
    ("summary_html", "body"),
    [
        # the same text as the title is taken for the title's own line and leaves no body
        ("Gempa M5,2 Guncang Banten", ""),
        ("<p>Gempa M5,2 guncang Banten!</p>", ""),
        (
            "Gempa M5,2 Guncang Banten&nbsp;&nbsp;<font>Kompas.com</font>",
            "Gempa M5,2 Guncang Banten Kompas.com",
        ),
        ("Gempa M5,2 Guncang", "Gempa M5,2 Guncang"),
    ],
)
def test_entry_drops_a_summary_that_repeats_the_title(summary_html: str, body: str) -> None:
    assert clean_html_entry("Gempa M5,2 Guncang Banten", summary_html, None) == (
        "Gempa M5,2 Guncang Banten",
        body,
        "",
    )


def test_entry_keeps_a_summary_that_adds_to_the_title() -> None:
    _, _, summary = clean_html_entry(
        "Banjir di Serang", "Banjir di Serang, 300 rumah terendam dan dua warga hilang.", None
    )
    assert summary == "Banjir di Serang, 300 rumah terendam dan dua warga hilang."


def test_entry_drops_the_title_repeated_as_first_line() -> None:
    _, body, _ = clean_html_entry(
        "Gempa Guncang Banten",
        "<h1>Gempa Guncang Banten</h1><p>Warga panik keluar rumah.</p>",
        None,
    )
    assert body == "Warga panik keluar rumah."


def test_entry_without_title_keeps_the_text() -> None:
    assert clean_html_entry("", "Banjir melanda Serang.", None) == (
        "",
        "Banjir melanda Serang.",
        "Banjir melanda Serang.",
    )


def test_entry_summary_is_limited() -> None:
    content = "<p>" + "Warga mengungsi ke masjid terdekat. " * 40 + "</p>"
    _, body, summary = clean_html_entry("Banjir", "", content)
    assert len(body) > 300
    assert len(summary) <= 300
    assert summary.endswith(".")


# --- plain text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("Air Naik > 1 Meter & <Warga> Mengungsi", "Air Naik > 1 Meter & <Warga> Mengungsi"),
        ("Skor 3<5 dan <b> bukan tag", "Skor 3<5 dan <b> bukan tag"),
        # a feed that escaped twice: the entities left are resolved, nothing becomes a tag
        ("Harga &quot;Cabai&quot; &lt;Rp 50 ribu&gt;", 'Harga "Cabai" <Rp 50 ribu>'),
        ("Baris\u200b satu\r\n\x01Baris  dua", "Baris satu\nBaris dua"),
    ],
)
def test_plain_text_is_kept_as_text(plain: str, expected: str) -> None:
    assert FeedText(plain, is_html=False).text() == expected


def test_a_plain_text_title_and_summary_keep_their_angle_brackets() -> None:
    title, body, summary = clean_entry_text(
        FeedText("Air Naik > 1 Meter & <Warga> Mengungsi", is_html=False),
        FeedText("Warga <RT 05> mengungsi ke masjid.", is_html=False),
        None,
    )
    assert title == "Air Naik > 1 Meter & <Warga> Mengungsi"
    assert body == summary == "Warga <RT 05> mengungsi ke masjid."


def test_an_html_title_still_loses_its_tags() -> None:
    assert clean_title(FeedText("<b>Banjir</b> &lt;Serang&gt;")) == "Banjir <Serang>"


# --- the dateline's place ---------------------------------------------------------------------

DATELINE_PLACES = [
    # (dateline, a topic its place must match, a topic its outlet must not match)
    ("JAKARTA, KOMPAS.com -", "Jakarta", "Kompas"),
    ("Kupang (ANTARA) -", "Kupang", "Antara"),
    ("SERANG, KOMPAS.com \u2014", "Serang", "Kompas"),
    ("Jakarta, CNN Indonesia --", "Jakarta", "CNN"),
    ("Jakarta, CNBC Indonesia -", "Jakarta", "CNBC Indonesia"),
    ("TANGERANG SELATAN, KOMPAS.com -", "Tangerang Selatan", "Kompas"),
    ("KUPANG, POS-KUPANG.COM -", "Kupang", "Pos Kupang"),
    ("Liputan6.com, Jakarta -", "Jakarta", "Liputan6"),
    ("REPUBLIKA.CO.ID, JAKARTA --", "Jakarta", "Republika"),
    ("Bandar Lampung (ANTARA) -", "Bandar Lampung", "Antara"),
    ("Jakarta, 25/11 (ANTARA) -", "Jakarta", "Antara"),
    ("Serang, (ANTARA) -", "Serang", "Antara"),
]


@pytest.mark.parametrize(("dateline", "place", "outlet"), DATELINE_PLACES)
def test_the_datelines_place_is_matched_and_its_outlet_is_not(
    dateline: str, place: str, outlet: str
) -> None:
    story = "Harga beras di pasar naik lagi pekan ini."
    _, body, summary = clean_html_entry("Beras mahal", f"<p>{dateline} {story}</p>", None)
    assert summary == story
    document = prepare_document("Beras mahal", body)
    assert parse_topic(place).matches(document)
    assert not parse_topic(outlet).matches(document)


@pytest.mark.parametrize("dateline", ["SEWAKTU.com --", "detikNews -", f"VIVA {EN_DASH}"])
def test_a_dateline_naming_only_the_outlet_leaves_nothing_to_match(dateline: str) -> None:
    _, body, summary = clean_html_entry("Beras mahal", f"<p>{dateline} Harga beras naik.</p>", None)
    assert body == summary == "Harga beras naik."


def test_the_place_comes_from_the_summary_when_the_content_has_no_dateline() -> None:
    _, body, summary = clean_html_entry(
        "Beras mahal",
        "<p>KUPANG, POS-KUPANG.COM - Harga beras naik.</p>",
        "<p>Harga beras di pasar naik lagi pekan ini, kata pedagang.</p>",
    )
    assert summary == "Harga beras di pasar naik lagi pekan ini, kata pedagang."
    assert parse_topic("Kupang").matches(prepare_document("Beras mahal", body))


def test_a_title_of_thousands_of_words_is_cut_at_a_space() -> None:
    words = " ".join(f"kata{n}" for n in range(60_000))
    title = clean_title(FeedText(f"<b>Banjir</b> {words}"))
    assert title.startswith("Banjir kata0 kata1 ")
    assert len(title) <= 1000
    assert title.endswith("…")
    assert title[:-1].split()[-1].startswith("kata")  # a whole word before the ellipsis
