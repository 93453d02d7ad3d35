"""Fetch: download a feed with conditional GET, a size cap and a total time limit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from bot import __version__
from bot.inflate import (
    ACCEPT_ENCODING,
    BodyTooLargeError,
    BoundedInflater,
    UndecodableBodyError,
)

USER_AGENT = f"Warta/{__version__} (Telegram news alert bot; +https://github.com/warta-bot/warta)"
MAX_REDIRECTS = 5


class FetchError(Exception):
    """A feed could not be downloaded; `reason` is short and shown to operators."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A feed response: a body to parse, or `not_modified` when the cache is still good."""

    not_modified: bool
    body: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None


def build_http_client(timeout: float) -> httpx.AsyncClient:
    """The shared client for feed fetching."""
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
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    total_timeout: float,
) -> FetchedFeed:
    """Download one feed; raise FetchError with a reason when it cannot be had."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        # A server that trickles bytes never trips the per-read timeout: bound the whole fetch.
        async with asyncio.timeout(total_timeout):
            return await _download(client, url, headers, max_bytes)
    except TimeoutError:
        raise FetchError(f"timed out after {total_timeout:g} s") from None
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
            return FetchedFeed(True, b"", dict(response.headers), None, None)
        if response.status_code != 200:
            raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"body larger than {max_bytes // 1024} KiB")
        body = await _read_body(response, max_bytes)
        return FetchedFeed(
            False,
            body,
            dict(response.headers),
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
        )


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
