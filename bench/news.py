"""The benchmarks' news: varied regional items, and a day's items that match topics at a known rate.

feed_items writes the items the ingestion benchmarks poll.

Every item carries one keyword from a vocabulary of made-up words (consonants no Indonesian
affix starts with, so no stemming joins two of them), and readers' topics are drawn from the
same vocabulary: an item then reaches topics / vocabulary readers on average, a figure the run
sets so that its alerts fit the send rate. A small share of items names a regency or city in
its dateline, reaching the readers who follow that place.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.standin import FeedItem

SUBJECTS = [
    "Pemprov Banten",
    "BPBD",
    "Polda Metro",
    "Warga",
    "Gubernur",
    "Bupati Lebak",
    "KPK",
    "DPRD",
    "Petani",
    "Nelayan",
    "Dinkes",
    "Basarnas",
    "BMKG",
    "Pemkot Serang",
]
VERBS = [
    "salurkan",
    "tinjau",
    "bahas",
    "tolak",
    "dukung",
    "evakuasi",
    "periksa",
    "resmikan",
    "umumkan",
    "siapkan",
    "tangani",
    "laporkan",
]
OBJECTS = [
    "bantuan banjir",
    "harga beras",
    "jalan rusak",
    "korban longsor",
    "pasar murah",
    "anggaran daerah",
    "kasus korupsi",
    "vaksinasi anak",
    "gempa susulan",
    "jembatan baru",
    "kekeringan",
    "pelabuhan",
    "sekolah rusak",
    "tol Serang-Panimbang",
]
PLACES = [
    "Serang",
    "Cilegon",
    "Pandeglang",
    "Lebak",
    "Tangerang",
    "Bogor",
    "Garut",
    "Cianjur",
    "Bekasi",
    "Depok",
    "Sukabumi",
    "Karawang",
    "Subang",
    "Indramayu",
]


def feed_items(feed: int, count: int) -> list[FeedItem]:
    """Realistic, varied items, newest first (seeded: every run publishes the same news)."""
    pick = random.Random(feed)
    now = datetime.now(UTC)
    items = []
    for n in range(count):
        title = (
            f"{pick.choice(SUBJECTS)} {pick.choice(VERBS)} {pick.choice(OBJECTS)} di "
            f"{pick.choice(PLACES)}, {pick.randint(2, 900)} warga terdampak"
        )
        items.append(
            FeedItem(
                title=title,
                link=f"https://daerah{feed}.example/berita/{n}",
                guid=f"daerah{feed}-{n}",
                description=f"<p>SERANG, (ANTARA) - {title}. Baca Juga: Berita lain</p>"
                + "<p>Isi berita yang cukup panjang untuk sebuah ringkasan.</p>" * 5,
                published=now - timedelta(minutes=n),
            )
        )
    return items


_CONSONANTS = "zvxqgfjw"
_VOWELS = "oua"
# Places named in datelines: a regency or city per share of items (set by the run).
DATELINES = ("SERANG", "CILEGON", "PANDEGLANG", "LEBAK", "GARUT", "CIANJUR", "SUKABUMI", "SUBANG")


def keyword(index: int) -> str:
    """The index-th made-up word: four syllables, the last ending in 'o'."""
    syllables = [c + v for c in _CONSONANTS for v in _VOWELS]
    last = [c + "o" for c in _CONSONANTS]
    head, tail = divmod(index, len(last))
    word = last[tail]
    for _ in range(3):
        head, part = divmod(head, len(syllables))
        word = syllables[part] + word
    return word


def vocabulary_size() -> int:
    """How many different keywords there are."""
    return (len(_CONSONANTS) * len(_VOWELS)) ** 3 * len(_CONSONANTS)


# Subjects and objects that name no place: only a dateline places a day item on the map.
DAY_SUBJECTS = ("Pemerintah", "Warga", "Petugas", "Relawan", "Pengusaha", "Mahasiswa", "Petani")
DAY_OBJECTS = ("bantuan sosial", "harga beras", "jalan rusak", "pasar murah", "anggaran", "sekolah")


def day_item(
    feed: int, number: int, *, words: int = 100_000, place_share: float = 0.01
) -> FeedItem:
    """The number-th item a feed publishes in the day (seeded: every run has the same news)."""
    pick = random.Random(feed * 1_000_003 + number)
    word = keyword(pick.randrange(words))
    title = (
        f"{pick.choice(DAY_SUBJECTS)} {pick.choice(VERBS)} {pick.choice(DAY_OBJECTS)} {word} "
        f"nomor {pick.randint(2, 99_999)}"
    )
    dateline = f"{pick.choice(DATELINES)} - " if pick.random() < place_share else ""
    return FeedItem(
        title=title,
        link=f"https://hari{feed}.example/berita/{number}",
        guid=f"hari{feed}-{number}",
        description=f"<p>{dateline}{title}. Isi berita yang cukup panjang.</p>",
        published=datetime.now(UTC),
    )
