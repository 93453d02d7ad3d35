"""A day of Indonesian news at national scale: real Warta processes, hours of news, measured.

    python -m bench.bench_day [--layout sqlite|roles|both] [--hours 1] [--compress 6]
    python -m bench.bench_day --quick            # about a minute, small; the test suite runs it

2,000 feeds on 150 loopback sites (bench/topology.py: log-normal answers, median 0.3 s, p95
1.5 s): 5 % publish every 2 minutes, 25 % hourly, 60 % four times a day, 10 % never. 100,000
readers hold 200,000 topics and 50,000 place follows (gazetteer codes in chat_regions), drawn so
that the alerts fit the send rate (bench/day_news.py). Warta runs as operators run it: one
`warta run` on SQLite, or the roles layout on PostgreSQL (updates, 2 pollers, 2 senders,
scheduler), each a `warta run --role ...` process, against the Telegram stand-in enforcing
Telegram's limits at the run's send rate, with 50 ms of network delay per call.

Compression: the news is simulated `--compress` times faster than it happens (at most 6x): the
publishing schedule and the poll intervals (WARTA_POLL_SECONDS, WARTA_POLL_MAX_SECONDS) are
divided by it; Telegram's limits and the network's delays are not. Retention (whole days) is
not compressed: database size after retention is the day's growth times the retention days.
Latencies are wall seconds, as readers wait them. Six simulated hours at the 6x ceiling are an
hour of news, about 70 minutes with the first poll and the drain.

Reports publish -> queued (the item's appearance on its site until its alert is in the outbox)
and queued -> sent (time in the outbox), p50/p95/p99, for busy (every 2 minutes) and quiet feeds;
alerts per hour; CPU seconds per role per simulated hour; resident memory of each process tree at
start, middle and end; database size; requests per site per hour; a chart (bench/day_*.png).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench.engines import bench_databases
from bench.news import keyword, vocabulary_size
from bench.report import append_result
from bench.topology import LOGNORMAL, Publishing, Topology, describe, plan_sites
from bot.matching import parse_topic
from bot.ops.memory import descendants, tree_resident_bytes
from bot.places.gazetteer import Gazetteer
from bot.standin import TelegramStandIn
from storage import Storage, is_postgres_url
from storage.models import FeedSeed, FullTextMode
from tests.e2e.harness import bot_environment
from tests.ops.helpers import free_port, start_warta, wait_until_listening

BENCH = Path(__file__).parent
MAX_COMPRESSION = 6.0
NETWORK_DELAY = 0.05  # seconds per Telegram call: not compressed
# Feed classes: share of feeds, simulated seconds between two items (None: never publishes).
CLASSES = (("busy", 0.05, 120.0), ("hourly", 0.25, 3600.0), ("4/day", 0.60, 21600.0))
ROLES_LAYOUT = ("updates", "poller", "poller", "sender", "sender", "scheduler")
START_TIMEOUT = 180.0
# The first poll of 2,000 feeds on late sites takes minutes on a loaded machine: this means hung.
FIRST_POLL_TIMEOUT = 900.0
SAMPLE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Scale:
    """How big a run is."""

    feeds: int = 2000
    sites: int = 150
    readers: int = 100_000
    topics: int = 200_000
    follows: int = 50_000
    words: int = 100_000  # keywords the news draws from: topics / words alerts per item
    place_share: float = 0.01  # items whose dateline names a followed place
    hours: float = 1.0  # simulated
    compress: float = MAX_COMPRESSION
    send_rate: int = 30
    # Quiet feeds polled less often (up to 30 minutes, compressed), as `warta run` does; the
    # quick mode polls every feed every interval so that it ends within a minute.
    adaptive: bool = True

    @property
    def wall_seconds(self) -> float:
        return self.hours * 3600 / self.compress


QUICK = Scale(
    feeds=60,
    sites=12,
    readers=1000,
    topics=2000,
    follows=500,
    words=200,
    hours=0.05,
    adaptive=False,
)


@dataclass(slots=True)
class Outcome:
    """What one layout's run measured."""

    layout: str
    engine: str
    scale: Scale
    load: float
    published: int = 0
    fetched: int = 0
    queued: int = 0
    sent: int = 0
    lost: int = 0  # alerts queued and never sent, or sent but never received
    duplicated: int = 0  # one alert received twice by a chat
    received: int = 0
    to_queue: dict[str, list[float]] = field(default_factory=dict)  # busy/quiet -> seconds
    in_outbox: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds in the run
    memory: dict[str, list[float]] = field(default_factory=dict)  # process -> MB start/mid/end
    database_mb: float = 0.0
    database_start_mb: float = 0.0
    site_requests: list[int] = field(default_factory=list)
    timeline: list[tuple[float, float, float]] = field(default_factory=list)  # sent, latency
    drained_seconds: float = 0.0


# ----- the readers --------------------------------------------------------------------------


def reader_rows(scale: Scale, now: float) -> tuple[list[tuple[Any, ...]], ...]:
    """Chats, topics and place follows, seeded."""
    pick = random.Random(23)
    chats = [(1_000_000 + n, "private", "", 1, now) for n in range(scale.readers)]
    topics: dict[tuple[int, str], tuple[Any, ...]] = {}
    keys: dict[str, tuple[str, str]] = {}
    while len(topics) < scale.topics:
        word = keyword(pick.randrange(scale.words))
        if word not in keys:
            query = parse_topic(word)
            keys[word] = (query.source, query.key)
        chat = 1_000_000 + pick.randrange(scale.readers)
        topics.setdefault((chat, word), (chat, *keys[word], now))
    gazetteer = Gazetteer.load()
    codes = [c.code for p in gazetteer.provinces() for c in gazetteer.children(p.code)]
    follows: dict[tuple[int, str], tuple[Any, ...]] = {}
    while len(follows) < scale.follows:
        chat = 1_000_000 + pick.randrange(scale.readers)
        code = pick.choice(codes)
        follows.setdefault((chat, code), (chat, code, now))
    return chats, list(topics.values()), list(follows.values())


async def seed_database(location: str, feed_urls: list[str], scale: Scale) -> None:
    """The schema (by the real migrations), the feeds, and the readers written straight in."""
    storage = Storage(location)
    await storage.open()
    await storage.sync_feeds(
        FeedSeed(url, f"Sumber {n}", "Nasional", FullTextMode.NEVER)
        for n, url in enumerate(feed_urls)
    )
    await storage.close()
    chats, topics, follows = reader_rows(scale, time.time())
    tables = (
        ("chats (id, type, title, active, created_at)", chats),
        ("topics (chat_id, text, key, created_at)", topics),
        ("chat_regions (chat_id, region, created_at)", follows),
    )
    if is_postgres_url(location):
        # COPY: one statement per table, as `warta migrate-db` loads them.
        with psycopg.connect(location) as db, db.cursor() as cursor:
            for table, rows in tables:
                with cursor.copy(f"COPY {table} FROM STDIN".encode()) as copy:
                    for row in rows:
                        copy.write_row(row)
        return
    with contextlib.closing(sqlite3.connect(location)) as lite, lite:
        for table, rows in tables:
            marks = ", ".join(["?"] * len(rows[0]))
            lite.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def query(location: str, statement: str) -> list[tuple[Any, ...]]:
    """Read the bot's database from outside, as an operator's query would."""
    if is_postgres_url(location):
        with psycopg.connect(location, autocommit=True) as db:
            return db.execute(statement.encode()).fetchall()
    with contextlib.closing(sqlite3.connect(location, timeout=30)) as lite:
        return lite.execute(statement).fetchall()


def database_mb(location: str) -> float:
    if is_postgres_url(location):
        return float(query(location, "SELECT pg_database_size(current_database())")[0][0]) / 2**20
    files = [Path(location), Path(f"{location}-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


# ----- the processes ------------------------------------------------------------------------


@dataclass(slots=True)
class Running:
    name: str
    process: asyncio.subprocess.Process
    port: int


@contextlib.asynccontextmanager
async def warta(layout: str, env: dict[str, str], folder: Path) -> AsyncIterator[list[Running]]:
    """The layout's processes, each listening; stopped with SIGTERM on the way out."""
    roles: tuple[str | None, ...] = (None,) if layout == "sqlite" else ROLES_LAYOUT
    running: list[Running] = []
    try:
        for number, role in enumerate(roles):
            port = free_port()
            name = "warta run" if role is None else f"{role} {number}"
            arguments = ["run"] if role is None else ["run", "--role", role]
            log = folder / f"{name.replace(' ', '-')}.log"
            process = await start_warta(
                arguments, env | {"WARTA_METRICS_PORT": str(port)}, folder, log
            )
            running.append(Running(name, process, port))
            await wait_until_listening(port, START_TIMEOUT)
        yield running
    finally:
        for each in running:
            if each.process.returncode is None:
                each.process.send_signal(signal.SIGTERM)
        for each in running:
            await each.process.wait()


def tree_cpu_seconds(root: int) -> float:
    """CPU time of a process and its living children (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = 0.0
    for pid in (root, *descendants(root)):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used += (int(fields[11]) + int(fields[12])) / tick
    return used


def sample_memory(outcome: Outcome, running: list[Running]) -> None:
    for each in running:
        megabytes = tree_resident_bytes(each.process.pid) / 2**20
        outcome.memory.setdefault(each.name, []).append(megabytes)


# ----- one run ------------------------------------------------------------------------------


def schedule(scale: Scale, paths: list[str]) -> tuple[list[Publishing], dict[int, str]]:
    """Each feed's publishing, compressed, and each feed's class."""
    pick = random.Random(2026)
    classes: dict[int, str] = {}
    entries = []
    order = list(range(len(paths)))
    pick.shuffle(order)
    start = 0
    for name, share, period in CLASSES:
        count = round(share * len(paths))
        for feed in order[start : start + count]:
            wall = period / scale.compress
            entries.append(Publishing(paths[feed], feed, wall, pick.uniform(0, wall)))
            classes[feed] = name
        start += count
    for feed in order[start:]:
        classes[feed] = "never"
    return entries, classes


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a" if not values else f"{values[0]:.1f}"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"{cuts[49]:.1f}/{cuts[94]:.1f}/{cuts[98]:.1f}"


async def run_layout(layout: str, location: str, scale: Scale, folder: Path) -> Outcome:
    """One layout's run, from empty database to a drained outbox."""
    plan = plan_sites(scale.feeds, scale.sites)
    paths = [path for site in plan for path in site]
    outcome = Outcome(
        layout, "PostgreSQL" if is_postgres_url(location) else "SQLite", scale, os.getloadavg()[0]
    )
    async with Topology(plan, LOGNORMAL) as sites, TelegramStandIn() as telegram:
        await sites.publish(dict.fromkeys(paths, 3))
        feeds_toml = folder / "feeds.toml"
        feeds_toml.write_text(
            "\n".join(
                f'[[feeds]]\nname = "Sumber {n}"\nurl = "{sites.url(p)}"\nregion = "Nasional"\n'
                # Article pages are bench_fulltext's: the day reads the feeds alone.
                'full_text = "never"\n'
                for n, p in enumerate(paths)
            ),
            encoding="utf-8",
        )
        await seed_database(location, [sites.url(p) for p in paths], scale)
        telegram.enforce_limits(per_second=scale.send_rate)
        telegram.delay(NETWORK_DELAY)
        poll = max(1.0, 60.0 / scale.compress)
        longest = max(poll, 1800 / scale.compress) if scale.adaptive else poll
        env = bot_environment(
            folder,
            telegram,
            feeds_toml,
            {
                "WARTA_LOG_LEVEL": "INFO",
                "WARTA_POLL_SECONDS": f"{poll:g}",
                "WARTA_POLL_MAX_SECONDS": f"{longest:g}",
                "WARTA_SEND_RATE": str(scale.send_rate),
            },
            database=location,
        )
        env.pop("WARTA_ADMINS", None)
        async with warta(layout, env, folder) as running:
            await wait_for(
                location,
                "SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL",
                scale.feeds,
                FIRST_POLL_TIMEOUT,
            )
            outcome.database_start_mb = database_mb(location)
            entries, classes = schedule(scale, paths)
            cpu_before = {r.name: tree_cpu_seconds(r.process.pid) for r in running}
            sample_memory(outcome, running)
            started = time.time()
            await sites.schedule(
                entries, scale.wall_seconds, words=scale.words, place_share=scale.place_share
            )
            await watch(outcome, running, location, started, scale.wall_seconds)
            published = await sites.published()
            drain_started = time.time()
            await drain(location, published, scale)
            outcome.drained_seconds = time.time() - drain_started
            sample_memory(outcome, running)
            outcome.cpu = {
                r.name: tree_cpu_seconds(r.process.pid) - cpu_before[r.name] for r in running
            }
        outcome.site_requests = await sites.site_requests()
        collect(outcome, location, published, classes, telegram, started)
    outcome.database_mb = database_mb(location)
    return outcome


async def wait_for(location: str, statement: str, count: int, timeout: float) -> None:
    """Until a count the database holds reaches `count` (the timeout means hung)."""
    async with asyncio.timeout(timeout):
        # Nothing announces the count: the database is the condition.
        while (await asyncio.to_thread(query, location, statement))[0][0] < count:  # noqa: ASYNC110
            await asyncio.sleep(0.5)


async def watch(
    outcome: Outcome, running: list[Running], location: str, started: float, seconds: float
) -> None:
    """Let the day run; memory sampled in its middle, alerts sent noted along the way."""
    middle = False
    while (now := time.time()) < started + seconds:
        await asyncio.sleep(min(SAMPLE_SECONDS, started + seconds - now))
        if not middle and time.time() >= started + seconds / 2:
            sample_memory(outcome, running)
            middle = True
    if not middle:
        sample_memory(outcome, running)


async def drain(location: str, published: dict[str, float], scale: Scale) -> None:
    """Until every published item is stored and the outbox is empty (or a poll interval more)."""
    longest = (1800 / scale.compress if scale.adaptive else 60.0 / scale.compress) + 60.0
    deadline = time.time() + longest
    guids = set(published)
    while time.time() < deadline:
        rows = await asyncio.to_thread(query, location, "SELECT identity FROM items")
        pending = await asyncio.to_thread(
            query, location, "SELECT count(*) FROM deliveries WHERE status = 'pending'"
        )
        if guids <= {row[0] for row in rows} and pending[0][0] == 0:
            return
        await asyncio.sleep(1.0)


def collect(
    outcome: Outcome,
    location: str,
    published: dict[str, float],
    classes: dict[int, str],
    telegram: TelegramStandIn,
    started: float,
) -> None:
    """The figures from the outbox, the items and what Telegram received."""
    outcome.published = len(published)
    stored = {row[0] for row in query(location, "SELECT identity FROM items")}
    outcome.fetched = len(set(published) & stored)
    rows = query(
        location,
        "SELECT i.identity, d.chat_id, d.created_at, d.finished_at, d.status FROM deliveries d "
        "JOIN items i ON i.id = d.item_id",
    )
    outcome.queued = len(rows)
    outcome.sent = sum(status == "sent" for *_, status in rows)
    for identity, _, queued, finished, status in rows:
        if identity not in published:
            continue  # an item the sites served before the day began
        feed = int(identity.removeprefix("hari").split("-")[0])
        kind = "busy" if classes[feed] == "busy" else "quiet"
        outcome.to_queue.setdefault(kind, []).append(queued - published[identity])
        if status == "sent" and finished is not None:
            outcome.in_outbox.setdefault(kind, []).append(finished - queued)
            outcome.timeline.append((finished - started, finished - published[identity], 1.0))
    messages = [m for m in telegram.sent if not m.is_edit and m.chat_id >= 1_000_000]
    outcome.received = len(messages)
    received = Counter((m.chat_id, m.text) for m in messages)
    outcome.duplicated = sum(n - 1 for n in received.values())
    outcome.lost = (outcome.queued - outcome.sent) + max(0, outcome.sent - outcome.received)


# ----- the report ---------------------------------------------------------------------------


def chart(outcomes: list[Outcome], name: str) -> Path | None:
    """Alerts sent a minute and their publish -> sent latency over the run (PNG under bench/)."""
    try:
        import matplotlib  # optional: only the chart needs it

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        print("  (no chart: matplotlib is not installed)")
        return None
    figure, (rate, latency) = pyplot.subplots(2, 1, figsize=(8, 6), sharex=True)
    for outcome in outcomes:
        minutes = Counter(int(at // 60) for at, _, _ in outcome.timeline)
        span = range(max(minutes, default=0) + 1)
        label = f"{outcome.layout} ({outcome.engine})"
        rate.plot(list(span), [minutes.get(m, 0) for m in span], label=label)
        ordered = sorted(outcome.timeline)
        latency.plot(
            [at / 60 for at, _, _ in ordered],
            [wait for _, wait, _ in ordered],
            ".",
            markersize=2,
            label=label,
        )
    rate.set_ylabel("alerts sent a minute")
    latency.set_ylabel("publish -> sent, s")
    latency.set_xlabel("wall minutes into the run")
    rate.legend()
    figure.suptitle("A day of news: alerts and their latency")
    path = BENCH / f"{name}.png"
    figure.savefig(path, dpi=90)
    pyplot.close(figure)
    return path


def summarise(outcome: Outcome) -> dict[str, str]:
    scale = outcome.scale
    hours = scale.hours
    per_site = [n / hours for n in outcome.site_requests]
    memory = "; ".join(
        f"{name} {'/'.join(f'{mb:.0f}' for mb in values)} MB"
        for name, values in outcome.memory.items()
    )
    # A tree still growing at the end of the day would outgrow its machine over weeks.
    steady = all(v[-1] <= 1.05 * v[len(v) // 2] for v in outcome.memory.values())
    memory += f" (end within 1.05x the middle: {'yes' if steady else 'NO'})"
    cpu = "; ".join(f"{name} {seconds / hours:.0f} s" for name, seconds in outcome.cpu.items())
    growth = max(0.0, outcome.database_mb - outcome.database_start_mb)
    return {
        "publish -> queued p50/p95/p99 s": ", ".join(
            f"{k} {percentiles(v)} (n={len(v)})" for k, v in sorted(outcome.to_queue.items())
        ),
        "queued -> sent p50/p95/p99 s": ", ".join(
            f"{k} {percentiles(v)} (n={len(v)})" for k, v in sorted(outcome.in_outbox.items())
        ),
        "alerts": (
            f"{outcome.sent / hours:.0f} a simulated hour ({outcome.sent} sent of {outcome.queued} "
            f"queued, {outcome.received} received, lost {outcome.lost}, duplicated "
            f"{outcome.duplicated}); items published {outcome.published}, stored "
            f"{outcome.fetched}; outbox drained {outcome.drained_seconds:.0f} s after the day"
        ),
        "CPU s per simulated hour": cpu,
        "resident MB start/middle/end": memory,
        "database": (
            f"{outcome.database_start_mb:.0f} MB with the readers, {outcome.database_mb:.0f} MB "
            f"after {hours:g} simulated h; {growth * 24 / hours:.0f} MB a simulated day"
        ),
        "requests per site per simulated hour": (
            f"median {statistics.median(per_site):.0f}, max {max(per_site):.0f}"
            if per_site
            else "n/a"
        ),
    }


def conditions(outcome: Outcome) -> str:
    scale = outcome.scale
    layout = (
        "one `warta run` process"
        if outcome.layout == "sqlite"
        else "roles: updates, 2 pollers, 2 senders, scheduler (6 processes)"
    )
    return (
        f"{outcome.engine}, {layout}; load average {outcome.load:.1f} at start, "
        f"{os.cpu_count()} cores; {describe(plan_sites(scale.feeds, scale.sites), LOGNORMAL)}; "
        f"{scale.readers} readers, {scale.topics} topics over {scale.words} keywords, "
        f"{scale.follows} place follows; {scale.hours:g} simulated h at {scale.compress:g}x "
        f"({scale.wall_seconds:.0f} s wall); send rate {scale.send_rate}/s (Telegram stand-in "
        f"enforcing it, {NETWORK_DELAY * 1000:.0f} ms a call)"
    )


def report(outcomes: list[Outcome], record: bool, quick: bool) -> None:
    name = "day_quick" if quick else "day_" + "_".join(o.layout for o in outcomes)
    path = chart(outcomes, name) if record else None
    for outcome in outcomes:
        figures = summarise(outcome)
        print(f"day of news, {outcome.layout}: {conditions(outcome)}")
        for key, value in figures.items():
            print(f"  {key}: {value}")
        if record:
            chart_note = f"; chart: bench/{path.name}" if path else ""
            append_result(
                f"day of news{' (quick)' if quick else ''}, {outcome.layout} (bench/bench_day.py)",
                "; ".join(f"{k}: {v}" for k, v in figures.items()),
                "none lost or duplicated; sizing",
                conditions(outcome) + chart_note,
            )


def run(layouts: list[str], scale: Scale, logs: Path | None) -> list[Outcome]:
    outcomes = []
    for layout in layouts:
        engine = "sqlite" if layout == "sqlite" else "postgresql"
        with bench_databases(engine) as databases, tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary) if logs is None else logs / layout
            folder.mkdir(parents=True, exist_ok=True)
            location = str(databases.new())
            outcomes.append(asyncio.run(run_layout(layout, location, scale, folder)))
    return outcomes


def as_json(outcome: Outcome) -> dict[str, Any]:
    """The figures a test checks."""
    fields = asdict(outcome)
    fields.pop("timeline")
    fields.pop("scale")
    return {k: v for k, v in fields.items() if not isinstance(v, dict)} | {"cpu": outcome.cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layout", choices=("sqlite", "roles", "both"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="small and about a minute")
    parser.add_argument("--hours", type=float, help="simulated hours (default 1; quick 0.05)")
    parser.add_argument("--compress", type=float, default=MAX_COMPRESSION)
    parser.add_argument("--send-rate", type=int, default=30)
    parser.add_argument("--no-record", action="store_true", help="print only, no results.md")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    args = parser.parse_args()
    if not 1 <= args.compress <= MAX_COMPRESSION:
        parser.error(f"--compress must be from 1 to {MAX_COMPRESSION:g}")
    scale = QUICK if args.quick else Scale()
    scale = Scale(
        **(
            asdict(scale)
            | {
                "compress": args.compress,
                "send_rate": args.send_rate,
                "hours": args.hours or scale.hours,
            }
        )
    )
    assert scale.words <= vocabulary_size()
    layouts = ["sqlite", "roles"] if args.layout == "both" else [args.layout]
    outcomes = run(layouts, scale, args.logs)
    report(outcomes, not args.no_record, args.quick)
    if args.json:
        args.json.write_text(json.dumps([as_json(o) for o in outcomes]), encoding="utf-8")


if __name__ == "__main__":
    main()
