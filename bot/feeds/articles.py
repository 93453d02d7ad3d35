"""The whole article: fetch a teaser-only feed's article pages and extract their main text.

Many Indonesian feeds send a sentence or two per entry, so a name in the article's fifth
paragraph never reaches the matcher. For such a feed (detected from the median length of the
text it sent for its recent entries, or set per feed with `full_text`), each new item's page is
fetched through the same guarded client as feeds (address guard, size cap, time limit), a few
at a time and at most ARTICLE_PER_HOST per host, and its main text is extracted and cleaned
like feed text. Nothing waits longer than the batch's budget: a page not had by then leaves its
item to be matched on its teaser, and the failure is counted on the feed. Extraction runs where
an `ArticleExtraction` puts it (bot/feeds/extraction.py: worker processes that stop a page at
its CPU and memory limits), never in the event loop's default executor.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol
from urllib.parse import urlsplit

import httpx

from bot.feeds.fetch import FetchError, HostSlots, fetch_feed
from bot.feeds.parse import ParsedEntry
from storage.models import FullTextMode

# A feed whose recent entries carry a median of fewer characters than this sends teasers.
TEASER_MEDIAN_CHARS: Final = 500
# No item of a batch waits longer than this for its article page.
ARTICLE_BUDGET_SECONDS: Final = 5.0
# At most this much more for a batch whose pages waited for extraction processes to start.
START_GRACE_SECONDS: Final = 30.0
ARTICLE_CONCURRENCY: Final = 8
# Polite to news sites: a feed's new items usually all live on its own host.
ARTICLE_PER_HOST: Final = 2
# Indonesian news pages run 100-400 KiB of HTML; far more is not an article page.
MAX_ARTICLE_BYTES: Final = 2 * 1024 * 1024

_TAG_RE: Final = re.compile(r"<[^>]*>")


def feed_text_length(entry: ParsedEntry) -> int:
    """About how many characters of text the feed sent for an entry (its markup left out)."""
    fields = [entry.summary, *([entry.content] if entry.content else [])]
    return max(len(_TAG_RE.sub("", field.value).strip()) for field in fields)


def wants_articles(mode: FullTextMode, text_lengths: Sequence[int]) -> bool:
    """Whether a feed's new items get their article page fetched."""
    if mode is FullTextMode.AUTO:
        return bool(text_lengths) and statistics.median(text_lengths) < TEASER_MEDIAN_CHARS
    return mode is FullTextMode.ALWAYS


class ExtractionFailed(Exception):
    """A page's text could not be extracted within its limits; `reason` is shown to operators."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ArticleExtraction(Protocol):
    """Extracts an article page's text away from the event loop."""

    async def extract(self, page: bytes, url: str) -> str:
        """extract_article's text of the page (ExtractionFailed past the page's limits)."""
        ...

    def seconds_starting(self, since: float) -> float:
        """How long, since the monotonic time `since`, pages waited for extraction to start."""
        ...


@dataclass(frozen=True, slots=True)
class ArticleBatch:
    """The article text had for each link, and why the others could not be had."""

    texts: dict[str, str]
    failures: tuple[str, ...] = ()


class ArticleFetcher:
    """Fetches article pages concurrently, bounded overall and per host, within a budget."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        extraction: ArticleExtraction,
        *,
        budget: float = ARTICLE_BUDGET_SECONDS,
        concurrency: int = ARTICLE_CONCURRENCY,
        per_host: int = ARTICLE_PER_HOST,
        max_bytes: int = MAX_ARTICLE_BYTES,
    ) -> None:
        self._client = client
        self._extraction = extraction
        self._budget = budget
        self._limit = asyncio.Semaphore(concurrency)
        # A host's slots are forgotten once no page of it is fetched or waiting.
        self._hosts = HostSlots(per_host)
        self._max_bytes = max_bytes

    def hosts_held(self) -> int:
        """How many hosts have a page being fetched or waiting for its turn."""
        return len(self._hosts)

    async def fetch(self, links: Sequence[str]) -> ArticleBatch:
        """The article text of each link, as much as the budget allows."""
        unique = [link for link in dict.fromkeys(links) if is_web_link(link)]
        outcomes = await asyncio.gather(*(self.within_budget(link) for link in unique))
        texts: dict[str, str] = {}
        failures: list[str] = []
        for link, outcome in zip(unique, outcomes, strict=True):
            if isinstance(outcome, ArticleFailure):
                failures.append(f"{link}: {outcome.reason}")
            else:
                texts[link] = outcome
        return ArticleBatch(texts, tuple(failures))

    async def within_budget(self, link: str) -> str | ArticleFailure:
        """One page's article text within the budget, or why there is none."""
        task = asyncio.create_task(self.article(link))
        began = time.monotonic()
        try:
            done, _ = await asyncio.wait([task], timeout=self._budget)
            # The first pages a process extracts wait for its extraction processes to start:
            # the page gets that time back, so that a slow start costs no article.
            given = 0.0
            while (
                not done
                and given < START_GRACE_SECONDS
                and (owed := self._extraction.seconds_starting(began) - given) > 0
            ):
                given += owed
                done, _ = await asyncio.wait([task], timeout=owed)
        finally:
            task.cancel()  # nothing, once it is done
        if not done:
            await asyncio.gather(task, return_exceptions=True)
            return ArticleFailure(f"not had within {self._budget:g} s")
        return task.result()

    async def article(self, link: str) -> str | ArticleFailure:
        """One page's article text, or why there is none."""
        try:
            async with self._limit:
                page = await fetch_feed(
                    self._client,
                    link,
                    etag=None,
                    last_modified=None,
                    max_bytes=self._max_bytes,
                    total_timeout=self._budget,
                    hosts=self._hosts,
                )
        except FetchError as error:
            return ArticleFailure(error.reason)
        try:
            text = await self._extraction.extract(page.body, page.url)
        except ExtractionFailed as error:
            return ArticleFailure(error.reason)
        return text or ArticleFailure("no article text found on the page")


@dataclass(frozen=True, slots=True)
class ArticleFailure:
    """Why an article page gave no text."""

    reason: str


def is_web_link(link: str) -> bool:
    """Whether a link is a web page's address (http or https, with a host)."""
    parts = urlsplit(link)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
