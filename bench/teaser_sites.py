"""The teaser-only case of bench_ingest: 500 teaser-only feeds on 25 sites each gain one item,
and a poller with a 10 s interval asks them all again while their article pages are fetched
(and extracted in processes of their own, as `warta run` extracts them).

Each site is a loopback server of its own (its own port: a host of its own to the per-site
limit), serving its feeds and their article pages after a delay. Reports when the last feed was
asked again and when the last new item was matched (on its article, or on its teaser once its
5 s budget passed). Run through bench_ingest:
    python -m bench.bench_ingest --teasers [--page-delay 0.2] [--engine sqlite|postgresql]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.engines import ENGINE_NAMES, engine_of
from bench.report import append_result, ms_at
from bot.config import Config
from bot.feeds.extraction import ArticleExtractors, default_extractors
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.feeds.workers import FeedWorkers
from bot.net.addresses import AddressPolicy
from bot.standin import FeedItem, FeedServer
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import FeedSeed, FullTextMode, StoredItems

SITES = 25
INTERVAL = 10.0
TARGET_SECONDS = INTERVAL + 5.0
FEED_DELAY = 0.2  # the feeds' own documents; the article pages answer after --page-delay
PAGE = (
    "<html><body><article><h1>{title}</h1>"
    + "<p>Paragraf berita yang cukup panjang tentang peristiwa di daerah ini, {n}.</p>" * 8
    + "</article></body></html>"
)


def teaser(site: FeedServer, feed: int, n: int) -> FeedItem:
    """An entry carrying its title alone, its page on the feed's own site."""
    title = f"Berita {n} dari daerah {feed}"
    link = site.url(f"/berita/{feed}/{n}")
    site.set_html(f"/berita/{feed}/{n}", PAGE.format(title=title, n=n))
    return FeedItem(title=title, link=link, guid=f"d{feed}-{n}", description=f"<p>{title}.</p>")


async def run_teasers(
    feeds: int, page_delay: float, location: Path | str, workers: FeedWorkers, mode: str
) -> None:
    load_before = os.getloadavg()[0]
    async with contextlib.AsyncExitStack() as stack:
        sites = [await stack.enter_async_context(FeedServer()) for _ in range(SITES)]
        site_of = [sites[feed % SITES] for feed in range(feeds)]
        for feed, site in enumerate(site_of):
            site.publish(f"/f{feed}.xml", [teaser(site, feed, n) for n in range(5)])
            site.set_delay(f"/f{feed}.xml", FEED_DELAY)
        storage = Storage(location)
        await storage.open()
        stack.push_async_callback(storage.close)
        full_text = FullTextMode(mode)
        await storage.sync_feeds(
            [
                FeedSeed(site.url(f"/f{n}.xml"), f"Feed {n}", "Banten", full_text)
                for n, site in enumerate(site_of)
            ]
        )
        config = Config(token=None, poll_seconds=INTERVAL)
        client = await stack.enter_async_context(
            build_http_client(config.fetch_timeout, AddressPolicy.allowing("127.0.0.1"))
        )
        # The back catalogue's poll: an hour's interval, so that no feed comes due again in it.
        catalogue = replace(config, poll_seconds=3600.0)
        first = FeedPoller(storage, client, TopicRegistry(), StoryMatcher(), catalogue, time.time,
                           lambda: None, workers=workers)  # fmt: skip
        await first.poll_once()  # the back catalogue: no page fetched
        await first.close()
        for feed, site in enumerate(site_of):
            site.add_item(f"/f{feed}.xml", teaser(site, feed, 100))
            site.set_delay(f"/berita/{feed}/100", page_delay)
        turns = recording_turns(storage)
        asked, matched = await _refresh(storage, client, workers, config, sites, feeds)
        pages = sum(site.hits(f"/berita/{f}/100") for f, site in enumerate(site_of))
    engine = ENGINE_NAMES[engine_of(location)]
    turn = f"store turn p50 {ms_at(turns, 0.5)}, p95 {ms_at(turns, 0.95)} ({len(turns)} stores)"
    print(turn)
    print(
        f"teaser-only refresh on {engine}: all {feeds} feeds asked again in {asked:.2f} s, "
        f"last item matched in {matched:.2f} s, {pages} pages fetched (page delay {page_delay} s, "
        f"full_text {mode}); target < {TARGET_SECONDS:g} s"
    )
    append_result(
        f"ingestion, teaser-only refresh (full_text {mode}), {engine}",
        f"all feeds asked again {asked:.2f} s; last new item matched {matched:.2f} s",
        f"all asked again < {TARGET_SECONDS:g} s; turn p95 <= 5 ms",
        f"{feeds} teaser-only feeds on {SITES} loopback sites (one server each, one process "
        f"with the poller), one new item each, {INTERVAL:g} s interval, feeds answering in "
        f"{FEED_DELAY:g} s, article pages in {page_delay:g} s, {pages} pages fetched; {turn}; "
        f"one poller process, parsing in worker processes, extraction in "
        f"{default_extractors()} process(es); load average {load_before:.1f} "
        f"before, {os.getloadavg()[0]:.1f} after",
    )


async def _refresh(
    storage: Storage,
    client: object,
    workers: FeedWorkers,
    config: Config,
    sites: list[FeedServer],
    feeds: int,
) -> tuple[float, float]:
    """Seconds until every feed was asked again, and until its new item was matched."""
    # An hour on, and still then: every feed is due once, as one interval after the last poll.
    later = time.time() + 3600
    # Pages extracted in processes of their own, as `warta run` extracts them (started before
    # the clock runs: a running bot has them already).
    extraction = ArticleExtractors(default_extractors())
    await extraction.start()
    poller = FeedPoller(
        storage, client, TopicRegistry(), StoryMatcher(), config,  # type: ignore[arg-type]
        lambda: later, lambda: None, workers=workers, extraction=extraction,
    )  # fmt: skip
    before = _feed_requests(sites)
    started = time.perf_counter()
    watching = asyncio.create_task(_all_asked(sites, before + feeds))
    await poller.poll_once()
    await poller.wait_for_fetches()
    wait_for_articles = getattr(poller, "wait_for_articles", None)  # absent before the queue
    if wait_for_articles is not None:
        await wait_for_articles()
    matched = time.perf_counter() - started
    asked = await watching - started
    await poller.close()
    await extraction.close()
    return asked, matched


def recording_turns(storage: Storage) -> list[float]:
    """How long each store held the cluster-wide turn, appended as stores commit."""
    turns: list[float] = []
    store_items = storage.store_items

    async def recording(*args: Any, **kwargs: Any) -> StoredItems:
        stored = await store_items(*args, **kwargs)
        # Absent before the turn was timed (the old code, measured for comparison).
        turns.extend([stored.turn_seconds] if hasattr(stored, "turn_seconds") else [])
        return stored

    storage.store_items = recording  # type: ignore[method-assign]
    return turns


async def _all_asked(sites: list[FeedServer], requests: int) -> float:
    """The moment the sites have answered this many feed requests (pages left out)."""
    # The stand-ins announce no requests: their logs are the condition, read on from where the
    # last look ended (counting every log anew would take the poller's own CPU).
    seen = [0] * len(sites)
    asked = 0
    while True:
        for n, site in enumerate(sites):
            new = site.requests[seen[n] :]
            seen[n] += len(new)
            asked += sum(1 for request in new if request.path.startswith("/f"))
        if asked >= requests:
            return time.perf_counter()
        await asyncio.sleep(0.02)


def _feed_requests(sites: list[FeedServer]) -> int:
    return sum(1 for site in sites for request in site.requests if request.path.startswith("/f"))
