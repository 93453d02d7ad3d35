"""Fetch: download a feed with conditional GET, a size cap and a total time limit."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from bot import __version__
from bot.feeds.guard import (
    BlockedAddress,
    GuardedTransport,
    Resolver,
    UnresolvableHost,
    resolve_host,
)
from bot.feeds.inflate import (
    ACCEPT_ENCODING,
    BodyTooLargeError,
    BoundedInflater,
    UndecodableBodyError,
)
from bot.net.addresses import PUBLIC_ONLY, AddressPolicy

# Requests at a time to one site (host): from one process, and from every poller together.
REQUESTS_PER_HOST = 2
USER_AGENT = f"Warta/{__version__} (Telegram news alert bot; +https://github.com/warta-bot/warta)"
MAX_REDIRECTS = 5
# Longer ETags and Last-Modified dates are not kept (nor sent back).
MAX_VALIDATOR_CHARS = 1024
_DIGITS = re.compile(r"[0-9]{1,18}")


class FetchError(Exception):
    """A feed could not be downloaded; `reason` is short and shown to operators.

    `code` names the kind of failure (the /addfeed explanation that fits it) and `detail` the
    part of the reason worth showing after that explanation.
    """

    code = "fetch"

    def __init__(
        self, reason: str, detail: str | None = None, *, retry_after: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = reason if detail is None else detail
        self.retry_after = retry_after  # the Retry-After header of a 429 or 503, verbatim


class AddressRefused(FetchError):
    """The host (or a redirect's) resolves to an address fetches may not reach."""

    code = "not_public"


class HostNotFound(FetchError):
    """The host (or a redirect's) name does not resolve."""

    code = "unresolvable"


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A feed response: a body to parse, or `not_modified` when the cache is still good."""

    not_modified: bool
    body: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    url: str  # where the body came from, after redirects


def build_http_client(
    timeout: float,
    addresses: AddressPolicy = PUBLIC_ONLY,
    *,
    resolve: Resolver = resolve_host,
) -> httpx.AsyncClient:
    """The shared client for every fetch: it connects only to addresses the policy allows."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    return httpx.AsyncClient(
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        # With a transport given, httpx ignores HTTP(S)_PROXY: a proxy would connect to
        # addresses the guard never sees.
        transport=GuardedTransport(addresses, limits=limits, resolve=resolve),
    )


class HostSlots:
    """At most `per_host` requests at a time to one host (its scheme, name and port, as
    browsers count a site's connections), within this process.

    Sites are asked politely: a poller with many feeds of one site fetches them a couple at a
    time, however many fetch slots it has. (Pollers in other processes count with it through
    the database: bot/feeds/sites.py.)
    """

    def __init__(self, per_host: int = REQUESTS_PER_HOST) -> None:
        self._per_host = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        """How many hosts have a request under way or waiting for a slot."""
        return len(self._hosts)

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's slots while the block runs."""
        host = site_of(url)
        semaphore = self._hosts.setdefault(host, asyncio.Semaphore(self._per_host))
        self._users[host] = self._users.get(host, 0) + 1
        try:
            async with semaphore:
                yield
        finally:
            # A host nobody waits for is forgotten: the table stays as small as the fetches.
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host], self._hosts[host]


def site_of(url: str) -> str:
    """The site a URL asks, as the per-site limit counts one: scheme, host name and port."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    return f"{parsed.scheme}://{parsed.host.lower()}:{parsed.port or ''}"


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    total_timeout: float,
    hosts: HostSlots | None = None,
) -> FetchedFeed:
    """Download one feed; raise FetchError with a reason when it cannot be had.

    With `hosts`, the request waits for one of its host's slots first (not counted against
    the total time limit: waiting for a turn is not the site being slow).
    """
    if hosts is None:
        return await _fetch_feed(client, url, etag, last_modified, max_bytes, total_timeout)
    async with hosts.slot(url):
        return await _fetch_feed(client, url, etag, last_modified, max_bytes, total_timeout)


async def _fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    total_timeout: float,
) -> FetchedFeed:
    headers = {}
    if etag and _sendable(etag):
        headers["If-None-Match"] = etag
    if last_modified and _sendable(last_modified):
        headers["If-Modified-Since"] = last_modified
    try:
        # A server that trickles bytes never trips the per-read timeout: bound the whole fetch.
        async with asyncio.timeout(total_timeout):
            return await _download(client, url, headers, max_bytes)
    except TimeoutError:
        raise FetchError(f"timed out after {total_timeout:g} s") from None
    except BlockedAddress as blocked:
        detail = str(blocked)
        raise AddressRefused(f"address not allowed: {detail} is not public", detail) from None
    except UnresolvableHost as error:
        raise HostNotFound(f"host not found: {error}", str(error)) from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException:
        raise FetchError("timed out") from None
    except httpx.InvalidURL as error:
        raise FetchError(f"invalid URL: {error}") from None
    except httpx.HTTPError as error:
        raise FetchError(f"network error: {type(error).__name__}: {error}".rstrip(": ")) from None


async def _download(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], max_bytes: int
) -> FetchedFeed:
    async with client.stream("GET", url, headers=headers) as response:
        if response.status_code == 304:
            return FetchedFeed(True, b"", dict(response.headers), None, None, str(response.url))
        if response.status_code != 200:
            retry_after = None
            if response.status_code in (429, 503):
                retry_after = response.headers.get("Retry-After")
            raise FetchError(
                f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                retry_after=retry_after,
            )
        declared = response.headers.get("Content-Length", "")
        if _DIGITS.fullmatch(declared) and int(declared) > max_bytes:
            raise FetchError(f"body larger than {max_bytes // 1024} KiB")
        body = await _read_body(response, max_bytes)
        return FetchedFeed(
            False,
            body,
            dict(response.headers),
            _validator(response.headers.get("ETag")),
            _validator(response.headers.get("Last-Modified")),
            str(response.url),
        )


def _validator(value: str | None) -> str | None:
    """A cache validator worth keeping: one the next request can send back as it came."""
    return value if value and _sendable(value) else None


def _sendable(value: str) -> bool:
    # A request header is ASCII (httpx refuses anything else) and one line; a site's garbled
    # ETag or Last-Modified, kept, would stop every later fetch of its feed.
    return value.isascii() and len(value) <= MAX_VALIDATOR_CHARS and value.isprintable()


async def _read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The decompressed body, stopped as soon as it would pass max_bytes (gzip bombs too)."""
    try:
        inflater = BoundedInflater(response.headers.get("Content-Encoding", ""), max_bytes)
        chunks = [inflater.feed(chunk) async for chunk in response.aiter_raw()]
        chunks.append(inflater.finish())
    except BodyTooLargeError:
        raise FetchError(f"body larger than {max_bytes // 1024} KiB") from None
    except UndecodableBodyError as error:
        raise FetchError(str(error)[:200]) from None
    return b"".join(chunks)
