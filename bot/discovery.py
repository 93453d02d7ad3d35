"""Adding a feed by URL: public addresses only, and the feed found behind an ordinary page."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from bot.fetch import FetchedFeed, FetchError, fetch_feed
from bot.parse import FeedParseError, ParsedFeed, parse_feed

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
MAX_NAME = 100

Resolver = Callable[[str, int], Awaitable[list[str]]]


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


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host name resolves to."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, reserved...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    flags = (
        ip.is_private,
        ip.is_loopback,
        ip.is_link_local,
        ip.is_multicast,
        ip.is_reserved,
        ip.is_unspecified,
    )
    return ip.is_global and not any(flags)


async def check_public(url: httpx.URL, resolve: Resolver) -> None:
    """Refuse a URL whose host has any address that is not public."""
    host = url.host
    if url.scheme not in {"http", "https"} or not host:
        raise FeedRefused("invalid_url", str(url))
    try:
        addresses = await resolve(host, url.port or (443 if url.scheme == "https" else 80))
    except (OSError, UnicodeError) as error:
        raise FeedRefused("unresolvable", f"{host}: {error}") from None
    refused = [address for address in addresses if not is_public_address(address)]
    if refused or not addresses:
        raise FeedRefused("not_public", f"{host} → {refused[0] if refused else '?'}")


@dataclass(slots=True)
class _Guard:
    """What one guarded fetch allows, and the URLs it requested (the last is the final one)."""

    resolve: Resolver | None  # None: any address is allowed
    requested: list[str] = field(default_factory=list)


# Context-local, so only fetches made inside FeedFinder are checked, never the poller's.
_GUARD: ContextVar[_Guard | None] = ContextVar("warta_feed_guard", default=None)


async def _guard_request(request: httpx.Request) -> None:
    """httpx request hook: runs for the first request and for every redirect."""
    guard = _GUARD.get()
    if guard is None:
        return
    guard.requested.append(str(request.url))
    if guard.resolve is not None:
        await check_public(request.url, guard.resolve)


def _install_guard(client: httpx.AsyncClient) -> None:
    hooks = client.event_hooks
    if _guard_request not in hooks["request"]:
        client.event_hooks = {**hooks, "request": [*hooks["request"], _guard_request]}


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

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_private: bool,
        max_bytes: int,
        timeout: float,
        resolve: Resolver = resolve_host,
    ) -> None:
        self._client = client
        self._resolve = None if allow_private else resolve
        self._max_bytes = max_bytes
        self._timeout = timeout

    async def find(self, url: str) -> FoundFeed:
        """The feed at url, or the one its page links to; FeedRefused says why not."""
        fetched, final_url = await self._fetch(url)
        try:
            return _found(url, await _parse(fetched))
        except FeedParseError as error:
            link = feed_link(fetched.body, final_url)
            if link is None:
                raise FeedRefused("not_feed", error.reason) from None
        linked, _ = await self._fetch(link)
        try:
            return _found(link, await _parse(linked))
        except FeedParseError as error:
            raise FeedRefused("not_feed", f"{link}: {error.reason}") from None

    async def _fetch(self, url: str) -> tuple[FetchedFeed, str]:
        _install_guard(self._client)
        guard = _Guard(self._resolve)
        token = _GUARD.set(guard)
        try:
            fetched = await fetch_feed(
                self._client,
                url,
                etag=None,
                last_modified=None,
                max_bytes=self._max_bytes,
                total_timeout=self._timeout,
            )
        except FetchError as error:
            raise FeedRefused("fetch", error.reason) from None
        finally:
            _GUARD.reset(token)
        return fetched, guard.requested[-1] if guard.requested else url


async def _parse(fetched: FetchedFeed) -> ParsedFeed:
    return await asyncio.to_thread(parse_feed, fetched.body, fetched.headers)


def _found(url: str, parsed: ParsedFeed) -> FoundFeed:
    title = " ".join(parsed.title.split())[:MAX_NAME]
    return FoundFeed(url, title or urlsplit(url).netloc, len(parsed.entries))
