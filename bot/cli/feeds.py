"""`warta feeds export|import|check`: the feed list as OPML, and a health check of every feed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.config import Config, ConfigError, load_config
from bot.feeds.check import DEFAULT_CONCURRENCY, FeedCheck, check_feeds
from bot.feeds.feedlist import FeedListError, load_feed_list
from bot.feeds.fetch import build_http_client
from bot.feeds.opml import OpmlError, feeds_from_opml, feeds_to_opml
from bot.feeds.schedule import reason_text
from bot.feeds.workers import WorkerPool, default_processes
from bot.ops.durations import format_duration
from storage import DatabaseOpenError, Storage
from storage.models import ArticleHealth, Feed, FeedAddOutcome, FeedSeed, FullTextMode

EXIT_OK, EXIT_FEEDS_FAILING, EXIT_USAGE = 0, 1, 2
OPML_TITLE = "Warta feeds"


class CommandError(Exception):
    """Something the operator must fix; printed as one line, exit code 2."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta feeds` and its three actions."""
    parser = commands.add_parser("feeds", help="export, import or check the feeds (OPML)")
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write the bot's feeds as OPML")
    export.add_argument("file", nargs="?", help="OPML file to write (standard output if absent)")
    export.set_defaults(handler=lambda args: _guarded(lambda: run_export(args.file)))
    importer = actions.add_parser("import", help="add the feeds of an OPML file to the database")
    importer.add_argument("file", help="OPML file to read")
    importer.set_defaults(handler=lambda args: _guarded(lambda: run_import(args.file)))
    check = actions.add_parser("check", help="fetch every feed once and report how each did")
    check.add_argument("file", nargs="?", help="OPML or TOML feeds file (default: the bot's feeds)")
    check.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="feeds fetched at once"
    )
    check.set_defaults(
        handler=lambda args: _guarded(lambda: run_check(args.file, args.concurrency))
    )


def _guarded(action: Callable[[], int]) -> int:
    try:
        return action()
    except (CommandError, ConfigError, FeedListError, OpmlError, DatabaseOpenError) as error:
        print(f"warta feeds: {error}", file=sys.stderr)
        return EXIT_USAGE


def run_export(path: str | None) -> int:
    """Write the feeds the bot polls (the database, seeded from WARTA_FEEDS) as OPML."""
    config = load_config()
    _require_database(config)
    feeds = asyncio.run(_bot_feeds(config))
    document = feeds_to_opml(feeds, OPML_TITLE)
    if path is None:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
    else:
        _write(Path(path), document)
        print(f"exported {len(feeds)} feeds to {path}", file=sys.stderr)
    return EXIT_OK


def run_import(path: str) -> int:
    """Add (or bring back, or rename) the feeds of an OPML file in the database."""
    config = load_config()
    seeds = _opml_feeds(Path(path))
    _require_database(config)
    outcomes = asyncio.run(_import(config, seeds))
    counts = {kind: outcomes.count(kind) for kind in FeedAddOutcome}
    print(
        f"imported {len(seeds)} feeds from {path}: {counts[FeedAddOutcome.ADDED]} new, "
        f"{counts[FeedAddOutcome.RESTORED]} restored, {counts[FeedAddOutcome.EXISTS]} already "
        "there (name and region updated)"
    )
    return EXIT_OK


def run_check(path: str | None, concurrency: int) -> int:
    """Fetch every feed once and print a table; exit 1 if any feed failed."""
    config = load_config()
    schedules: dict[str, Feed] = {}
    stored = path is None and _database_exists(config)
    if path:
        feeds = _file_feeds(Path(path))
    elif not stored:
        # No database yet: the bot's feeds would be WARTA_FEEDS's, and none is made to say so.
        feeds = load_feed_list(config.feeds_file)
    else:
        schedules = {feed.url: feed for feed in asyncio.run(_stored_feeds(config))[0]}
        feeds = [FeedSeed(f.url, f.name, f.region) for f in schedules.values()]
    errors = Console(stderr=True)
    with Progress(
        TextColumn("checking feeds"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("check", total=len(feeds))
        results = asyncio.run(_check(config, feeds, concurrency, lambda _: progress.advance(task)))
    output = Console() if sys.stdout.isatty() else Console(width=160)
    output.print(check_table(results, time.time(), schedules))
    failing = sum(not result.ok for result in results)
    output.print(f"{len(results) - failing} of {len(results)} feeds OK, {failing} failing")
    if stored:
        articles = asyncio.run(_article_health(config))
        if articles:
            output.print(article_table(articles, time.time()))
    return EXIT_FEEDS_FAILING if failing else EXIT_OK


def check_table(
    results: Sequence[FeedCheck], now: float, schedules: Mapping[str, Feed] | None = None
) -> Table:
    """One row per feed: how often the bot polls it and why (feeds of the database), status,
    items, age of the newest item, time taken."""
    schedules = schedules or {}
    table = Table(title="Feed check")
    for column in ("feed", "region", "polled every", "status"):
        table.add_column(column, overflow="fold")
    for column in ("items", "newest", "time"):
        table.add_column(column, justify="right", no_wrap=True)
    for result in results:
        newest = (
            format_duration(now - result.newest_at, "en") if result.newest_at is not None else "-"
        )
        table.add_row(
            result.feed.name,
            result.feed.region or "-",
            _schedule(schedules.get(result.feed.url)),
            "[green]OK[/green]" if result.ok else f"[red]{_markup_safe(result.problem)}[/red]",
            str(result.items),
            newest,
            f"{result.seconds:.2f} s",
        )
    return table


def article_table(articles: Sequence[tuple[str, ArticleHealth]], now: float) -> Table:
    """One row per feed whose article pages failed: mode, failures, the last reason and when."""
    table = Table(title="Article pages not had (items matched on their teaser)")
    for column in ("feed", "full_text", "failed", "last error", "when"):
        table.add_column(column, overflow="fold")
    for name, health in articles:
        when = health.last_error_at
        table.add_row(
            name,
            health.mode.value,
            str(health.failures),
            _markup_safe(health.last_error),
            format_duration(now - when, "en") + " ago" if when is not None else "-",
        )
    return table


def _schedule(feed: Feed | None) -> str:
    """The feed's interval and why, in English like the rest of the table ("-": not known)."""
    if feed is None or feed.poll_interval is None or feed.poll_reason is None:
        return "-"
    why = reason_text(feed.poll_reason, "en")
    return _markup_safe(f"{format_duration(feed.poll_interval, 'en')} ({why})")


def _markup_safe(value: str | None) -> str:
    return (value or "").replace("[", r"\[")


async def _bot_feeds(config: Config) -> list[FeedSeed]:
    """The enabled feeds of the database after seeding it from WARTA_FEEDS, as at start-up."""
    feeds, modes = await _stored_feeds(config)
    return [FeedSeed(f.url, f.name, f.region, modes.get(f.id, FullTextMode.AUTO)) for f in feeds]


async def _stored_feeds(config: Config) -> tuple[list[Feed], dict[int, FullTextMode]]:
    """The enabled feeds of the database, with their schedules and full-text modes, after
    seeding it."""
    seeds = load_feed_list(config.feeds_file)
    storage = Storage(config.database)
    await storage.open()
    try:
        await storage.sync_feeds(seeds)
        modes = {health.feed_id: health.mode for health in await storage.article_health()}
        return await storage.list_feeds(), modes
    finally:
        await storage.close()


async def _article_health(config: Config) -> list[tuple[str, ArticleHealth]]:
    """The feeds whose article pages failed since they were added, with their names."""
    storage = Storage(config.database)
    await storage.open()
    try:
        names = {feed.id: feed.name for feed in await storage.list_feeds()}
        return [
            (names.get(health.feed_id, str(health.feed_id)), health)
            for health in await storage.article_health()
            if health.failures
        ]
    finally:
        await storage.close()


async def _import(config: Config, seeds: list[FeedSeed]) -> list[FeedAddOutcome]:
    storage = Storage(config.database)
    await storage.open()
    try:
        # Seeding first, as start-up would, lets the file's names and regions win after it.
        await storage.sync_feeds(load_feed_list(config.feeds_file))
        outcomes = await storage.import_feeds(seeds, time.time())
        return [outcome.outcome for outcome in outcomes]
    finally:
        await storage.close()


async def _check(
    config: Config,
    feeds: Sequence[FeedSeed],
    concurrency: int,
    on_done: Callable[[FeedCheck], None],
) -> list[FeedCheck]:
    # Parsed as the bot parses them, in capped processes of their own: a document that kills
    # its parser (or needs more than a parser may hold) is its feed's problem in the table.
    workers = WorkerPool(config.parse_workers or default_processes())
    await workers.start()
    try:
        async with build_http_client(config.fetch_timeout, config.fetch_addresses) as client:
            return await check_feeds(
                client,
                feeds,
                max_bytes=config.max_feed_bytes,
                timeout=config.fetch_timeout * 2,
                concurrency=concurrency,
                on_done=on_done,
                workers=workers,
            )
    finally:
        await workers.close()


def _require_database(config: Config) -> None:
    """Refuse a database file that does not exist, rather than make an empty one."""
    if not _database_exists(config):
        raise CommandError(
            f"no database at {config.database} (WARTA_DB): set WARTA_DB to the bot's database, "
            "or start the bot once (`warta run`) to create it"
        )


def _database_exists(config: Config) -> bool:
    """Whether the database is there: an SQLite file that exists, or a PostgreSQL URL."""
    return not isinstance(config.database, Path) or config.database.exists()


def _file_feeds(path: Path) -> list[FeedSeed]:
    """The feeds of a file given on the command line; errors name that file."""
    if path.suffix.lower() == ".toml":
        return load_feed_list(path, setting=None)
    return _opml_feeds(path)


def _opml_feeds(path: Path) -> list[FeedSeed]:
    try:
        return feeds_from_opml(_read(path))
    except OpmlError as error:
        raise CommandError(f"{path}: {error}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None


def _write(path: Path, document: bytes) -> None:
    try:
        path.write_bytes(document)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from None
