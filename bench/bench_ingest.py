"""Ingestion: poll many feeds on a loopback site that answers late, as distant newsrooms do.

Reports the first poll (everything new) and a steady poll (everything 304): wall time and items
stored per second. Run from the repository root:
    python -m bench.bench_ingest [--feeds 500] [--items 50] [--delay 0.2]
                                 [--engine sqlite|postgresql|both]
--engine postgresql stores into a PostgreSQL server started for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.engines import (
    ENGINE_NAMES,
    add_engine_option,
    bench_databases,
    chosen_engines,
    engine_of,
)
from bench.report import append_result
from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.matching.topics import TopicRegistry
from bot.standin import FeedItem, FeedServer
from storage import Storage
from storage.models import FeedSeed
from tests.inprocess import LOOPBACK_FEEDS

TARGET_STEADY_SECONDS = 5.0


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


async def run(
    feeds: int, items: int, delay: float, location: Path | str, server_note: str = ""
) -> None:
    async with FeedServer() as server:
        for feed in range(feeds):
            server.publish(f"/f{feed}.xml", feed_items(feed, items))
            server.set_delay(f"/f{feed}.xml", delay)
        storage = Storage(location)
        await storage.open()
        await storage.sync_feeds(
            [FeedSeed(server.url(f"/f{n}.xml"), f"Feed {n}", "Banten") for n in range(feeds)]
        )
        config = Config(token=None, fetch_concurrency=64)
        async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                storage,
                client,
                TopicRegistry(),
                StoryMatcher(),
                config,
                time.time,
                lambda: None,
            )
            first = await timed(poller.poll_once())
            steady = await timed(poller.poll_once())
        await storage.close()
    stored = feeds * items
    cores = os.cpu_count()
    engine = ENGINE_NAMES[engine_of(location)]
    conditions = f"{feeds} feeds x {items} items, {delay * 1000:.0f} ms server delay, {cores} cores"
    print(f"ingestion on {engine} ({conditions})")
    print(f"  first poll:  {first:6.2f} s, {stored / first:8.0f} items stored/s")
    print(f"  steady poll: {steady:6.2f} s (all 304), target < {TARGET_STEADY_SECONDS:g} s")
    append_result(
        f"ingestion, steady poll (all 304), {engine}",
        f"{steady:.2f} s",
        f"< {TARGET_STEADY_SECONDS:g} s",
        conditions
        + f"; first poll {first:.2f} s, {stored / first:.0f} items/s"
        + (f"; {server_note}" if server_note else ""),
    )


async def timed(work: object) -> float:
    started = time.perf_counter()
    await work  # type: ignore[misc]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2)
    add_engine_option(parser)
    args = parser.parse_args()
    for engine in chosen_engines(args.engine):
        with bench_databases(engine) as databases:
            location = databases.new()
            asyncio.run(
                run(args.feeds, args.items, args.delay, location, databases.describe_server())
            )


if __name__ == "__main__":
    main()
