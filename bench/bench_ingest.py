"""Ingestion: poll many feeds on loopback sites that answer late, as distant newsrooms do.

Reports the first poll (everything new), a steady poll (everything 304), and a refresh: every
feed gains one item at once and a poller with a 10 s interval and the default fetch concurrency
asks them all again (when the last feed was asked, when the last new item was stored). Run
from the repository root:
    python -m bench.bench_ingest [--feeds 500] [--items 50] [--sites 50] [--delay lognormal]
                                 [--engine sqlite|postgresql|both] [--parse processes|threads]
    python -m bench.bench_ingest --teasers [--page-delay 0.2] [--full-text always|never]
The feeds are spread over --sites sites served by processes of their own (bench/topology.py),
each answering after a log-normal delay (median 0.3 s, p95 1.5 s) or a fixed --delay in
seconds; `--sites 1 --delay 0.2` is the earlier one-site set-up, kept for comparison (since the
per-site limit it measures politeness more than parsing or storing). --teasers runs the
teaser-only case alone (bench/teaser_sites.py): feeds whose new items wait for article pages.
--engine postgresql stores into a PostgreSQL server started for the run. Documents are parsed
and cleaned in worker processes sized as `warta run` sizes them; --parse threads parses them in
threads of the poller's own process instead (as before the worker processes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bench.engines import (
    ENGINE_NAMES,
    add_engine_option,
    bench_databases,
    chosen_engines,
    engine_of,
)
from bench.report import append_result, ms_at
from bench.teaser_sites import recording_turns, run_teasers
from bench.topology import LOGNORMAL, Topology, describe, plan_sites
from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.feeds.workers import FeedWorkers, InThreads, WorkerPool, default_processes
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import FeedSeed, FullTextMode
from tests.inprocess import LOOPBACK_FEEDS

TARGET_STEADY_SECONDS = 5.0
# Twice the ~480 items/s measured while parsing and cleaning shared the poller's process.
TARGET_FIRST_POLL_RATE = 960
REFRESH_INTERVAL = 10.0
# Every feed asked again and its new item stored within the poll interval and five seconds.
TARGET_REFRESH_SECONDS = REFRESH_INTERVAL + 5.0


@contextlib.asynccontextmanager
async def parsing(how: str) -> AsyncIterator[tuple[FeedWorkers, str]]:
    """The workers the pollers parse with, and how to name them in the conditions."""
    if how == "threads":
        yield InThreads(), "parsing in threads"
        return
    pool = WorkerPool(default_processes())
    await pool.start()
    try:
        yield pool, f"parsing in {default_processes()} worker processes"
    finally:
        await pool.close()


async def run(
    feeds: int,
    items: int,
    delay: float | str,
    location: Path | str,
    server_note: str = "",
    parse: str = "processes",
    sites: int = 50,
    first_only: bool = False,
) -> None:
    plan = plan_sites(feeds, sites)
    load = os.getloadavg()[0]
    async with Topology(plan, delay) as server, parsing(parse) as (workers, parse_note):
        await server.publish({f"/f{feed}.xml": items for feed in range(feeds)})
        storage = Storage(location)
        await storage.open()
        await storage.sync_feeds(
            [
                # Article pages are bench_fulltext's: here only the feeds are read.
                FeedSeed(server.url(f"/f{n}.xml"), f"Feed {n}", "Banten", FullTextMode.NEVER)
                for n in range(feeds)
            ]
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
                workers=workers,
            )
            cpu = cpu_seconds(workers)
            turns = recording_turns(storage)
            first = await timed(poller.poll_once())
            cpu = [after - before for before, after in zip(cpu, cpu_seconds(workers), strict=True)]
            del storage.store_items  # the recording ends with the first poll
            cpu_note = (
                f"CPU time in the first poll: poller {cpu[0]:.1f} s, workers "
                f"{sum(cpu[1:]):.1f} s, {sum(cpu) * 1000 / (feeds * items):.2f} s per 1,000 "
                f"items; {feeds} feeds stored in {len(turns)} turns, held p50 "
                f"{ms_at(turns, 0.5)}, p95 {ms_at(turns, 0.95)}"
            )
            if first_only:
                print(
                    f"first poll: {first:.2f} s, {feeds * items / first:.0f} items stored/s; "
                    f"{cpu_note}; load average at start {load:.1f}",
                    flush=True,
                )
                await storage.close()
                return
            await storage.make_feeds_due()  # the next poll, an interval later
            steady = await timed(poller.poll_once())
            await server.add([f"/f{feed}.xml" for feed in range(feeds)])
            asked, refreshed = await refresh(server, storage, client, feeds, workers)
        stored_after = len(await storage.latest_items(feeds * (items + 2)))
        await storage.close()
    stored = feeds * items
    cores = os.cpu_count()
    engine = ENGINE_NAMES[engine_of(location)]
    layout = describe(plan, delay)
    conditions = (
        f"{feeds} feeds x {items} items, {layout}, one poller process, {parse_note}, "
        f"load average {load:.1f} at start, {cores} cores"
    )
    print(f"ingestion on {engine} ({conditions})")
    print(
        f"  first poll:  {first:6.2f} s, {stored / first:8.0f} items stored/s, "
        f"target >= {TARGET_FIRST_POLL_RATE} items/s; {cpu_note}"
    )
    print(f"  steady poll: {steady:6.2f} s (all 304), target < {TARGET_STEADY_SECONDS:g} s")
    print(
        f"  refresh:     every feed asked again in {asked:6.2f} s, its new item stored in "
        f"{refreshed:6.2f} s ({stored_after - stored} of {feeds} stored), "
        f"target < {TARGET_REFRESH_SECONDS:g} s"
    )
    append_result(
        f"ingestion, first poll, {engine}",
        f"{stored / first:.0f} items/s ({first:.2f} s)",
        f">= {TARGET_FIRST_POLL_RATE} items/s",
        f"{conditions}; {cpu_note}" + (f"; {server_note}" if server_note else ""),
    )
    append_result(
        f"ingestion, refresh (each feed gains one item), {engine}",
        f"{max(asked, refreshed):.2f} s",
        f"< {TARGET_REFRESH_SECONDS:g} s",
        f"{feeds} feeds x {items} items, one new each, poll interval {REFRESH_INTERVAL:g} s, "
        f"default fetch concurrency, {layout}, {parse_note}; "
        f"all asked again {asked:.2f} s, new items stored {refreshed:.2f} s "
        f"({stored_after - stored}/{feeds})",
    )
    append_result(
        f"ingestion, steady poll (all 304), {engine}",
        f"{steady:.2f} s",
        f"< {TARGET_STEADY_SECONDS:g} s",
        conditions
        + f"; first poll {first:.2f} s, {stored / first:.0f} items/s"
        + (f"; {server_note}" if server_note else ""),
    )


async def refresh(
    server: Topology,
    storage: Storage,
    client: httpx.AsyncClient,
    feeds: int,
    workers: FeedWorkers,
) -> tuple[float, float]:
    """Seconds until every feed was asked again, and until every feed's poll had ended."""
    config = Config(token=None, poll_seconds=REFRESH_INTERVAL)
    # An hour ahead: every feed is due again, as it would be one interval after the last poll.
    # The clock stands there: a feed the refresh polled is not due again before the round ends
    # (else the poller, looking again as places free up, would poll on and the round not end).
    ahead = time.time() + 3600
    poller = FeedPoller(
        storage, client, TopicRegistry(), StoryMatcher(), config, lambda: ahead,
        lambda: None, workers=workers,
    )  # fmt: skip
    before = await _requests(server)
    started = time.perf_counter()
    watching = asyncio.create_task(_all_asked(server, before + feeds))
    await poller.poll_once()
    await poller.wait_for_fetches()
    refreshed = time.perf_counter() - started
    return await watching - started, refreshed


async def _all_asked(server: Topology, requests: int) -> float:
    """The moment the sites have seen this many requests (sampled every 50 ms)."""
    # The stand-ins announce no requests: their logs are the condition.
    while await _requests(server) < requests:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def _requests(server: Topology) -> int:
    return sum((await server.requests()).values())


def cpu_seconds(workers: FeedWorkers) -> list[float]:
    """CPU time used so far by this process, then by each worker process (Linux)."""
    pids = [os.getpid(), *(workers.process_ids() if isinstance(workers, WorkerPool) else [])]
    tick = os.sysconf("SC_CLK_TCK")
    used = []
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used.append((int(fields[11]) + int(fields[12])) / tick)  # utime + stime
    return used


async def timed(work: object) -> float:
    started = time.perf_counter()
    await work  # type: ignore[misc]
    return time.perf_counter() - started


async def teasers(feeds: int, page_delay: float, location: Path | str, mode: str) -> None:
    async with parsing("processes") as (workers, _):
        await run_teasers(feeds, page_delay, location, workers, mode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--sites", type=int, default=50, help="1: every feed on one site")
    parser.add_argument(
        "--delay", default=LOGNORMAL, help="seconds each answer waits, or 'lognormal'"
    )
    add_engine_option(parser)
    parser.add_argument("--parse", choices=("processes", "threads"), default="processes")
    parser.add_argument("--teasers", action="store_true", help="the teaser-only case alone")
    parser.add_argument("--page-delay", type=float, default=0.2)
    parser.add_argument("--full-text", choices=("always", "never"), default="always")
    parser.add_argument("--first-poll", action="store_true", help="the first poll alone")
    args = parser.parse_args()
    for engine in chosen_engines(args.engine):
        with bench_databases(engine) as databases:
            location = databases.new()
            if args.teasers:
                asyncio.run(teasers(args.feeds, args.page_delay, location, args.full_text))
                continue
            asyncio.run(
                run(
                    args.feeds,
                    args.items,
                    args.delay if args.delay == LOGNORMAL else float(args.delay),
                    location,
                    databases.describe_server(),
                    args.parse,
                    args.sites,
                    args.first_poll,
                )
            )


if __name__ == "__main__":
    main()
