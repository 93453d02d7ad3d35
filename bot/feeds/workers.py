"""Where feed documents are parsed and their entries cleaned: worker processes, or threads.

feedparser and the HTML cleaner are pure Python: in threads they share the interpreter lock
with the event loop that fetches, stores and answers chats, so one core does all the work.
`WorkerPool` runs them in processes of their own (`warta run`); `InThreads` keeps them in
this process (a FeedPoller used on its own). Documents go to a worker as bytes and entries
come back as plain tuples: they pickle some thirty times faster than the dataclasses.

A worker that dies takes its pool with it (BrokenProcessPool): the pool is replaced and the
job raises `WorkerLost`, so the poller leaves the feed for its next poll instead of losing it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import select
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, TypeAlias, TypeVar

from bot.feeds.clean import FeedText, clean_entry_text
from bot.feeds.parse import ParsedEntry, parse_feed

log = logging.getLogger(__name__)

# Beyond this one poller's event loop cannot hand out work fast enough to keep more busy.
MAX_PROCESSES = 4

# (title, text for matching, summary) of one entry, as plain text.
CleanText: TypeAlias = tuple[str, str, str]
# A FeedText as (value, is_html), and a ParsedEntry as the tuple a worker sends back.
_Text: TypeAlias = tuple[str, bool]
_EntryRow: TypeAlias = tuple[str, _Text, _Text, _Text | None, str, float | None]
_Result = TypeVar("_Result")


class WorkerLost(Exception):
    """The worker process reading a document died; the feed is read again next poll."""


class FeedWorkers(Protocol):
    """Parses documents and cleans entries away from the event loop."""

    async def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ParsedEntry]:
        """The document's entries, oldest first (FeedParseError when it is not a feed)."""
        ...

    async def clean(self, entries: Sequence[ParsedEntry]) -> list[CleanText]:
        """(title, text for matching, summary) of each entry."""
        ...


def clean_entries(entries: Sequence[ParsedEntry]) -> list[CleanText]:
    """(title, text for matching, summary) of each entry, as plain text."""
    return [clean_entry_text(e.title, e.summary, e.content) for e in entries]


class InThreads:
    """Parsing and cleaning in worker threads of this process."""

    async def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ParsedEntry]:
        """The document's entries, parsed in a thread."""
        return (await asyncio.to_thread(parse_feed, body, headers)).entries

    async def clean(self, entries: Sequence[ParsedEntry]) -> list[CleanText]:
        """The entries' texts, cleaned in a thread."""
        return await asyncio.to_thread(clean_entries, entries)


def default_processes() -> int:
    """One worker process per CPU this process may run on, MAX_PROCESSES at most."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_PROCESSES))


class WorkerPool:
    """Worker processes that parse and clean; started once, replaced when one dies."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    async def start(self) -> None:
        """Start every worker now, so that no poll waits for a process to start."""
        if self._pool is not None or self._closed:
            raise RuntimeError("the worker pool is already started or closed")
        self._pool = _new_pool(self._processes)
        try:
            # Starting a process blocks its caller: not on the event loop.
            await asyncio.to_thread(_start_all, self._pool, self._processes)
        except BaseException:
            await self.close()  # a bot that cannot start leaves no workers behind
            raise

    async def close(self) -> None:
        """Stop the workers once their jobs are done; jobs not yet begun are dropped."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    def process_ids(self) -> list[int]:
        """The workers' process ids (for operators' tools and tests)."""
        # ProcessPoolExecutor names its processes nowhere public.
        return [] if self._pool is None else list(self._pool._processes)

    async def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ParsedEntry]:
        """The document's entries, parsed in a worker process."""
        rows = await self._run(_parse_rows, body, dict(headers))
        return [_entry(row) for row in rows]

    async def clean(self, entries: Sequence[ParsedEntry]) -> list[CleanText]:
        """The entries' texts, cleaned in a worker process."""
        return await self._run(_clean_rows, [_row(entry) for entry in entries])

    async def _run(self, job: Callable[..., _Result], *args: object) -> _Result:
        pool = self._pool
        if pool is None:
            raise RuntimeError("the worker pool is not started")
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, job, *args)
        except BrokenProcessPool as error:
            self._replace(pool, error)
            raise WorkerLost(str(error)) from error

    def _replace(self, broken: ProcessPoolExecutor, error: BrokenProcessPool) -> None:
        """A new pool for the broken one, once however many of its jobs report it."""
        if self._pool is not broken or self._closed:
            return
        log.error("a feed worker process died, starting new ones: %s", error)
        broken.shutdown(wait=False, cancel_futures=True)
        # Its processes start with the next job.
        self._pool = _new_pool(self._processes)


def _new_pool(processes: int) -> ProcessPoolExecutor:
    # Never fork this process: it runs threads and an event loop, which a fork copies mid-step.
    # A fresh interpreter per worker (spawn) costs a second at start only; a fork server would
    # start faster but listens on a Unix socket under TMPDIR, whose path may be too long.
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_started,
        initargs=(os.getpid(),),
    )


def _start_all(pool: ProcessPoolExecutor, processes: int) -> None:
    # Each job submitted while no worker is idle starts one more process, up to the maximum.
    for started in [pool.submit(os.getpid) for _ in range(processes)]:
        started.result()


def _worker_started(bot: int) -> None:
    """In a new worker: ignore Ctrl-C and end with the bot's process."""
    # Ctrl-C reaches the whole process group; the bot shuts its workers down in order itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(bot,), name="exit-with-bot", daemon=True).start()


def _exit_with(bot: int) -> None:
    """End this worker once the bot's process has ended, however it ended (SIGKILL too).

    A pool's worker waits for jobs on a pipe it holds both ends of: without this, a killed bot
    would leave its workers behind.
    """
    try:
        watched = os.pidfd_open(bot)
    except ProcessLookupError:  # ended already
        os._exit(0)
    except AttributeError:  # not Linux: the bot's own shutdown is all there is
        return
    select.select([watched], [], [])  # readable once the process has ended
    os._exit(0)


def _parse_rows(body: bytes, headers: dict[str, str]) -> list[_EntryRow]:
    """In a worker: the document's entries as tuples."""
    return [_row(entry) for entry in parse_feed(body, headers).entries]


def _clean_rows(rows: list[_EntryRow]) -> list[CleanText]:
    """In a worker: the entries' cleaned texts."""
    return clean_entries([_entry(row) for row in rows])


def _row(entry: ParsedEntry) -> _EntryRow:
    content = None if entry.content is None else _text_row(entry.content)
    return (
        entry.identity,
        _text_row(entry.title),
        _text_row(entry.summary),
        content,
        entry.link,
        entry.published_at,
    )


def _entry(row: _EntryRow) -> ParsedEntry:
    identity, title, summary, content, link, published_at = row
    return ParsedEntry(
        identity=identity,
        title=FeedText(*title),
        summary=FeedText(*summary),
        content=None if content is None else FeedText(*content),
        link=link,
        published_at=published_at,
    )


def _text_row(text: FeedText) -> _Text:
    return (text.value, text.is_html)
