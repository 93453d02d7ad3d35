"""Compressed feeds: decompressed only as far as the size cap, whatever they expand to."""

from __future__ import annotations

import gzip
import random
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.fetch import FetchError, build_http_client, fetch_feed
from bot.standin import FeedItem, FeedServer, render_rss
from tests.inprocess import ADMIN_ID, LOOPBACK_FEEDS, RunningBot

CAP = 256 * 1024


def zeros_compressed(size: int, wbits: int) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    return b"".join([*(squeezer.compress(block) for _ in range(size >> 20)), squeezer.flush()])


async def fetch(feeds: FeedServer, path: str) -> bytes:
    async with build_http_client(30.0, LOOPBACK_FEEDS) as client:  # timeouts that mean hung
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


# --- whole bodies or none, through a poll of the running bot ---------------------------------

BANTEN = "/banten.xml"


def thirty_items_of_news() -> tuple[bytes, list[str]]:
    """An RSS document of thirty items whose text compresses little, and their titles."""
    titles = [f"Berita {n}: banjir {n * 7919 % 1000} rumah di Serang" for n in range(30)]
    items = [
        FeedItem(
            title=title,
            link=f"https://berita.example/{n}",
            description=f"<p>{title}. {random.Random(n).randbytes(300).hex()}</p>",
            guid=f"urn:berita:{n}",
            published=datetime.now(UTC) - timedelta(hours=1),
        )
        for n, title in enumerate(titles)
    ]
    return render_rss("Uji", "https://uji.example/", items, datetime.now(UTC)), titles


async def stored_titles(warta: RunningBot) -> set[str]:
    return {item.title for item in await warta.services.storage.latest_items(100)}


async def banten_feed_error(warta: RunningBot) -> str | None:
    (feed,) = await warta.services.storage.list_feeds()
    return feed.last_error


async def test_a_truncated_gzip_feed_is_an_error_shown_to_operators_and_nothing_is_stored(
    warta: RunningBot,
) -> None:
    document, _ = thirty_items_of_news()
    compressed = gzip.compress(document)
    # The HTTP message is complete; the gzip stream in it stops two thirds of the way.
    warta.feeds.set_raw(
        BANTEN, compressed[: len(compressed) * 2 // 3], headers={"Content-Encoding": "gzip"}
    )
    await warta.poll()
    assert await banten_feed_error(warta) == "truncated gzip body"
    assert await stored_titles(warta) == set()
    assert "truncated gzip body" in await warta.say(ADMIN_ID, "/feeds")


async def test_every_member_of_a_multi_member_gzip_feed_is_stored(warta: RunningBot) -> None:
    document, titles = thirty_items_of_news()
    half = len(document) // 2
    body = gzip.compress(document[:half]) + gzip.compress(document[half:])
    warta.feeds.set_raw(BANTEN, body, headers={"Content-Encoding": "gzip"})
    await warta.poll()
    assert await banten_feed_error(warta) is None
    assert await stored_titles(warta) == set(titles)


async def test_a_body_cut_short_of_its_content_length_is_an_error(warta: RunningBot) -> None:
    document, _ = thirty_items_of_news()
    warta.feeds.set_raw(BANTEN, document)
    warta.feeds.set_cut_off(BANTEN, len(document) * 2 // 3)
    await warta.poll()
    error = await banten_feed_error(warta)
    assert error is not None
    assert "without sending complete message body" in error
    assert await stored_titles(warta) == set()
