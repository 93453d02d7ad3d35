"""Compressed feeds: decompressed only as far as the size cap, whatever they expand to."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from datetime import UTC, datetime

import pytest

from bot.fetch import FetchError, build_http_client, fetch_feed
from bot.standin import FeedServer, render_rss

CAP = 256 * 1024


def zeros_compressed(size: int, wbits: int) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    return b"".join([*(squeezer.compress(block) for _ in range(size >> 20)), squeezer.flush()])


async def fetch(feeds: FeedServer, path: str) -> bytes:
    async with build_http_client(30.0) as client:  # timeouts that mean hung, not slow
        fetched = await fetch_feed(
            client, feeds.url(path), etag=None, last_modified=None, max_bytes=CAP, total_timeout=60
        )
    return fetched.body


@pytest.mark.parametrize(("coding", "wbits"), [("gzip", 31), ("deflate", 15), ("deflate", -15)])
async def test_a_compression_bomb_is_refused_without_being_inflated(
    feeds: FeedServer, coding: str, wbits: int
) -> None:
    # 64 KiB on the wire, 64 MiB once inflated: httpx would inflate each read in one go.
    feeds.set_raw(
        "/bom.xml", zeros_compressed(64 << 20, wbits), headers={"Content-Encoding": coding}
    )
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="larger than 256 KiB"):
            await fetch(feeds, "/bom.xml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * CAP


@pytest.mark.parametrize(("coding", "wbits"), [("gzip", 31), ("deflate", 15), ("deflate", -15)])
async def test_compressed_feeds_within_the_cap_arrive_whole(
    feeds: FeedServer, coding: str, wbits: int
) -> None:
    document = render_rss("Uji", "https://uji.example/", [], datetime.now(UTC))
    squeezer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    feeds.set_raw(
        "/ok.xml",
        squeezer.compress(document) + squeezer.flush(),
        headers={"Content-Encoding": coding},
    )
    assert await fetch(feeds, "/ok.xml") == document


async def test_an_encoding_the_bot_did_not_ask_for_is_an_error_not_garbage(
    feeds: FeedServer,
) -> None:
    feeds.set_raw("/br.xml", gzip.compress(b"<rss/>"), headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="unsupported Content-Encoding: br"):
        await fetch(feeds, "/br.xml")
