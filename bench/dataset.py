"""A production-sized database for the benchmarks, written straight into SQLite or PostgreSQL.

The schema comes from Storage.open() (so the migrations, the items_fts triggers and the GIN
index are the real ones); rows go in with executemany on SQLite and COPY on PostgreSQL
(bench/dataset_postgres.py), many times faster than the bot's one-by-one path. Both engines get
the same rows from the same seed, items with the same ids.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from bench.dataset_postgres import fill_postgres
from bench.news import OBJECTS, PLACES, SUBJECTS, VERBS
from bot.matching import TopicSyntaxError, parse_topic
from storage import Storage, is_postgres_url
from storage.fulltext import index_text
from storage.models import FeedSeed

SEED = 20251125
DAY = 24 * 3600
RETENTION_DAYS = 30
FEEDS = 60
BATCH = 20_000

REGIONS = ["Banten", "Jawa Barat", "Jawa Tengah", "Jawa Timur", "DKI Jakarta", "Nasional"]
THEMES = [
    "banjir",
    "banjir bandang",
    "gempa",
    "tanah longsor",
    "kebakaran",
    "harga beras",
    "korupsi",
    "pilkada",
    "demam berdarah",
    "jalan rusak",
    "kekeringan",
    "tawuran",
    "judi online",
    "kecelakaan",
    "mudik",
    "stunting",
]
WORLD = ["Korea Utara", "Ukraina", "Rusia", "Gaza", "Israel", "Palestina", "Jepang", "Malaysia"]
FILLER = (  # noqa: SIM905
    "pemerintah daerah menyatakan warga diminta tetap waspada petugas gabungan diterjunkan "
    "sejak pagi hari menurut keterangan kepala dinas setempat kerugian ditaksir mencapai "
    "miliaran rupiah sejumlah ruas jalan ditutup sementara bantuan logistik mulai disalurkan "
    "kepada para korban aparat masih menyelidiki penyebab kejadian tersebut masyarakat "
    "diimbau tidak panik dan mengikuti arahan resmi"
).split()


def topic_text(pick: random.Random) -> str:
    """One topic as readers write them: places, themes, both, and a few operator queries."""
    roll = pick.random()
    place, theme = pick.choice(PLACES), pick.choice(THEMES)
    if roll < 0.3:
        return place
    if roll < 0.5:
        return theme
    if roll < 0.7:
        return f"{theme} {place}"
    if roll < 0.8:
        return pick.choice(WORLD)
    if roll < 0.9:
        return f"{theme} OR {pick.choice(THEMES)}"
    return f"{theme} AND {place}"


def item_rows(count: int, now: float, pick: random.Random) -> Iterator[tuple[object, ...]]:
    """Items spread over the retention period, oldest first (ids grow with time, as live)."""
    span = (RETENTION_DAYS - 0.5) * DAY
    for n in range(count):
        fetched = now - span + span * n / count
        title = (
            f"{pick.choice(SUBJECTS)} {pick.choice(VERBS)} {pick.choice(OBJECTS)} di "
            f"{pick.choice(PLACES)}, {pick.choice(THEMES)} {pick.randint(2, 900)} warga"
        )
        words = pick.choices(FILLER, k=pick.randint(30, 50))
        words.insert(pick.randrange(len(words)), pick.choice(THEMES))
        words.insert(pick.randrange(len(words)), pick.choice(PLACES + WORLD))
        body = f"{title}. {' '.join(words)}."
        yield (
            n % FEEDS + 1,
            f"urn:bench:{n}",
            title,
            body[:300],
            body,
            f"https://berita.example/{n}",
            fetched - 600,
            fetched,
        )


def topic_rows(
    chats: int, topics: int, now: float, pick: random.Random
) -> list[tuple[object, ...]]:
    """Distinct (chat, key) topics, about two per chat, parsed as the bot stores them."""
    keys: dict[str, tuple[str, str]] = {}
    rows: dict[tuple[int, str], tuple[object, ...]] = {}
    while len(rows) < topics:
        text = topic_text(pick)
        if text not in keys:
            try:
                query = parse_topic(text)
            except TopicSyntaxError:
                continue
            keys[text] = (query.source, query.key)
        source, key = keys[text]
        chat_id = 1_000_000 + pick.randrange(chats)
        rows.setdefault((chat_id, key), (chat_id, source, key, now))
    return list(rows.values())


def chat_rows(chats: int, now: float) -> Iterator[tuple[object, ...]]:
    """Active private chats, numbered from 1,000,000."""
    return ((1_000_000 + n, "private", "", 1, now) for n in range(chats))


async def _create_schema(location: Path | str, feed_urls: list[str]) -> None:
    storage = Storage(location)
    await storage.open()
    await storage.sync_feeds(
        FeedSeed(url, f"Sumber {n}", REGIONS[n % len(REGIONS)]) for n, url in enumerate(feed_urls)
    )
    await storage.close()


def build_database(
    location: Path | str,
    *,
    items: int,
    chats: int = 0,
    topics: int = 0,
    feed_urls: list[str] | None = None,
) -> float:
    """Create the database (a file, or an empty PostgreSQL database) with these many rows;
    return the seconds it took."""
    started = time.perf_counter()
    urls = feed_urls or [f"https://sumber{n}.example/rss" for n in range(FEEDS)]
    asyncio.run(_create_schema(location, urls))
    pick = random.Random(SEED)
    now = time.time()
    if is_postgres_url(location):
        topic_list = topic_rows(chats, topics, now, pick) if chats else []
        fill_postgres(
            str(location), now, item_rows(items, now, pick), chat_rows(chats, now), topic_list
        )
        return time.perf_counter() - started
    db = sqlite3.connect(location, isolation_level=None)
    try:
        # A throw-away bulk load: no journal while filling, back to the bot's WAL afterwards.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        # One transaction: FTS5 then writes its index in large segments instead of one set of
        # small ones per commit (a third faster).
        db.execute("BEGIN")
        _fill(db, now, pick, items=items, chats=chats, topics=topics)
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()
    return time.perf_counter() - started


def _fill(
    db: sqlite3.Connection, now: float, pick: random.Random, *, items: int, chats: int, topics: int
) -> None:
    db.execute("UPDATE feeds SET initialised = 1, last_success_at = ?", (now,))
    db.executemany(
        "INSERT INTO chats (id, type, title, active, created_at) VALUES (?, ?, ?, ?, ?)",
        chat_rows(chats, now),
    )
    if chats:
        db.executemany(
            "INSERT INTO topics (chat_id, text, key, created_at) VALUES (?, ?, ?, ?)",
            topic_rows(chats, topics, now, pick),
        )
    rows = item_rows(items, now, pick)
    while batch := list(itertools.islice(rows, BATCH)):
        db.executemany(
            "INSERT INTO items (feed_id, identity, title, summary, body, link, published_at, "
            "fetched_at, search_words) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            # The search words as the bot writes them (storage/fulltext.py): title and body.
            [(*row, index_text(str(row[2]), str(row[4]))) for row in batch],
        )
