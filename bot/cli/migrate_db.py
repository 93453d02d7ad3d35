"""`warta migrate-db --to URL`: copy the SQLite database into PostgreSQL and compare the counts."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import ConfigError, load_config
from storage import DatabaseOpenError, describe, is_postgres_url
from storage.postgres import url_problem
from storage.transfer import TransferError, TransferReport, migrate_database

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta migrate-db`."""
    parser = commands.add_parser(
        "migrate-db",
        help="copy the SQLite database (WARTA_DB) into a PostgreSQL database; safe to re-run",
    )
    parser.add_argument(
        "--to", required=True, metavar="URL", help="the PostgreSQL database, postgresql://…"
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="PATH",
        help="the SQLite file to copy (default: WARTA_DB)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Copy, print the counts; exit 1 when they differ or the copy failed, 2 on usage errors."""
    try:
        source = _source(args.source)
        target = _target(args.to)
    except ConfigError as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Copying {source} to {describe(target)}", file=sys.stderr)
    try:
        report = asyncio.run(migrate_database(source, target, _say_table))
    except DatabaseOpenError as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_USAGE
    except TransferError as error:
        print(f"warta: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(counts_table(report))
    return EXIT_OK if report.matches else EXIT_FAILED


def _say_table(table: str) -> None:
    print(f"  {table} …", file=sys.stderr, flush=True)


def counts_table(report: TransferReport) -> str:
    """The rows of each table on both sides, and a verdict line."""
    lines = [f"{'table':<14}{'SQLite':>10}{'PostgreSQL':>12}"]
    for count in report.counts:
        mark = "" if count.matches else "  DIFFERS"
        lines.append(f"{count.table:<14}{count.source:>10}{count.target:>12}{mark}")
    if report.matches:
        per_second = report.rows / report.seconds if report.seconds > 0 else 0
        lines.append(
            f"Copied {report.rows} rows in {report.seconds:.1f} s ({per_second:,.0f} rows/s); "
            "every count matches."
        )
    else:
        differing = ", ".join(c.table for c in report.counts if not c.matches)
        lines.append(f"Counts differ for: {differing}")
    return "\n".join(lines)


def _source(given: Path | None) -> Path:
    """The SQLite file to copy: --from, else WARTA_DB; it must exist."""
    source = given if given is not None else load_config().database
    if not isinstance(source, Path):
        raise ConfigError(
            f"WARTA_DB is the PostgreSQL database {describe(source)}: name the SQLite file to "
            "copy with --from PATH"
        )
    if not source.is_file():
        raise ConfigError(f"no SQLite database at {source} (set WARTA_DB, or give --from PATH)")
    return source


def _target(url: str) -> str:
    if not is_postgres_url(url):
        raise ConfigError("--to must be a postgresql:// URL, e.g. postgresql://warta@db/warta")
    # Refused before anything shows the URL: libpq's complaints would quote it, password and all.
    if (problem := url_problem(url)) is not None:
        raise ConfigError(f"--to: {problem}")
    return url
