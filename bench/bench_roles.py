"""Roles as processes on PostgreSQL: each role's start-up time and memory, and scheduler failover.

    python -m bench.bench_roles

One `warta run --role ROLE` process per role (and one `warta run` with every role, to compare)
against the Telegram stand-in, a feed server and a PostgreSQL server started for the run. Then a
second scheduler stands by, the leader is killed with SIGKILL, and the time until the standby
holds the lease is measured (the promise: within 30 s).
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from pathlib import Path

from bench.bench_memory import resident_mb
from bench.engines import bench_databases
from bench.report import append_result
from bot.ops.leadership import LEASE_NAME, LEASE_SECONDS, RENEW_SECONDS
from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from tests.e2e.harness import bot_environment, write_feeds_file
from tests.factories import news
from tests.ops.helpers import free_port, scrape, start_warta, wait_until_listening

ROLES = ("updates", "poller", "sender", "scheduler")
TIMEOUT = 120.0
FAILOVER_TARGET = 30.0
IDLE_SECONDS = 5.0


Process = asyncio.subprocess.Process


async def start(role: str | None, env: dict[str, str], folder: Path) -> tuple[Process, int, float]:
    """Start a process (every role when role is None); its process, port and start-up time."""
    port = free_port()
    arguments = ["run"] if role is None else ["run", "--role", role]
    started = time.monotonic()
    process = await start_warta(
        arguments, env | {"WARTA_METRICS_PORT": str(port)}, folder, folder / f"{role}.log"
    )
    await wait_until_listening(port, TIMEOUT)
    return process, port, time.monotonic() - started


async def failover(storage: Storage, env: dict[str, str], folder: Path) -> float:
    """Seconds from SIGKILL of the leading scheduler until the standby holds the lease."""
    leader, _, _ = await start("scheduler", env, folder)
    standby, port, _ = await start("scheduler", env, folder)
    standby_id = (await scrape(port, "/healthz")).json()["process_id"]
    leader.send_signal(signal.SIGKILL)
    await leader.wait()
    killed = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        # The lease row is the condition: nothing announces a new leader.
        while await storage.lease_holder(LEASE_NAME, time.time()) != standby_id:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    seconds = time.monotonic() - killed
    standby.send_signal(signal.SIGTERM)
    await standby.wait()
    return seconds


async def measure(url: str, folder: Path) -> tuple[dict[str, tuple[float, float]], float]:
    async with TelegramStandIn() as telegram, FeedServer() as feeds:
        entries = [(f"Feed {n}", f"/f{n}.xml", "Banten") for n in range(20)]
        for _, route, _ in entries:
            feeds.publish(
                route, [news(f"{route}-{k}", f"Berita {route} nomor {k}") for k in range(20)]
            )
        feeds_toml = write_feeds_file(folder / "feeds.toml", feeds, entries)
        env = bot_environment(
            folder, telegram, feeds_toml, {"WARTA_LOG_LEVEL": "INFO"}, database=url
        )
        figures: dict[str, tuple[float, float]] = {}
        for role in (*ROLES, None):
            process, _, seconds = await start(role, env, folder)
            await asyncio.sleep(IDLE_SECONDS)  # idle, after its first poll if it polls
            rss, _ = resident_mb(process.pid)
            figures[role or "every role"] = (seconds, rss)
            process.send_signal(signal.SIGTERM)
            await process.wait()
        storage = Storage(url)
        await storage.open()
        try:
            seconds = await failover(storage, env, folder)
        finally:
            await storage.close()
    return figures, seconds


def main() -> None:
    with bench_databases("postgresql") as databases, tempfile.TemporaryDirectory() as folder:
        url = str(databases.new())
        figures, seconds = asyncio.run(measure(url, Path(folder)))
    startup = ", ".join(f"{role} {s:.1f} s" for role, (s, _) in figures.items())
    memory = ", ".join(f"{role} {rss:.0f} MB" for role, (_, rss) in figures.items())
    print(f"roles on PostgreSQL, {os.cpu_count()} cores")
    print(f"  start-up (until /healthz listens): {startup}")
    print(f"  VmRSS idle: {memory}")
    print(f"  scheduler failover after SIGKILL: {seconds:.1f} s (target <= {FAILOVER_TARGET:g} s)")
    conditions = "PostgreSQL; 20 feeds x 20 items, stand-ins on loopback"
    append_result(
        "roles: start-up and memory per role (bench/bench_roles.py)",
        f"start-up {startup}; VmRSS {memory}",
        "none (sizing)",
        f"{conditions}; one process at a time, measured {IDLE_SECONDS:g} s after it listens",
    )
    append_result(
        "roles: scheduler failover after SIGKILL (bench/bench_roles.py)",
        f"{seconds:.1f} s",
        f"<= {FAILOVER_TARGET:g} s",
        f"{conditions}; lease {LEASE_SECONDS:g} s renewed every {RENEW_SECONDS:g} s, one standby",
    )


if __name__ == "__main__":
    main()
