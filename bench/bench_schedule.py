"""Per-feed schedule vs the fixed 300 s interval: busy-feed latency and requests per feed.

A loopback site publishes a busy feed (a new item every 30 s) and quiet feeds (one item every
3 hours each, at different times), with a day of history. Two pollers poll it side by side,
each with its own SQLite database and its own copy of the site (so each one's requests are
counted apart): one with the per-feed schedule (WARTA_POLL_SECONDS=60,
WARTA_POLL_MAX_SECONDS=1800), one with the fixed 300 s schedule (both 300).

Time is simulated: a virtual clock, stepped 5 s at a time (the poll job's look period), drives
both pollers. At each step the site publishes what is due by then, and each poller does what
its poll job does every 5 s: `look()` (poll only if a feed is due), then the fetches, parses and
stores, over real HTTP on loopback. An item's latency is from its publication to when it is
stored and matched (its alerts queued), both on the virtual clock; sending is the sender's
business and the same on either schedule.
Run from the repository root:
    python -m bench.bench_schedule [--hours 4] [--quiet 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.report import append_result
from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import LOOK_SECONDS, FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.standin import FeedItem, FeedServer
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import FeedSeed
from tests.inprocess import LOOPBACK_FEEDS
from tests.virtual_time import VirtualClock

BUSY_EVERY = 30.0
QUIET_EVERY = 3 * 3600.0
HISTORY = 24 * 3600.0
ITEMS_SERVED = 20
BUSY = "/busy.xml"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One schedule's figures over the run."""

    name: str
    busy_latencies: list[float]
    busy_per_hour: float
    quiet_per_hour: list[float]
    total_per_hour: float


class Site:
    """The feeds as published by a moment of simulated time, on a feed server."""

    def __init__(self, server: FeedServer, quiet: int, start: float) -> None:
        self.server = server
        self.quiet_paths = [f"/quiet-{n}.xml" for n in range(quiet)]
        self.published: dict[str, float] = {}  # link → when it was published
        self._start = start

    def publish_until(self, now: float) -> None:
        """Serve every feed with its newest items as of now."""
        self._serve(BUSY, "ramai", now, BUSY_EVERY, 0.0)
        for n, path in enumerate(self.quiet_paths):
            self._serve(path, f"sepi{n}", now, QUIET_EVERY, QUIET_EVERY * n / len(self.quiet_paths))

    def _serve(self, path: str, slug: str, now: float, every: float, phase: float) -> None:
        first = self._start - HISTORY + phase
        newest = int((now - first) // every)
        items = []
        for number in range(newest, max(newest - ITEMS_SERVED, -1), -1):
            at = first + number * every
            link = f"https://situs.example/{slug}/{number}"
            self.published[link] = at
            stamp = datetime.fromtimestamp(at, UTC)
            items.append(FeedItem(f"Berita {slug} {number}", link, published=stamp))
        self.server.publish(path, items)


@asynccontextmanager
async def schedule(
    config: Config, site: Site, folder: Path, clock: VirtualClock
) -> AsyncIterator[tuple[FeedPoller, Storage]]:
    """A poller over its own database, polling the site's feeds on the virtual clock."""
    storage = Storage(folder / "warta.db")
    await storage.open()
    try:
        paths = [BUSY, *site.quiet_paths]
        await storage.sync_feeds([FeedSeed(site.server.url(p), p, "") for p in paths])
        async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
            poller = FeedPoller(
                storage, client, TopicRegistry(), StoryMatcher(), config, clock, lambda: None
            )
            yield poller, storage
            await poller.close()
    finally:
        await storage.close()


async def run(hours: float, quiet: int) -> list[Outcome]:
    """Both schedules over `hours` of simulated time; their figures."""
    clock = VirtualClock()
    clock.now = time.time()
    start = clock.now
    configs = {
        "per feed (60-1800 s)": Config(token=None, poll_seconds=60, poll_max_seconds=1800),
        "fixed 300 s": Config(token=None, poll_seconds=300, poll_max_seconds=300),
    }
    async with FeedServer() as first, FeedServer() as second:
        sites = [Site(first, quiet, start), Site(second, quiet, start)]
        with tempfile.TemporaryDirectory() as scratch:
            async with (
                schedule(
                    configs["per feed (60-1800 s)"], sites[0], Path(scratch, "a"), clock
                ) as adaptive,
                schedule(configs["fixed 300 s"], sites[1], Path(scratch, "b"), clock) as fixed,
            ):
                pollers = [adaptive[0], fixed[0]]
                while clock.now < start + hours * 3600:
                    for site in sites:
                        site.publish_until(clock.now)
                    for poller in pollers:
                        poller.look()
                        await poller.wait_for_look()
                        await poller.wait_for_fetches()
                    clock.now += LOOK_SECONDS
                outcomes = []
                for (name, _), site, (_, storage) in zip(
                    configs.items(), sites, (adaptive, fixed), strict=True
                ):
                    outcomes.append(await figures(name, site, storage, start, hours))
    return outcomes


async def figures(name: str, site: Site, storage: Storage, start: float, hours: float) -> Outcome:
    """Latency of the busy feed's items published during the run, and requests per hour."""
    items = await storage.latest_items(100_000)
    latencies = [
        item.fetched_at - site.published[item.link]
        for item in items
        if "/ramai/" in item.link and site.published[item.link] > start
    ]
    server = site.server
    requests = len(server.requests) - (1 + len(site.quiet_paths))  # less the first fetches
    return Outcome(
        name,
        latencies,
        (server.hits(BUSY) - 1) / hours,
        [(server.hits(path) - 1) / hours for path in site.quiet_paths],
        requests / hours,
    )


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=4.0, help="simulated hours")
    parser.add_argument("--quiet", type=int, default=10, help="quiet feeds")
    args = parser.parse_args()
    started = time.monotonic()
    outcomes = asyncio.run(run(args.hours, args.quiet))
    wall = time.monotonic() - started
    for outcome in outcomes:
        p50 = statistics.median(outcome.busy_latencies)
        p95 = percentile(outcome.busy_latencies, 0.95)
        quiet = outcome.quiet_per_hour
        result = (
            f"{outcome.name}: busy feed publish→alert p50 {p50:.0f} s, p95 {p95:.0f} s "
            f"({len(outcome.busy_latencies)} items); requests/h: busy {outcome.busy_per_hour:.1f}, "
            f"quiet {min(quiet):.1f}-{max(quiet):.1f}, all {outcome.total_per_hour:.1f}"
        )
        print(result, flush=True)
        append_result(
            "schedule",
            result,
            "busy p95 ≤ 65 s, quiet ≤ 4/h, total ≤ fixed 300 s",
            f"{args.hours:g} h simulated (virtual clock, 5 s looks), 1 busy + {args.quiet} quiet "
            f"loopback feeds, SQLite, {wall:.0f} s wall, busy shared machine",
        )


if __name__ == "__main__":
    main()
