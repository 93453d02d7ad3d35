"""Where feed documents are parsed and their entries cleaned: worker processes, or threads.

feedparser and the HTML cleaner are pure Python: in threads they share the interpreter lock
with the event loop that fetches, stores and answers chats, so one core does all the work.
`WorkerPool` runs them in processes of their own (`warta run`); `InThreads` keeps them in
this process (a FeedPoller used on its own). Documents go to a worker as bytes and entries
come back as plain tuples: they pickle some thirty times faster than the dataclasses.

A worker holds one document at a time. One that dies while reading a document (killed by a
signal, a crash in C code, the kernel's OOM killer) is replaced, and the document is that feed's
error (`ParserDied`): a document that kills its parser every time would otherwise be read again,
and kill again, at every poll. One found dead before the document reached it is replaced and
another reads the document. A worker holds at most PARSER_MEMORY_BYTES: a document that needs
more is that feed's error too, and its worker is replaced; so is a worker that has read a
document of more than RECYCLE_AFTER_BYTES (its heap would keep that size for good).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from typing import Protocol, TypeAlias

from bot.feeds.clean import FeedText, clean_entry_text
from bot.feeds.parse import FeedParseError, ParsedEntry, parse_feed
from bot.feeds.processes import (
    LARGE_INPUT_BYTES,
    JobKilled,
    OverLimit,
    ProcessGroup,
    ProcessLimits,
)
from bot.feeds.processes import WorkerLost as WorkerLost  # the poller's to catch

# Beyond this one poller's event loop cannot hand out work fast enough to keep more busy.
MAX_PROCESSES = 4
# A parser process's address space: some 30 MiB of it is the interpreter, feedparser and the
# cleaner at rest; a 5 MiB document (the default size cap) needs up to 85 MiB more to be read.
PARSER_MEMORY_BYTES = 128 * 1024 * 1024
# A worker that has read a document larger than this is replaced by a fresh one.
RECYCLE_AFTER_BYTES = 2 * 1024 * 1024

# (title, text for matching, summary) of one entry, as plain text.
CleanText: TypeAlias = tuple[str, str, str]
# A FeedText as (value, is_html), and a ParsedEntry as the tuple a worker sends back.
_Text: TypeAlias = tuple[str, bool]
_EntryRow: TypeAlias = tuple[str, _Text, _Text, _Text | None, str, float | None]


class ParserDied(FeedParseError):
    """The process reading the feed's document died doing it: the document is the suspect."""

    def __init__(self, doing: str, how: str) -> None:
        super().__init__(f"the parser process died {doing} this feed ({how})")


class FeedWorkers(Protocol):
    """Parses documents and cleans entries away from the event loop."""

    async def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ParsedEntry]:
        """The document's entries, oldest first (FeedParseError when it is not a feed, or
        killed the process reading it)."""
        ...

    async def clean(self, entries: Sequence[ParsedEntry]) -> list[CleanText]:
        """(title, text for matching, summary) of each entry (ParserDied: it killed the
        process cleaning it)."""
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
    return max(1, min(usable_cpus(), MAX_PROCESSES))


def usable_cpus() -> int:
    """How many CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class WorkerPool:
    """Worker processes that parse and clean; started once, replaced when one dies, breaks its
    memory cap or has read a large document."""

    def __init__(
        self,
        processes: int,
        *,
        memory_bytes: int | None = PARSER_MEMORY_BYTES,
        large_jobs: asyncio.Semaphore | None = None,
    ) -> None:
        """large_jobs: shared with the other process groups whose large jobs take turns."""
        limits = ProcessLimits(memory_bytes=memory_bytes, preload=(__name__,))
        self._group = ProcessGroup(processes, limits, name="feed parser", large_jobs=large_jobs)

    async def start(self) -> None:
        """Start every worker now, so that no poll waits for a process to start."""
        await self._group.start()

    async def close(self) -> None:
        """Stop the workers; a document still being read is read again at the next start."""
        await self._group.close()

    def process_ids(self) -> list[int]:
        """The workers' process ids (for operators' tools and tests)."""
        return self._group.process_ids()

    async def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ParsedEntry]:
        """The document's entries, parsed in a worker process (FeedParseError past its cap)."""
        # The worker's heap keeps the size a large document took: a fresh worker follows it.
        recycle = len(body) > RECYCLE_AFTER_BYTES
        large = len(body) > LARGE_INPUT_BYTES
        try:
            rows = await self._group.run(
                _parse_rows, body, dict(headers), recycle=recycle, large=large
            )
        except OverLimit as error:
            raise FeedParseError(f"document too large to read: needs {error}") from None
        except JobKilled as error:
            raise ParserDied("reading", error.how) from None
        return [_entry(row) for row in rows]

    async def clean(self, entries: Sequence[ParsedEntry]) -> list[CleanText]:
        """The entries' texts, cleaned in a worker process (ParserDied when it dies doing it)."""
        try:
            return await self._group.run(_clean_rows, [_row(entry) for entry in entries])
        except OverLimit as error:
            raise WorkerLost(str(error)) from error
        except JobKilled as error:
            # Cleaning them again in the bot's own process could kill the bot: no.
            raise ParserDied("cleaning the entries of", error.how) from None


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
