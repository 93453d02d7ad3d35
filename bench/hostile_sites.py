"""The hostile sites of bench/bench_hostile.py: their documents, their servers, and a thread of
their own to serve them from.

The servers run on an event loop in a separate thread (`HostileSide`): serving 2 MiB pages and
sending 240 MiB of pushes is the attacker's work, and must not show up as the bot's own lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import zlib
from collections.abc import Coroutine
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web

from bot.standin import FeedItem, render_atom

T = TypeVar("T")

# Hub discovery (bot/feeds/websub.py reads the first 64 KiB of a feed for its links).
NAME_LIKE_CHARS = 62_000  # one attribute-name-like run inside a <link> tag
LINK_HEADER_ANGLES = 90_000  # a Link header of '<' only (httpx takes headers up to 100 KiB)
# Article extraction (bot/feeds/articles.py takes pages up to 2 MiB).
NESTED_PAGES = 12
PAGE_BYTES = 2 * 1024 * 1024 - 4096
# WebSub hubs.
TRICKLE_SECONDS = 5.0  # one byte of the hub's answer this often
BOMB_BYTES = 1024 * 1024  # compressed; about a thousand times that once inflated
# Pushes.
PUSHES = 60
PUSH_BYTES = 4 * 1024 * 1024
FILLER = (
    "Warga setempat berkumpul di balai pertemuan untuk membahas perbaikan saluran air yang "
    "rusak sejak musim hujan tahun lalu, sementara petugas mencatat keluhan mereka satu per satu. "
)


def teaser(n: int, link: str, published: datetime) -> FeedItem:
    """An item of a teaser-only feed: a title and one sentence, its story on the linked page."""
    return FeedItem(
        title=f"Rapat warga membahas saluran air nomor {n}",
        link=link,
        guid=f"urn:hostile:teaser:{n}",
        description="Warga berkumpul di balai pertemuan.",
        published=published,
    )


def feed_document(title: str, url: str, items: list[FeedItem], head: str = "") -> bytes:
    """An Atom feed with extra markup at the top of its head (a hub link, a comment)."""
    body = render_atom(title, url, items, datetime.now(UTC))
    return body.replace(b'<link rel="self"', head.encode() + b'<link rel="self"', 1)


def name_like_comment() -> str:
    """A comment holding a <link> tag whose attributes are one long name-like run.

    Every start in the run makes the attribute pattern read to its end and back (no '=' ever
    comes): quadratic in its length. Feed parsers skip comments, so the feed stays readable.
    """
    return "<!-- <link " + "a" * NAME_LIKE_CHARS + "> -->"


def link_header_flood() -> str:
    """A Link header of '<' only: every '<' opens a link whose '>' never comes."""
    return "<" * LINK_HEADER_ANGLES


def nested_div_page(n: int) -> bytes:
    """A 2 MiB article page of nested divs, one letter each."""
    head = f"<html><head><title>Berita {n}</title></head><body>"
    unit = "<div>a"
    return (head + unit * ((PAGE_BYTES - len(head)) // len(unit)) + "</body></html>").encode()


def line_break_page() -> bytes:
    """A 2 MiB article page of one paragraph of line breaks."""
    head = "<html><head><title>Berita</title></head><body><p>Banjir"
    tail = "</p></body></html>"
    return (head + "<br>" * ((PAGE_BYTES - len(head) - len(tail)) // 4) + tail).encode()


def gzip_bomb() -> bytes:
    """A gzip stream of zeros, BOMB_BYTES long compressed."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(16 * 1024 * 1024)
    parts: list[bytes] = []
    size = 0
    while size < BOMB_BYTES:
        part = compressor.compress(zeros)
        parts.append(part)
        size += len(part)
    parts.append(compressor.flush())
    return b"".join(parts)


def push_document(topic: str) -> bytes:
    """A 4 MiB Atom document of 50 long entries (a feed's newest 50), matching no reader."""
    entries = 50
    text = FILLER * ((PUSH_BYTES // entries - 600) // len(FILLER))
    items = [
        FeedItem(
            title=f"Laporan panjang rapat warga bagian {n}",
            link=f"https://dorong.example/{n}",
            guid=f"urn:hostile:push:{n}",
            description=f"<p>{text}</p>",
            published=datetime.now(UTC),
        )
        for n in range(entries)
    ]
    return render_atom("Berita Dorong", topic, items, datetime.now(UTC))


class TrickleHub:
    """A hub that answers every request one byte at a time, TRICKLE_SECONDS apart."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._answering: set[asyncio.Task[Any]] = set()
        self._closing = asyncio.Event()
        self.requests = 0

    async def start(self) -> None:
        """Listen on a random loopback port."""
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)

    async def stop(self) -> None:
        """Close the server and every connection it trickles to."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self._closing.set()
        await asyncio.gather(*self._answering, return_exceptions=True)

    @property
    def url(self) -> str:
        """The hub's address, as a feed names it."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests += 1
        answer_task = asyncio.current_task()
        assert answer_task is not None
        self._answering.add(answer_task)
        answer = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
        try:
            await reader.readuntil(b"\r\n\r\n")
            for byte in answer:
                writer.write(bytes([byte]))
                await writer.drain()
                # The trickle is the attack: each byte resets the client's read timeout.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), TRICKLE_SECONDS)
                if self._closing.is_set():
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._answering.discard(answer_task)
            writer.close()


class BombHub:
    """A hub that answers 503 with a gzip bomb as its body."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._bomb = b""
        self.requests = 0

    async def start(self) -> None:
        """Listen on a random loopback port."""
        self._bomb = await asyncio.to_thread(gzip_bomb)
        app = web.Application()
        app.router.add_post("/", self._answer)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """The hub's address, as a feed names it."""
        return f"http://127.0.0.1:{self._port}/"

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests += 1
        await request.read()
        headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain"}
        return web.Response(status=503, body=self._bomb, headers=headers)


class HostileSide:
    """An event loop in a thread of its own, for the hostile servers and senders."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="hostile-side", daemon=True
        )

    def __enter__(self) -> HostileSide:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def submit(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        """Start a coroutine on the hostile loop."""
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the hostile loop and wait for it from the caller's loop."""
        return await asyncio.wrap_future(self.submit(work))
