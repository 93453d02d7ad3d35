"""Feeds spread over many loopback sites, served by processes of their own, as outlets serve them.

A national outlet carries dozens of section feeds on one host, a few other nationals a dozen or
so each, and regional outlets a handful on their own hosts. Each site is a FeedServer on its own
loopback port (the per-site limit counts scheme, name and port, so every port is a site), and
answers every request after a delay drawn afresh from a log-normal distribution: median 0.3 s,
95th percentile 1.5 s, as distant newsrooms answer. The sites live in a few child processes, so
that serving them costs the benchmark's Warta nothing of its own CPU.

    async with Topology(plan_sites(2000, 150), delay=LOGNORMAL) as sites:
        url = sites.url("/f0.xml")
        await sites.publish({"/f0.xml": 50})

The children take one JSON command a line on stdin and answer one JSON line on stdout
(`python -m bench.topology --serve`); a schedule of publishing runs inside them, so that the
moment of publishing is the site's own, not a pipe's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from bench.news import day_item, feed_items
from bot.standin import FeedServer

# The delay of a site's answer: log-normal, median 0.3 s, 95th percentile 1.5 s.
MEDIAN_SECONDS = 0.3
P95_SECONDS = 1.5
_Z95 = 1.6448536269514722
LOGNORMAL = "lognormal"
SITE_PROCESSES = 2
# An answer is one line: the publishing times of a whole day's items fit in it.
ANSWER_LIMIT = 1 << 28


def lognormal_delay(pick: random.Random) -> float:
    """One answer's delay, in seconds."""
    sigma = math.log(P95_SECONDS / MEDIAN_SECONDS) / _Z95
    return pick.lognormvariate(math.log(MEDIAN_SECONDS), sigma)


def plan_sites(feeds: int, sites: int) -> list[list[str]]:
    """Feed paths (/f0.xml ...) per site: one big national, a few nationals, then regionals."""
    if sites <= 1:
        return [[f"/f{n}.xml" for n in range(feeds)]]
    sizes = [0] * sites
    sizes[0] = min(40, feeds // 10)  # the national outlet's section feeds
    for n in range(1, min(5, sites)):
        sizes[n] = min(15, feeds // 40)  # other national outlets
    rest = feeds - sum(sizes)
    regional = [n for n in range(sites) if sizes[n] == 0] or list(range(sites))
    for k in range(rest):
        sizes[regional[k % len(regional)]] += 1
    plan, next_feed = [], 0
    for size in sizes:
        plan.append([f"/f{n}.xml" for n in range(next_feed, next_feed + size)])
        next_feed += size
    return plan


def describe(plan: Sequence[Sequence[str]], delay: float | str) -> str:
    """The layout for a benchmark row's conditions."""
    sizes = sorted((len(paths) for paths in plan), reverse=True)
    answer = (
        "log-normal delay (median 0.3 s, p95 1.5 s)"
        if delay == LOGNORMAL
        else f"{float(delay) * 1000:.0f} ms delay"
    )
    return (
        f"{sum(sizes)} feeds on {len(sizes)} loopback site(s) (largest {sizes[0]}, smallest "
        f"{sizes[-1]} feeds), {answer}, sites served by {min(SITE_PROCESSES, len(sizes))} "
        f"process(es) of their own"
    )


@dataclass(frozen=True, slots=True)
class Publishing:
    """A feed that gains one item every `period` seconds, the first after `phase` seconds."""

    path: str
    feed: int
    period: float
    phase: float


class _LateSite(FeedServer):
    """A FeedServer that draws each answer's delay afresh."""

    def __init__(self, pick: random.Random) -> None:
        super().__init__()
        self._pick = pick

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        # A request waiting for its answer is in flight too: the site's politeness is counted.
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(lognormal_delay(self._pick))
        finally:
            self.in_flight -= 1
        return await super()._handle(request)


class _SiteHost:
    """What one child process serves: its sites, and the schedule it publishes on."""

    def __init__(self) -> None:
        self.sites: dict[str, FeedServer] = {}  # path -> its site
        self.servers: list[FeedServer] = []
        self.published: dict[str, float] = {}  # guid -> Unix time it appeared
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self, plan: list[list[str]], delay: float | str, seed: int) -> list[str]:
        for n, paths in enumerate(plan):
            server = _LateSite(random.Random(seed + n)) if delay == LOGNORMAL else FeedServer()
            await server.start()
            self.servers.append(server)
            for path in paths:
                self.sites[path] = server
                server.publish(path, [])
                if delay != LOGNORMAL:
                    server.set_delay(path, float(delay))
        return [server.base_url for server in self.servers]

    def publish(self, counts: dict[str, int], offset: int) -> None:
        for path, count in counts.items():
            self.sites[path].publish(path, feed_items(_number(path) + offset, count))

    def add(self, paths: list[str], offset: int) -> None:
        for path in paths:
            self.sites[path].add_item(path, feed_items(_number(path) + offset, 1)[0])

    def schedule(self, entries: list[Publishing], seconds: float, news: dict[str, Any]) -> None:
        started = time.time()
        for entry in entries:
            self.tasks.append(asyncio.create_task(self._publish(entry, started + seconds, news)))

    async def _publish(self, entry: Publishing, until: float, news: dict[str, Any]) -> None:
        await asyncio.sleep(entry.phase)
        number = 0
        while time.time() < until:
            item = day_item(entry.feed, number, **news)
            self.sites[entry.path].add_item(entry.path, item)
            self.published[item.guid or item.link] = time.time()
            number += 1
            await asyncio.sleep(entry.period)

    def requests(self) -> dict[str, int]:
        return dict(Counter(r.path for s in self.servers for r in s.requests))

    def site_requests(self) -> list[int]:
        return [len(server.requests) for server in self.servers]

    def most_in_flight(self) -> list[int]:
        return [server.most_in_flight for server in self.servers]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for server in self.servers:
            await server.stop()


def _number(path: str) -> int:
    return int(path.removeprefix("/f").removesuffix(".xml"))


async def serve() -> None:
    """A child process: answers the commands on stdin, one JSON line each."""
    host = _SiteHost()
    while line := await asyncio.to_thread(sys.stdin.readline):
        command = json.loads(line)
        op: str = command["op"]
        answer: Any = None
        if op == "start":
            answer = await host.start(command["plan"], command["delay"], command["seed"])
        elif op == "publish":
            host.publish(command["counts"], command["offset"])
        elif op == "add":
            host.add(command["paths"], command["offset"])
        elif op == "schedule":
            entries = [Publishing(**entry) for entry in command["entries"]]
            host.schedule(entries, command["seconds"], command["news"])
        elif op == "requests":
            answer = host.requests()
        elif op == "site_requests":
            answer = host.site_requests()
        elif op == "most_in_flight":
            answer = host.most_in_flight()
        elif op == "published":
            answer = host.published
        elif op == "stop":
            break
        print(json.dumps({"answer": answer}), flush=True)
    await host.stop()


class Topology:
    """Sites in child processes; the feeds' URLs and what the sites saw."""

    def __init__(
        self, plan: list[list[str]], delay: float | str = LOGNORMAL, processes: int = SITE_PROCESSES
    ) -> None:
        self.plan = plan
        self.delay = delay
        self._count = max(1, min(processes, len(plan)))
        self._children: list[asyncio.subprocess.Process] = []
        self._owner: dict[str, int] = {}  # path -> child
        self._urls: dict[str, str] = {}  # path -> its site's base URL
        self.site_urls: list[str] = []

    async def __aenter__(self) -> Topology:
        pipe = asyncio.subprocess.PIPE
        for child in range(self._count):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.topology", "--serve", stdin=pipe, stdout=pipe,
                limit=ANSWER_LIMIT,
            )  # fmt: skip
            self._children.append(process)
            share = self.plan[child :: self._count]
            bases = await self._ask(child, op="start", plan=share, delay=self.delay, seed=child)
            for paths, base in zip(share, bases, strict=True):
                self.site_urls.append(base)
                for path in paths:
                    self._owner[path], self._urls[path] = child, base
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in self._children:
            if process.stdin is not None and process.returncode is None:
                process.stdin.write(b'{"op": "stop"}\n')
                await process.stdin.drain()
        for process in self._children:
            await process.wait()

    def url(self, path: str) -> str:
        """The absolute URL of a feed path."""
        return self._urls[path] + path

    @property
    def process_ids(self) -> list[int]:
        """The site processes' ids."""
        return [process.pid for process in self._children]

    async def publish(self, counts: dict[str, int], offset: int = 0) -> None:
        """Serve count generated items at each path (bench_ingest's news, seeded by the path)."""
        await self._each(op="publish", offset=offset, split=("counts", counts))

    async def add(self, paths: list[str], offset: int = 100_000) -> None:
        """Prepend one generated item to each path's feed."""
        await self._each(op="add", offset=offset, split=("paths", paths))

    async def schedule(
        self, entries: list[Publishing], seconds: float, *, words: int, place_share: float
    ) -> None:
        """Publish day items (bench/news.py) on this schedule, inside the site processes, for
        `seconds` from now."""
        news = {"words": words, "place_share": place_share}
        as_dicts = [
            {"path": e.path, "feed": e.feed, "period": e.period, "phase": e.phase} for e in entries
        ]
        await self._each(op="schedule", seconds=seconds, news=news, split=("entries", as_dicts))

    async def requests(self) -> Counter[str]:
        """How many requests each feed path received."""
        counts: Counter[str] = Counter()
        for answer in await self._all(op="requests"):
            counts.update(answer)
        return counts

    async def site_requests(self) -> list[int]:
        """How many requests each site received."""
        return [n for answer in await self._all(op="site_requests") for n in answer]

    async def most_in_flight(self) -> list[int]:
        """The most requests each site answered at once (waiting for its answer included)."""
        return [n for answer in await self._all(op="most_in_flight") for n in answer]

    async def published(self) -> dict[str, float]:
        """When each scheduled item appeared (guid -> Unix time)."""
        merged: dict[str, float] = {}
        for answer in await self._all(op="published"):
            merged.update(answer)
        return merged

    async def _each(self, *, split: tuple[str, Any], **command: Any) -> None:
        """Send each child its own part of a list or mapping."""
        name, values = split
        for child in range(self._count):
            if isinstance(values, dict):
                part: Any = {k: v for k, v in values.items() if self._owner[k] == child}
            else:
                key = "path" if values and isinstance(values[0], dict) else None
                part = [v for v in values if self._owner[v[key] if key else v] == child]
            await self._ask(child, **command, **{name: part})

    async def _all(self, **command: Any) -> list[Any]:
        return [await self._ask(child, **command) for child in range(self._count)]

    async def _ask(self, child: int, **command: Any) -> Any:
        process = self._children[child]
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(command).encode() + b"\n")
        await process.stdin.drain()
        return json.loads(await process.stdout.readline())["answer"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", action="store_true", help="run as a site process")
    if parser.parse_args().serve:
        asyncio.run(serve())


if __name__ == "__main__":
    main()
