"""Hubs that answer badly: slowly, with a bomb, or not at all while a lease runs out."""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from bot.feeds.websub import RETRY_SECONDS
from bot.standin import FeedServer, HubStandIn, TelegramStandIn, render_atom
from storage.models import PushStatus
from tests.factories import news
from tests.inprocess import FakeClock
from tests.pipeline.test_websub import ATOM, HUNG, pushed_bot, websub

SLOW = "/lambat.xml"
# The trickling hub sends one byte of its answer this often, for ever.
TRICKLE_SECONDS = 1.0
BOMB_BYTES = 128 * 1024 * 1024  # what the hub's gzip answer inflates to


class TricklingHub:
    """A hub that takes a request, then sends its answer's head a byte at a time, never ending."""

    def __init__(self) -> None:
        self.requests = 0
        self.hung_up = asyncio.Event()  # the subscriber gave up and closed the connection
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> TricklingHub:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        """The hub's address, as a feed names it."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        self.requests += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n")
             if line.lower().startswith(b"content-length:")), 0,
        )  # fmt: skip
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 202 Accepted\r\nX-Slow: ")
        try:
            while True:
                writer.write(b"a")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    if await asyncio.wait_for(reader.read(1), TRICKLE_SECONDS) == b"":
                        break  # the subscriber hung up
        except ConnectionError:
            pass
        finally:
            self.hung_up.set()
            writer.close()


def atom_naming(feeds: FeedServer, route: str, hub: str) -> bytes:
    """A feed document naming a hub."""
    document = render_atom("Berita Lambat", feeds.url(route), [news("x", "Pasar buka")],
                           datetime.now(UTC))  # fmt: skip
    return document.replace(
        b'<link rel="self"', f'<link rel="hub" href="{hub}"/><link rel="self"'.encode(), 1
    )


async def test_a_trickling_hub_holds_up_no_other_feeds_renewal(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    plain = render_atom("Berita Lambat", feeds.url(SLOW), [news("x", "Pasar buka")],
                        datetime.now(UTC))  # fmt: skip
    feeds.set_raw(SLOW, plain, content_type="application/atom+xml")
    async with (
        HubStandIn(lease_seconds=1000) as hub,
        TricklingHub() as slow,
        pushed_bot(
            tmp_path, telegram, feeds, hub, clock, 600, others=[("Berita Lambat", SLOW, "")]
        ) as warta,
    ):
        # The second feed now names a hub that answers a byte a second; it is asked first (a
        # new subscription), the healthy hub's renewal after it.
        feeds.set_raw(SLOW, atom_naming(feeds, SLOW, slow.url), content_type="application/atom+xml")
        clock.advance(850)
        await warta.poll()
        assert await asyncio.wait_for(websub(warta).run_due(), HUNG) == 2

        await hub.wait_for(lambda h: len(h.verifications) == 2)
        assert [r["hub.mode"] for r in hub.requests] == ["subscribe", "subscribe"]
        assert hub.verifications[-1].confirmed
        assert slow.requests == 1

        # The trickling hub is given up at the request's deadline, and asked again later.
        await asyncio.wait_for(slow.hung_up.wait(), HUNG)
        await websub(warta).wait_for_requests()
        stalled = await warta.services.storage.push_subscription(2)
        assert stalled is not None
        assert (stalled.status, stalled.renew_at) == (PushStatus.WANTED, clock.now + RETRY_SECONDS)


def gzip_of_zeros(size: int) -> bytes:
    """A gzip body that inflates to `size` zero bytes (a thousandth of that, compressed)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(size >> 20)), packer.flush()])


@contextlib.asynccontextmanager
async def bomb_hub(body: bytes) -> AsyncIterator[str]:
    """A hub answering every request 500, with a gzip body; its address."""

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=500, body=body, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_post("/", answer)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


async def test_a_hubs_gzip_bomb_is_not_inflated(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    feeds.set_raw(SLOW, b"<feed/>", content_type="application/atom+xml")
    async with (
        HubStandIn() as hub,
        bomb_hub(gzip_of_zeros(BOMB_BYTES)) as bomb,
        pushed_bot(
            tmp_path, telegram, feeds, hub, clock, others=[("Berita Bom", SLOW, "")]
        ) as warta,
    ):
        feeds.set_raw(SLOW, atom_naming(feeds, SLOW, bomb), content_type="application/atom+xml")
        await warta.poll()
        tracemalloc.start()
        try:
            assert await websub(warta).run_due() == 1
            await asyncio.wait_for(websub(warta).wait_for_requests(), HUNG)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        refused = await warta.services.storage.push_subscription(2)
        assert refused is not None
        assert (refused.status, refused.renew_at) == (PushStatus.WANTED, clock.now + RETRY_SECONDS)
    # The answer's start is read for the log, never the whole of it.
    assert peak < BOMB_BYTES / 8


async def test_a_feed_whose_lease_lapsed_is_polled_at_its_own_interval_again(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    recent = [news(f"p{n}", f"Pasar pagi {n}", hours_ago=n / 2) for n in (1, 2, 3)]
    async with (
        HubStandIn(lease_seconds=1000) as hub,
        pushed_bot(tmp_path, telegram, feeds, hub, clock, 1800, items=recent) as warta,
    ):
        storage = warta.services.storage
        await warta.poll()  # a safety-net poll while the hub pushes: the next at the lease's end
        (feed,) = await storage.list_feeds()
        assert (feed.poll_interval, feed.poll_reason) == (1000, "push")

        await hub.stop()  # the hub is gone: the renewal fails, the lease runs out
        clock.advance(850)
        assert await websub(warta).run_due() == 1
        await websub(warta).wait_for_requests()
        subscription = await storage.push_subscription(feed.id)
        assert subscription is not None
        assert subscription.status == PushStatus.ACTIVE  # as far as the database knows

        clock.advance(170)  # past the lease's end (and the feed's small jitter)
        polled = feeds.hits(ATOM)
        await warta.services.poller.poll_once()
        await warta.services.poller.wait_for_fetches()
        assert feeds.hits(ATOM) == polled + 1
        (feed,) = await storage.list_feeds()
        assert feed.poll_reason == "rate"
        assert feed.poll_interval < 1800
