"""Where article pages are extracted: worker processes that stop a page at its limits, or a
thread of the poller's own.

trafilatura on a hostile page (thousands of nested `div`s, a flood of `<br>`) runs for tens of
seconds and takes hundreds of MB; a thread cannot be stopped, and in the event loop's default
executor it would hold up everything else queued there (/latest, pre-scans, topic reloads).
`ArticleExtractors` gives each page at most ARTICLE_CPU_SECONDS of CPU and its process at most
ARTICLE_MEMORY_BYTES: a page past either, or whose batch's budget ends first, has its process
killed and replaced, and is an article failure of its feed (its item is matched on its teaser).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from bot.feeds.articles import ExtractionFailed
from bot.feeds.extract import extract_article
from bot.feeds.processes import (
    LARGE_INPUT_BYTES,
    OverLimit,
    ProcessGroup,
    ProcessLimits,
    WorkerLost,
)
from bot.feeds.workers import usable_cpus

# A news page takes trafilatura some 30-50 ms of CPU; a page that needs forty times that is not
# an article page worth waiting for.
ARTICLE_CPU_SECONDS = 2
# An extraction process's whole address space: some 80 MiB of it is the interpreter and
# trafilatura at rest; a 300 KiB news page takes some 50 MiB more.
ARTICLE_MEMORY_BYTES = 192 * 1024 * 1024
# A process that has extracted a page larger than this is replaced by a fresh one (its heap
# would keep the size that page made it take).
RECYCLE_AFTER_BYTES = 1024 * 1024
# Pages come a few per new item of teaser-only feeds: one process per two CPUs keeps up, and
# leaves the other CPU to the event loop and the feed parsers when a hostile page burns its own.
MAX_EXTRACTORS = 2


def default_extractors() -> int:
    """One extraction process per two CPUs this process may run on, MAX_EXTRACTORS at most."""
    return max(1, min(usable_cpus() // 2, MAX_EXTRACTORS))


class ArticleExtractors:
    """Extraction processes, each page within its CPU time and memory; started once, by the
    first page unless `start` is called before."""

    def __init__(
        self,
        processes: int,
        *,
        cpu_seconds: int = ARTICLE_CPU_SECONDS,
        memory_bytes: int = ARTICLE_MEMORY_BYTES,
        large_jobs: asyncio.Semaphore | None = None,
    ) -> None:
        """large_jobs: shared with the other process groups whose large jobs take turns."""
        self._cpu_seconds = cpu_seconds
        limits = ProcessLimits(memory_bytes, cpu_seconds, preload=("bot.feeds.articles",))
        self._group = ProcessGroup(
            processes, limits, name="article extraction", large_jobs=large_jobs
        )

    async def start(self) -> None:
        """Start every process now unless they are, so that no page waits for one to start."""
        await self._group.ensure_started()

    def seconds_starting(self, since: float) -> float:
        """How long pages waited since the monotonic time `since` for the processes to start."""
        return self._group.seconds_starting(since)

    async def close(self) -> None:
        """Stop the processes, and the pages they are extracting with them."""
        await self._group.close()

    def process_ids(self) -> list[int]:
        """The processes' ids (for operators' tools and tests)."""
        return self._group.process_ids()

    async def extract(self, page: bytes, url: str) -> str:
        """The page's article text, extracted in one of the processes (started by the first
        page: a bot whose feeds all send whole articles never runs them)."""
        await self._group.ensure_started()
        try:
            return await self._group.run(
                extract_article,
                page,
                url,
                recycle=len(page) > RECYCLE_AFTER_BYTES,
                large=len(page) > LARGE_INPUT_BYTES,
            )
        except OverLimit as error:
            raise ExtractionFailed(f"extraction stopped: the page needs {error}") from None
        except WorkerLost:
            # Ended by the kernel at its CPU limit, as a rule (or killed by someone).
            raise ExtractionFailed(
                f"extraction stopped: its process ended (the page's CPU limit is "
                f"{self._cpu_seconds} s)"
            ) from None


class ExtractionInThread:
    """Extraction in one thread of this process, no limit enforced (a FeedPoller used on its
    own: tests, benchmarks); never the event loop's default executor."""

    def __init__(self) -> None:
        # No thread runs until the first page comes.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="article-extraction")

    async def extract(self, page: bytes, url: str) -> str:
        """The page's article text, extracted in this poller's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, extract_article, page, url)

    def seconds_starting(self, since: float) -> float:
        """Nothing to start: a thread is there at once."""
        return 0.0

    def close(self) -> None:
        """Let the thread end once its page is done."""
        self._thread.shutdown(wait=False, cancel_futures=True)
