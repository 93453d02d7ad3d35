"""`warta status`: which roles run where, and what waits (the outbox, the feeds due)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config, ConfigError, Role, load_config
from bot.ops.clock import ServerClock
from bot.ops.durations import format_duration
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS
from bot.ops.leadership import LEASE_NAME
from storage import DATABASE_ERRORS, DatabaseOpenError, Storage, describe, is_postgres_url

EXIT_OK, EXIT_ROLE_MISSING, EXIT_CONFIG = 0, 1, 2
LANGUAGE = "en"  # operators' output, like the other subcommands'


@dataclass(frozen=True, slots=True)
class Report:
    """The lines to print and the exit code they add up to."""

    lines: list[str]
    missing: list[Role]

    @property
    def code(self) -> int:
        """1 when a role has no live process, else 0."""
        return EXIT_ROLE_MISSING if self.missing else EXIT_OK


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta status`."""
    parser = commands.add_parser(
        "status",
        help="the live processes and their roles, the outbox backlog and the feeds due "
        "(exit code 1 when a role has no live process)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the cluster's state; exit 1 if a role is missing, 2 on a configuration error."""
    try:
        config = load_config()
        report = asyncio.run(status_report(config))
    except (ConfigError, DatabaseOpenError) as error:
        print(f"warta status: {error}", file=sys.stderr)
        return EXIT_CONFIG
    print("\n".join(report.lines))
    return report.code


async def status_report(config: Config, clock: Callable[[], float] = time.time) -> Report:
    """What `warta status` prints, read at this machine's `clock` (the server's, on PostgreSQL)."""
    if isinstance(config.database, Path) and not config.database.exists():
        raise ConfigError(f"no database at {config.database} (WARTA_DB)")
    storage = Storage(config.database)
    await storage.open()
    try:
        server = ServerClock(clock)
        if is_postgres_url(config.database):
            # Heartbeats and leases are on the server's clock; this machine's may be off.
            await server.measure(storage)
        now = server()
        processes = await storage.live_processes(now - PROCESS_TIMEOUT_SECONDS)
        leader = await storage.lease_holder(LEASE_NAME, now)
        backlog = await storage.work_backlog(now, config.poll_seconds)
    except DATABASE_ERRORS as error:
        raise ConfigError(f"cannot read {describe(config.database)}: {error}") from None
    finally:
        await storage.close()
    lines = [
        f"processes alive: {len(processes)} (a heartbeat in the last {PROCESS_TIMEOUT_SECONDS:g}s)"
    ]
    lines += [
        _process_line(p.roles, p.host, p.pid, now - p.heartbeat_at, p.id == leader)
        for p in processes
    ]
    counts = {role: sum(role in p.roles for p in processes) for role in Role}
    missing = [role for role, count in counts.items() if count == 0]
    lines.append("roles: " + ", ".join(f"{role} {count}" for role, count in counts.items()))
    if missing:
        lines.append("missing: " + ", ".join(missing) + " (no live process runs it)")
    lines += _backlog_lines(backlog.outbox, backlog.oldest_pending_at, now)
    lines.append(
        f"feeds: {backlog.feeds} enabled, {backlog.feeds_due} due, {backlog.feeds_overdue} "
        f"overdue (due for longer than one poll interval, {config.poll_seconds:g}s)"
    )
    return Report(lines, missing)


def _process_line(roles: Sequence[str], host: str, pid: int, silent: float, leading: bool) -> str:
    lead = "  scheduler leader" if leading else ""
    age = format_duration(silent, LANGUAGE)
    return f"  {','.join(roles):<32} {host} pid {pid}, heartbeat {age} ago{lead}"


def _backlog_lines(waiting: int, oldest_at: float | None, now: float) -> list[str]:
    if oldest_at is None:
        return [f"outbox: {waiting} waiting to be sent"]
    age = format_duration(now - oldest_at, LANGUAGE)
    return [f"outbox: {waiting} waiting to be sent, the oldest queued {age} ago"]
