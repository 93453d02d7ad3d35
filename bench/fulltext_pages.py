"""Write the labelled article pages of the full-text recall benchmark (bench/data/fulltext/).

    python -m bench.fulltext_pages

Each item is a feed entry that carries a teaser only (title and the lead sentence), and an
article page laid out as one of six big Indonesian outlets lays its pages out: header and
navigation, a dateline, the story's paragraphs with "Baca juga" links between them, pagination,
tags, share buttons, a "Terpopuler" sidebar, comments and a footer. The label is a topic whose
words appear only in the article's later paragraphs (never in the title or teaser), and a trap
topic whose words appear only in the page's boilerplate (related links, sidebar, tags,
comments): an extractor that keeps boilerplate alerts the trap. Every tenth story goes on on a
second page that holds the topic's words (Warta fetches only the linked page: expected misses).
Deterministic (seeded), so the saved pages are the ones this writes.
"""

from __future__ import annotations

import html
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

DATA = Path(__file__).with_name("data") / "fulltext"
ITEMS = 120
SEED = 13

PLACES = [
    ("Serang", "Banten"), ("Pandeglang", "Banten"), ("Cilegon", "Banten"), ("Lebak", "Banten"),
    ("Bandung", "Jawa Barat"), ("Garut", "Jawa Barat"), ("Cirebon", "Jawa Barat"),
    ("Semarang", "Jawa Tengah"), ("Klaten", "Jawa Tengah"), ("Surabaya", "Jawa Timur"),
    ("Malang", "Jawa Timur"), ("Kupang", "NTT"), ("Makassar", "Sulawesi Selatan"),
    ("Medan", "Sumatera Utara"), ("Padang", "Sumatera Barat"), ("Pontianak", "Kalimantan Barat"),
]  # fmt: skip
PEOPLE = [
    "Agus Salim Harahap", "Ratna Dewi Lestari", "Bambang Wisnu Aji", "Siti Nurhaliza Putri",
    "Yohanes Bere Mau", "Made Suarjana", "Andi Sudirman Sulaiman", "Teguh Prasetyo",
    "Fransiska Nahak", "Rudi Hartono Siregar", "Wayan Gede Artha", "Lukas Enembe Wonda",
    "Dedi Mulyadi Saputra", "Hendra Gunawan Lubis", "Nurul Aini Rahmawati", "Joko Santoso",
]  # fmt: skip
BODIES = [
    "BPBD", "Basarnas", "Dinas Pendidikan", "Polres", "Kejaksaan Negeri", "Dinas Kesehatan",
    "PLN", "PDAM", "Bawaslu", "KPU", "Dinas Perhubungan", "BMKG",
]  # fmt: skip
STORIES = [
    ("Banjir rendam {n} rumah di {place}", "Banjir merendam {n} rumah warga di {place} setelah "
     "hujan deras mengguyur sejak Minggu malam.", "banjir"),
    ("Jembatan penghubung desa di {place} ambruk", "Jembatan yang menghubungkan dua desa di "
     "{place} ambruk diterjang arus sungai yang meluap.", "jembatan"),
    ("Harga cabai di {place} tembus Rp{n} ribu", "Harga cabai rawit di pasar tradisional "
     "{place} naik tajam menjelang akhir tahun.", "cabai"),
    ("Ratusan siswa di {place} keracunan makanan", "Sebanyak {n} siswa sekolah dasar di {place} "
     "mengalami mual dan pusing usai menyantap makanan di sekolah.", "keracunan"),
    ("Kebakaran hanguskan {n} kios pasar di {place}", "Api melalap {n} kios di pasar induk "
     "{place} pada Selasa dini hari.", "kebakaran"),
    ("Longsor tutup jalan provinsi di {place}", "Tanah longsor menutup badan jalan provinsi di "
     "{place} sehingga kendaraan tidak bisa melintas.", "longsor"),
    ("Pemadaman listrik bergilir di {place}", "Warga {place} mengeluhkan pemadaman listrik "
     "bergilir yang terjadi hampir setiap malam.", "listrik"),
    ("Kasus DBD di {place} meningkat", "Kasus demam berdarah dengue di {place} meningkat "
     "menjadi {n} kasus sejak awal bulan.", "dbd"),
]  # fmt: skip
# Said in later paragraphs: where the topic's words are.
LATER = [
    "Kepala {body} {place}, {person}, mengatakan pihaknya sudah menurunkan petugas ke lokasi.",
    '"Kami minta warga tetap waspada," ujar {person} saat ditemui di kantornya, Senin.',
    "Menurut {person}, penanganan akan dilanjutkan bersama {body} hingga kondisi kembali normal.",
    "Data {body} mencatat kerugian sementara ditaksir mencapai Rp{n} juta.",
    "Warga berharap pemerintah daerah segera turun tangan agar kejadian serupa tidak terulang.",
    "Petugas gabungan masih berjaga di lokasi untuk mengantisipasi kemungkinan terburuk.",
]
TRAPS = [
    "Persib", "Timnas", "Raffi Ahmad", "iPhone", "Piala Dunia", "Bitcoin", "Lesti Kejora",
    "Mobil Listrik", "Kereta Cepat", "Pinjol", "Judi Online", "Harga Emas",
]  # fmt: skip
NAV = ["Beranda", "News", "Regional", "Nasional", "Ekonomi", "Olahraga", "Tekno", "Otomotif"]


@dataclass(frozen=True)
class Labelled:
    """One item: what the feed sent, its page, and the topics it should and should not alert."""

    page: str
    url: str
    title: str
    teaser: str
    region: str
    topic: str  # words only in the article's later paragraphs
    trap: str  # words only in the page's boilerplate
    layout: str
    # The story goes on on a second page ("Halaman 2") that holds the topic's words: Warta
    # fetches the page the feed links to only, so these are expected to stay missed.
    paged: bool = False


@dataclass(frozen=True)
class Story:
    """The parts a layout arranges."""

    title: str
    place: str
    paragraphs: list[str]
    related: list[str]  # "Baca juga" headlines
    popular: list[str]  # sidebar headlines
    tags: list[str]
    comments: list[str]


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _nav() -> str:
    links = "".join(f"<li><a href='/{name.lower()}'>{name}</a></li>" for name in NAV)
    # The mega-menu of every channel and region that the big outlets open on hover.
    mega = "".join(
        f"<li><a href='/{name.lower()}/{place.lower()}'>{name} {place}</a></li>"
        for name in NAV
        for place, _ in PLACES
    )
    return (
        f"<header><div class='logo'>Logo</div><nav><ul>{links}</ul>"
        f"<div class='mega-menu'><ul>{mega}</ul></div></nav></header>"
    )


def _scripts(rng: random.Random) -> str:
    """The tracking, ad and structured-data scripts that make up most of a news page's bytes."""
    config = json.dumps({f"slot_{i}": [rng.randint(0, 9999) for _ in range(20)] for i in range(60)})
    return (
        '<script type=\'application/ld+json\'>{"@type": "NewsArticle"}</script>'
        f"<script>var adConfig = {config};</script>"
        "<style>" + ".c{margin:0;padding:0}" * 400 + "</style>"
    )


def _latest(rng: random.Random) -> str:
    """A "Berita Terkini" strip of other headlines."""
    titles = [
        STORIES[i % len(STORIES)][0].format(place=rng.choice(PLACES)[0], n=rng.randint(2, 99))
        for i in range(30)
    ]
    heads = "".join(
        f"<li><a href='/t/{i}'>{t}</a><span>1 jam lalu</span></li>" for i, t in enumerate(titles)
    )
    return f"<section class='terkini'><h3>Berita Terkini</h3><ul>{heads}</ul></section>"


def _popular(story: Story) -> str:
    items = "".join(f"<li><a href='/p/{i}'>{_e(t)}</a></li>" for i, t in enumerate(story.popular))
    return f"<aside class='sidebar'><h3>Terpopuler</h3><ol>{items}</ol></aside>"


def _comments(story: Story) -> str:
    items = "".join(
        f"<div class='comment'><b>pembaca{i}</b><p>{_e(t)}</p></div>"
        for i, t in enumerate(story.comments)
    )
    return f"<section id='comments'><h3>Komentar</h3>{items}</section>"


def _page(title: str, inner: str, story: Story, outlet: str) -> str:
    rng = random.Random(title)
    return (
        f"<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'><title>{_e(title)} - "
        f"{outlet}</title><meta property='og:title' content='{_e(title)}'>"
        f"{_scripts(rng)}</head><body>"
        f"{_nav()}<main>{inner}{_popular(story)}{_latest(rng)}</main>{_comments(story)}"
        f"<footer><p>Redaksi | Pedoman Media Siber | Kontak</p><p>Copyright © 2026 {outlet}. "
        "All rights reserved.</p></footer></body></html>"
    )


def _kompas(s: Story) -> str:
    paras = [f"<p><strong>{s.place.upper()}, KOMPAS.com</strong> - {_e(s.paragraphs[0])}</p>"]
    for i, text in enumerate(s.paragraphs[1:], start=1):
        paras.append(f"<p>{_e(text)}</p>")
        if i == 2:
            paras.append(f"<p><strong>Baca juga: <a href='/r'>{_e(s.related[0])}</a></strong></p>")
    tags = "".join(f"<li><a>{_e(t)}</a></li>" for t in s.tags)
    inner = (
        f"<div class='read__header'><h1 class='read__title'>{_e(s.title)}</h1>"
        "<div class='read__time'>Kompas.com - 30/11/2026, 10:15 WIB</div>"
        "<div class='social'>Bagikan artikel ini Facebook Twitter WhatsApp Copy link</div></div>"
        f"<div class='read__content'><div class='clearfix'>{''.join(paras)}</div>"
        "<div class='read__paging'>Halaman: 1 2 Selanjutnya</div></div>"
        f"<div class='tag__article'><h4>Tag</h4><ul>{tags}</ul></div>"
        "<p>Dapatkan update berita pilihan setiap hari dari Kompas.com di Telegram.</p>"
    )
    return _page(s.title, f"<article>{inner}</article>", s, "Kompas.com")


def _detik(s: Story) -> str:
    paras = [f"<strong>{s.place}</strong> - {_e(s.paragraphs[0])}<br><br>"]
    for i, text in enumerate(s.paragraphs[1:], start=1):
        paras.append(f"{_e(text)}<br><br>")
        if i == 1:
            paras.append(
                "<div class='parallaxindetail'>ADVERTISEMENT<br>SCROLL TO CONTINUE "
                "WITH CONTENT</div>"
            )
        if i == 3:
            paras.append(f"<p>Baca juga: <a href='/r'>{_e(s.related[0])}</a></p>")
    paras.append("[Gambas:Video 20detik]<br>(idh/dil)")
    tags = "".join(f"<a class='nav__item'>{_e(t)}</a>" for t in s.tags)
    inner = (
        f"<article class='detail'><div class='detail__header'><h1 class='detail__title'>"
        f"{_e(s.title)}</h1><div class='detail__author'>Bima Saputra - detikNews</div>"
        "<div class='detail__date'>Senin, 30 Nov 2026 10:15 WIB</div></div>"
        f"<div class='detail__body-text itp_bodycontent'>{''.join(paras)}</div>"
        f"<div class='detail__body-tag'><div class='nav'>{tags}</div></div>"
        f"<div class='detail__share'>Share Facebook Twitter Copy link</div></article>"
    )
    return _page(s.title, inner, s, "detikNews")


def _tribun(s: Story) -> str:
    site = f"TRIBUN{s.place.upper().replace(' ', '')}.COM"
    paras = [f"<p><strong>{site}, {s.place.upper()}</strong> - {_e(s.paragraphs[0])}</p>"]
    for i, text in enumerate(s.paragraphs[1:], start=1):
        paras.append(f"<p>{_e(text)}</p>")
        if i in (1, 3):
            related = s.related[0 if i == 1 else 1]
            paras.append(f"<p><strong>Baca juga: <a href='/r{i}'>{_e(related)}</a></strong></p>")
    paras.append(
        f"<p>Artikel ini telah tayang di Tribun{s.place}.com dengan judul "
        f"{_e(s.title)}</p><p>Ikuti kami di Google News</p>"
    )
    tags = "".join(f"<a class='rd2'>#{_e(t)}</a> " for t in s.tags)
    inner = (
        f"<div id='article'><h1 id='arttitle'>{_e(s.title)}</h1>"
        "<div class='credit'>Penulis: Ahmad Fauzi | Editor: Dewi Sartika</div>"
        "<time>Senin, 30 November 2026 10:15 WIB</time>"
        f"<div class='side-article txt-article multi-fontsize'>{''.join(paras)}</div>"
        f"<div class='tagcloud3'><h5>Tags:</h5>{tags}</div>"
        "<div class='share'>Bagikan: WhatsApp Facebook Twitter Line</div></div>"
    )
    return _page(s.title, inner, s, f"Tribun{s.place}.com")


def _antara(s: Story) -> str:
    paras = [f"{s.place} (ANTARA) - {_e(s.paragraphs[0])}<br><br>"]
    paras += [f"{_e(text)}<br><br>" for text in s.paragraphs[1:]]
    paras.append(f"<p class='baca-juga'>Baca juga: <a>{_e(s.related[0])}</a></p>")
    tags = "".join(f"<li><a>{_e(t)}</a></li>" for t in s.tags)
    inner = (
        f"<div class='wrap__article-detail'><h1 class='post-title'>{_e(s.title)}</h1>"
        "<ul class='list-inline'><li>Senin, 30 November 2026 10:15 WIB</li></ul>"
        f"<div class='post-content clearfix'>{''.join(paras)}"
        "<p class='text-muted'>Pewarta: Mulyana<br>Editor: Budi Setiawan<br>"
        "Copyright © ANTARA 2026</p></div>"
        f"<div class='tags-wrapper'><ul class='tags-list'>{tags}</ul></div>"
        "<div class='share-wrap'>Share Facebook Twitter WhatsApp</div></div>"
    )
    return _page(s.title, inner, s, "ANTARA News")


def _cnn(s: Story) -> str:
    paras = [f"<p><strong>{s.place}, CNN Indonesia</strong> -- {_e(s.paragraphs[0])}</p>"]
    for i, text in enumerate(s.paragraphs[1:], start=1):
        paras.append(f"<p>{_e(text)}</p>")
        if i == 2:
            paras.append(
                f"<table class='linksisip'><tr><td><strong>Lihat Juga :</strong>"
                f"<a>{_e(s.related[0])}</a></td></tr></table>"
            )
    paras.append("<p>[Gambas:Video CNN]</p><p>(tim/sfr)</p>")
    tags = "".join(f"<a class='topik'>{_e(t)}</a>" for t in s.tags)
    inner = (
        f"<div class='content-artikel'><h1 class='title'>{_e(s.title)}</h1>"
        "<div class='date'>CNN Indonesia | Senin, 30 Nov 2026 10:15 WIB</div>"
        f"<div class='detail-text'>{''.join(paras)}</div>"
        f"<div class='box-topik'><span>TOPIK TERKAIT</span>{tags}</div>"
        "<div class='share-bottom'>Bagikan: Facebook Twitter WhatsApp</div></div>"
    )
    return _page(s.title, inner, s, "CNN Indonesia")


def _liputan6(s: Story) -> str:
    lead = f"<p><b>Liputan6.com, {s.place}</b> - {_e(s.paragraphs[0])}</p>"
    rest = "".join(f"<p>{_e(text)}</p>" for text in s.paragraphs[1:])
    related = (
        "<div class='baca-juga-collections'><div class='baca-juga__header'>Baca Juga"
        "</div><ul>" + "".join(f"<li><a>{_e(r)}</a></li>" for r in s.related) + "</ul></div>"
    )
    tags = "".join(f"<li><a>{_e(t)}</a></li>" for t in s.tags)
    inner = (
        f"<article class='read-page--header'><h1 class='read-page--header--title'>"
        f"{_e(s.title)}</h1><p class='read-page--header--author__name'>Reza Pahlevi</p>"
        "<time>30 Nov 2026, 10:15 WIB</time>"
        f"<div class='article-content-body__item-content'>{lead}"
        "<div class='advertisement-text'>Advertisement</div>"
        f"{related}{rest}</div>"
        f"<div class='tags--snippet'><span>Tag Terkait</span><ul>{tags}</ul></div>"
        "<div class='read-page--social-share'>Share Facebook Twitter WhatsApp</div></article>"
    )
    return _page(s.title, inner, s, "Liputan6.com")


LAYOUTS: dict[str, Callable[[Story], str]] = {
    "kompas": _kompas,
    "detik": _detik,
    "tribun": _tribun,
    "antara": _antara,
    "cnn": _cnn,
    "liputan6": _liputan6,
}


def _item(number: int, rng: random.Random) -> tuple[Labelled, str]:
    place, region = rng.choice(PLACES)
    person = PEOPLE[number % len(PEOPLE)]
    body = rng.choice(BODIES)
    title_t, lead_t, _ = STORIES[number % len(STORIES)]
    n = rng.randint(12, 480)
    fill = {"place": place, "person": person, "body": body, "n": n}
    title, lead = title_t.format(**fill), lead_t.format(**fill)
    later = [sentence.format(**fill) for sentence in rng.sample(LATER, 4)]
    if not any(person in s for s in later):
        later[1] = LATER[0].format(**fill)
    trap = TRAPS[number % len(TRAPS)]
    paged = number % 10 == 9
    if paged:
        later = [s for s in later if person not in s] or [LATER[4]]
    story = Story(
        title=title,
        place=place,
        paragraphs=[lead, "Peristiwa itu membuat aktivitas warga terganggu.", *later],
        related=[f"{trap} jadi sorotan pekan ini", f"Kabar terbaru soal {trap}"],
        popular=[f"Heboh {trap}, ini kata warganet", "Jadwal libur akhir tahun 2026"],
        tags=[trap, place, "Berita Daerah"],
        comments=[f"Mending bahas {trap} saja", "Semoga cepat ditangani"],
    )
    layout = list(LAYOUTS)[number % len(LAYOUTS)]
    page = f"{number:03d}-{layout}.html"
    labelled = Labelled(
        page=page,
        url=f"https://{layout}.example/read/{number}",
        title=title,
        teaser=lead,
        region=region,
        topic=f'"{person}"',
        trap=f'"{trap}"',
        layout=layout,
        paged=paged,
    )
    return labelled, LAYOUTS[layout](story)


def main() -> None:
    """Write the pages and labels.json."""
    rng = random.Random(SEED)
    DATA.mkdir(parents=True, exist_ok=True)
    labels = []
    for number in range(ITEMS):
        labelled, page = _item(number, rng)
        (DATA / labelled.page).write_text(page, encoding="utf-8")
        labels.append(asdict(labelled))
    (DATA / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(labels)} pages to {DATA}")


if __name__ == "__main__":
    main()
