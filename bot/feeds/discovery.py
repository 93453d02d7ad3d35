"""Adding a feed by URL: the feed it is, or the one an ordinary page links to.

Which addresses may be fetched is the shared client's business (bot/feeds/guard.py): a URL whose
host, or any redirect's, is not allowed comes back as FeedRefused("not_public").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from bot.feeds.fetch import FetchedFeed, FetchError, fetch_feed
from bot.feeds.parse import FeedParseError, ParsedFeed, parse_feed

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
MAX_NAME = 100


class FeedRefused(Exception):
    """The URL cannot be added; `code` picks the explanation, `detail` fills it."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code  # "invalid_url", "unresolvable", "not_public", "fetch" or "not_feed"
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A feed ready to add: where it is, what it calls itself, how many entries it has."""

    url: str
    title: str
    entries: int


class FeedLinks(HTMLParser):
    """Collects <link rel="alternate" type="application/rss+xml" href="..."> and <base>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Remember feed links and the base URL."""
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag != "link" or not values.get("href"):
            return
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES:
            self.links.append(values["href"])


def feed_link(page: bytes, page_url: str) -> str | None:
    """The first feed a web page links to, as an absolute http(s) URL."""
    parser = FeedLinks()
    parser.feed(page.decode("utf-8", errors="replace"))
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    for href in parser.links:
        url = urljoin(base, href.strip())
        if urlsplit(url).scheme in {"http", "https"}:
            return url
    return None


class FeedFinder:
    """Fetches a URL once with the shared client and finds the feed it is or links to."""

    def __init__(self, client: httpx.AsyncClient, *, max_bytes: int, timeout: float) -> None:
        self._client = client
        self._max_bytes = max_bytes
        self._timeout = timeout

    async def find(self, url: str) -> FoundFeed:
        """The feed at url, or the one its page links to; FeedRefused says why not."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise FeedRefused("invalid_url", url)
        fetched = await self._fetch(url)
        try:
            return _found(url, await _parse(fetched))
        except FeedParseError as error:
            link = feed_link(fetched.body, fetched.url)
            if link is None:
                raise FeedRefused("not_feed", error.reason) from None
        linked = await self._fetch(link)
        try:
            return _found(link, await _parse(linked))
        except FeedParseError as error:
            raise FeedRefused("not_feed", f"{link}: {error.reason}") from None

    async def _fetch(self, url: str) -> FetchedFeed:
        try:
            return await fetch_feed(
                self._client,
                url,
                etag=None,
                last_modified=None,
                max_bytes=self._max_bytes,
                total_timeout=self._timeout,
            )
        except FetchError as error:
            raise FeedRefused(error.code, error.detail) from None


async def _parse(fetched: FetchedFeed) -> ParsedFeed:
    return await asyncio.to_thread(parse_feed, fetched.body, fetched.headers)


def _found(url: str, parsed: ParsedFeed) -> FoundFeed:
    title = " ".join(parsed.title.split())[:MAX_NAME]
    return FoundFeed(url, title or urlsplit(url).netloc, len(parsed.entries))
