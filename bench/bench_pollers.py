"""Pollers x1, x2, x4: real poller processes sharing 2,000 feeds on 150 sites through PostgreSQL
(or one SQLite file: `--engine sqlite`).

Each poller is a process of its own (storage, heartbeat, FeedPoller, as `warta run` builds
them). A round makes every feed due and tells every poller to poll once, at the same moment;
the round ends when every poller has finished. The feed server counts the requests of each
feed: each must be fetched exactly once per round, whichever poller took it. Two rounds per
configuration: the first poll (every entry new) and a refresh (every feed gained one item).
Run from the repository root:
    python -m bench.bench_pollers [--feeds 2000] [--items 10] [--sites 150] [--delay lognormal]
                                  [--pollers 1,2,4] [--engine postgresql|sqlite|both]
The sites are bench/topology.py's: processes of their own, answers after a log-normal delay
(median 0.3 s, p95 1.5 s) or a fixed --delay; `--sites 1 --delay 0.2` is the earlier one-site
set-up, kept for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.engines import ENGINE_NAMES, add_engine_option, bench_databases, chosen_engines
from bench.report import append_result, ms_at
from bench.topology import LOGNORMAL, Topology, describe, plan_sites
from bot.config import Config
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.ops.heartbeat import Heartbeat
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import FeedSeed, FullTextMode, StoredItems
from tests.inprocess import LOOPBACK_FEEDS

# Long enough that no feed falls due by itself during a run: the rounds make them due.
POLL_SECONDS = 3600.0
ROUNDS = ("first poll", "refresh")


@dataclass(frozen=True, slots=True)
class Round:
    """One round of N pollers: how long, how the feeds' requests fell, where the time went."""

    seconds: float
    fetched_by: tuple[int, ...]  # feeds each poller fetched
    requests: int
    fetched_twice: int
    not_fetched: int
    cpu_seconds: float  # every poller's CPU time in the round, added up
    storing_seconds: float  # every poller's time in store_items (waiting for its turn included)
    load: float  # the machine's load average (1 min) when the round began
    most_at_a_site: int  # the most requests one site answered at once, since the run began
    site_slot_asks: int  # site slots asked for (taken or found held) in the database
    turns: tuple[float, ...]  # each cluster-wide turn the pollers' stores held, seconds
    turn_waits: tuple[float, ...]  # how long each of those turns was waited for


class TimedStorage(Storage):
    """Storage that adds up the time its item stores take, their turn included."""

    storing_seconds = 0.0
    site_slot_asks = 0

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.turns: list[float] = []
        self.turn_waits: list[float] = []

    async def take_site_slot(self, *args: Any, **kwargs: Any) -> int | None:
        self.site_slot_asks += 1
        return await super().take_site_slot(*args, **kwargs)

    async def store_items(self, *args: Any, **kwargs: Any) -> StoredItems:
        started = time.perf_counter()
        try:
            stored = await super().store_items(*args, **kwargs)
        finally:
            self.storing_seconds += time.perf_counter() - started
        if hasattr(stored, "turn_seconds"):  # absent in code older than the turn's timing
            self.turns.append(stored.turn_seconds)
            self.turn_waits.append(getattr(stored, "turn_wait_seconds", 0.0))
        return stored


async def worker(location: str) -> None:
    """A poller process: polls once per line on stdin, answers one JSON line each."""
    config = Config(token=None, poll_seconds=POLL_SECONDS)
    storage = TimedStorage(location)
    await storage.open()
    heartbeat = Heartbeat(storage, ["poller"], time.time)
    await heartbeat.start()
    async with build_http_client(config.fetch_timeout, LOOPBACK_FEEDS) as client:
        poller = FeedPoller(
            storage, client, TopicRegistry(), StoryMatcher(), config, time.time, lambda: None,
            owner=heartbeat.process_id,
        )  # fmt: skip
        await poller.load_recent_stories()
        print(json.dumps({"ready": heartbeat.process_id}), flush=True)
        while (await asyncio.to_thread(sys.stdin.readline)).strip() == "poll":
            cpu, storage.storing_seconds, storage.site_slot_asks = time.process_time(), 0.0, 0
            storage.turns, storage.turn_waits = [], []
            summary = await poller.poll_once()
            await poller.wait_for_fetches()
            done = {
                "fetched": summary.fetched + summary.unchanged + summary.failed,
                "cpu": time.process_time() - cpu,
                "storing": storage.storing_seconds,
                "site_slot_asks": storage.site_slot_asks,
                "turns": storage.turns,
                "turn_waits": storage.turn_waits,
            }
            print(json.dumps(done), flush=True)
        await poller.close()
    await heartbeat.stop()
    await storage.close()


async def start_workers(count: int, location: str) -> list[asyncio.subprocess.Process]:
    """Poller processes, each ready once it has opened its storage and registered."""
    arguments = ("-m", "bench.bench_pollers", "--worker", location)
    pipe = asyncio.subprocess.PIPE
    workers = [
        await asyncio.create_subprocess_exec(sys.executable, *arguments, stdin=pipe, stdout=pipe)
        for _ in range(count)
    ]
    for process in workers:
        assert process.stdout is not None
        json.loads(await process.stdout.readline())
    return workers


async def poll_round(
    workers: list[asyncio.subprocess.Process],
) -> tuple[float, list[dict[str, float]]]:
    """Tell every poller to poll at once; seconds until all are done, and each one's answer."""
    started = time.perf_counter()
    for process in workers:
        assert process.stdin is not None
        process.stdin.write(b"poll\n")
    answers = []
    for process in workers:
        assert process.stdout is not None
        answers.append(json.loads(await process.stdout.readline()))
    return time.perf_counter() - started, answers


async def run_configuration(
    count: int, items: int, plan: list[list[str]], delay: float | str, location: str
) -> list[Round]:
    paths = [path for site in plan for path in site]
    rounds = []
    async with Topology(plan, delay) as server:
        await server.publish(dict.fromkeys(paths, items))
        storage = Storage(location)
        await storage.open()
        await storage.sync_feeds(
            [FeedSeed(server.url(p), p, "Banten", FullTextMode.NEVER) for p in paths]
        )
        workers = await start_workers(count, location)
        for number in range(1, len(ROUNDS) + 1):
            if number > 1:
                await server.add(paths)
                await storage.make_feeds_due()
            before, load = sum((await server.requests()).values()), os.getloadavg()[0]
            seconds, answers = await poll_round(workers)
            hits = await server.requests()
            rounds.append(
                Round(
                    seconds=seconds,
                    fetched_by=tuple(int(answer["fetched"]) for answer in answers),
                    requests=sum(hits.values()) - before,
                    fetched_twice=sum(hits[p] > number for p in paths),
                    not_fetched=sum(hits[p] < number for p in paths),
                    cpu_seconds=sum(answer["cpu"] for answer in answers),
                    storing_seconds=sum(answer["storing"] for answer in answers),
                    load=load,
                    most_at_a_site=max(await server.most_in_flight()),
                    site_slot_asks=sum(int(answer["site_slot_asks"]) for answer in answers),
                    turns=tuple(t for answer in answers for t in answer["turns"]),
                    turn_waits=tuple(t for answer in answers for t in answer["turn_waits"]),
                )
            )
        for process in workers:
            assert process.stdin is not None
            process.stdin.write(b"stop\n")
            await process.wait()
        await storage.close()
    return rounds


def report(
    count: int, rounds: list[Round], feeds: int, items: int, layout: str, engine: str
) -> None:
    conditions = (
        f"{count} poller process(es), {layout}, {items} items a feed, "
        f"default fetch concurrency (16) per poller, {ENGINE_NAMES[engine]}, "
        f"{os.cpu_count()} cores"
    )
    for name, result in zip(ROUNDS, rounds, strict=True):
        exact = result.fetched_twice == 0 and result.not_fetched == 0
        spent = (
            f"pollers' CPU {result.cpu_seconds:.1f} s, in store_items {result.storing_seconds:.1f}"
            f" s, load average {result.load:.1f} at start; at most {result.most_at_a_site} "
            f"requests at once to one site; {result.site_slot_asks} site slot asks "
            f"({result.site_slot_asks / max(result.requests, 1):.2f} a request, each but the "
            "refused ones followed by a release); "
            f"{len(result.turns)} stores, turn held p50/p95 "
            f"{ms_at(result.turns, 0.5)}/{ms_at(result.turns, 0.95)}, waited for p50/p95 "
            f"{ms_at(result.turn_waits, 0.5)}/{ms_at(result.turn_waits, 0.95)}"
        )
        print(
            f"pollers x{count}, {name}: {result.seconds:6.2f} s, {result.requests} requests, "
            f"per poller {list(result.fetched_by)}, fetched twice {result.fetched_twice}, "
            f"not fetched {result.not_fetched}; {spent}"
        )
        append_result(
            f"pollers x{count}, round time, {name}",
            f"{result.seconds:.2f} s",
            "each feed fetched once; falling with N",
            f"{conditions}; {result.requests} requests for {feeds} feeds, "
            f"{'each fetched exactly once' if exact else 'NOT exactly once'} "
            f"(twice {result.fetched_twice}, missed {result.not_fetched}), "
            f"feeds per poller {'/'.join(map(str, result.fetched_by))}; {spent}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--sites", type=int, default=150, help="1: every feed on one site")
    parser.add_argument(
        "--delay", default=LOGNORMAL, help="seconds each answer waits, or 'lognormal'"
    )
    parser.add_argument("--pollers", default="1,2,4")
    add_engine_option(parser)
    parser.set_defaults(engine="postgresql")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.worker))
        return
    delay = args.delay if args.delay == LOGNORMAL else float(args.delay)
    plan = plan_sites(args.feeds, args.sites)
    for engine in chosen_engines(args.engine):
        for count in (int(n) for n in args.pollers.split(",")):
            with bench_databases(engine) as databases:
                location = str(databases.new())
                rounds = asyncio.run(run_configuration(count, args.items, plan, delay, location))
            report(count, rounds, args.feeds, args.items, describe(plan, delay), engine)


if __name__ == "__main__":
    main()
