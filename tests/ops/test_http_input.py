"""The bot's own HTTP servers answer malformed, oversized and slow requests without a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from bot.feeds.push import MAX_PUSH_BYTES
from bot.ops.health import MonitoringServer
from bot.ops.metrics import Metrics
from bot.ops.serving import ServerLimits
from bot.ops.webhook import MAX_UPDATE_BYTES, SECRET_HEADER, WebhookServer
from bot.standin import FeedServer, HubStandIn, TelegramStandIn
from tests.inprocess import PUBLIC_WEBHOOK, FakeClock, RunningBot
from tests.ops.helpers import free_port
from tests.ops.test_webhook import update_from
from tests.pipeline.test_websub import ATOM, HUNG, PUBLIC_ORIGIN, pushed_bot

READER = 7401
HOOK = "/telegram/updates"
# Short deadlines, so that a test waits for them a moment only.
QUICK = ServerLimits(header_seconds=1.0, body_seconds=1.0, linger_seconds=0.5)


def trouble(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records an operator would take for a fault: errors, and anything with a traceback."""
    return [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info is not None
    ]


# Requests aiohttp cannot parse: a header without a colon, a line too long, bytes in the URL.
UNPARSABLE = (
    b"GET /healthz HTTP/1.1\r\nHost: warta\r\nNo colon here\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: " + b"x" * 9000 + b"\r\n\r\n",
    b"GET /websub/1/\xff\xfe HTTP/1.1\r\nHost: warta\r\n\r\n",
    b"POST /telegram/updates HTTP/1.1\r\nHost: warta\r\nContent-Length: many\r\n\r\n",
)


async def raw_status(origin: str, request: bytes) -> bytes:
    """The status line the server answers to raw bytes, once it closed the connection."""
    host, port = origin.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        async with asyncio.timeout(HUNG):
            answer = await reader.read()
    finally:
        writer.close()
    return answer.split(b"\r\n", 1)[0]


@contextlib.asynccontextmanager
async def bot_with_callback(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[tuple[RunningBot, str, str]]:
    """The bot subscribed to its feed's hub; its server's origin and the feed's callback path."""
    async with (
        HubStandIn() as hub,
        pushed_bot(tmp_path, telegram, feeds, hub, FakeClock()) as warta,
    ):
        (subscription,) = hub.subscribers(feeds.url(ATOM))
        origin = hub.reach[PUBLIC_ORIGIN]
        yield warta, origin, subscription.callback.removeprefix(PUBLIC_ORIGIN)


@contextlib.asynccontextmanager
async def quick_server(warta: RunningBot) -> AsyncIterator[str]:
    """A second webhook server for the running bot, with short deadlines; its origin."""
    port = free_port()
    config = warta.services.config
    server = WebhookServer(config, replace(PUBLIC_WEBHOOK, port=port), limits=QUICK)
    await server.start(warta.app, register=False)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.stop()


async def test_malformed_requests_get_4xx_without_a_traceback(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with bot_with_callback(tmp_path, telegram, feeds) as (warta, origin, callback):
        feed_path, _ = callback.rsplit("/", 1)
        verify = {"hub.mode": "subscribe", "hub.topic": feeds.url(ATOM), "hub.challenge": "c"}
        async with httpx.AsyncClient(base_url=origin, timeout=HUNG) as client:
            answers = {
                "20-digit feed id": await client.post("/websub/" + "9" * 20 + "/x", content=b"x"),
                "20-digit id, GET": await client.get("/websub/" + "9" * 20 + "/x"),
                "5,000-digit id": await client.post("/websub/" + "7" * 5000 + "/x", content=b"x"),
                "5,000-digit id, GET": await client.get("/websub/" + "7" * 5000 + "/x"),
                "token not UTF-8": await client.get(feed_path + "/%ff%fe", params=verify),
                "lease in other digits": await client.get(
                    callback, params={**verify, "hub.lease_seconds": "²³"}
                ),
                "lease of 5,000 digits": await client.get(
                    callback, params={**verify, "hub.lease_seconds": "9" * 5000}
                ),
                "signature not UTF-8": await client.post(
                    callback, content=b"<feed/>", headers={"X-Hub-Signature": b"sha256=\xff\xfe"}
                ),
                "secret not UTF-8": await client.post(
                    HOOK,
                    json=update_from(telegram, READER, "/start"),
                    headers={SECRET_HEADER: b"\xff\xfehook_secret"},
                ),
                "update not a message": await client.post(
                    HOOK,
                    json={"update_id": 5, "message": "halo"},
                    headers={SECRET_HEADER: "hook_secret"},
                ),
                "update not UTF-8": await client.post(
                    HOOK, content=b'{"update_id": "\xff"}', headers={SECRET_HEADER: "hook_secret"}
                ),
                "PUT on a callback": await client.put(callback, content=b"x"),
                "GET on the webhook": await client.get(HOOK),
                "webhook path, longer": await client.post(HOOK + "/" + "x" * 5000, json={}),
            }
        unparsable = [await raw_status(origin, request) for request in UNPARSABLE]
        assert {name: answer.status_code for name, answer in answers.items()} == {
            "20-digit feed id": 404,
            "20-digit id, GET": 404,
            "5,000-digit id": 404,
            "5,000-digit id, GET": 404,
            "token not UTF-8": 404,
            "lease in other digits": 404,
            "lease of 5,000 digits": 404,
            "signature not UTF-8": 202,  # dropped as any wrong signature is
            "secret not UTF-8": 403,
            "update not a message": 400,
            "update not UTF-8": 400,
            "PUT on a callback": 405,
            "GET on the webhook": 405,
            "webhook path, longer": 404,
        }
        assert unparsable == [b"HTTP/1.0 400 Bad Request"] * len(UNPARSABLE)
        await warta.services.push_receiver.wait_for_ingests()  # type: ignore[union-attr]
    assert trouble(caplog) == []


async def test_health_and_metrics_refuse_garbage_without_a_traceback(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with bot_with_callback(tmp_path, telegram, feeds) as (warta, _, _):
        port = free_port()
        services = warta.services
        monitor = MonitoringServer(
            Metrics(CollectorRegistry()), replace(services.config, metrics_port=port)
        )
        await monitor.start(services.storage, services.heartbeat)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=HUNG
            ) as client:
                statuses = [
                    (await client.get("/healthz?x=%ff%fe&%c0")).status_code,
                    (await client.get("/metrics/" + "9" * 5000)).status_code,
                    (await client.post("/healthz", content=b"x" * 100_000)).status_code,
                    (await client.delete("/metrics")).status_code,
                    (await client.get("/healthz", headers={"Accept": b"\xff\xfe"})).status_code,
                ]
            unparsable = [
                await raw_status(f"http://127.0.0.1:{port}", request) for request in UNPARSABLE
            ]
        finally:
            await monitor.stop()
    assert statuses == [200, 404, 405, 405, 200]
    assert unparsable == [b"HTTP/1.0 400 Bad Request"] * len(UNPARSABLE)
    assert trouble(caplog) == []


async def chunks(chunk: bytes, count: int) -> AsyncIterator[bytes]:
    """A body sent in chunks, its length not announced."""
    for _ in range(count):
        yield chunk


async def test_an_oversized_body_is_refused_with_413(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with bot_with_callback(tmp_path, telegram, feeds) as (_, origin, callback):
        too_big_push = b"<feed>" + b" " * MAX_PUSH_BYTES + b"</feed>"
        async with httpx.AsyncClient(base_url=origin, timeout=HUNG) as client:
            update = await client.post(
                HOOK,
                content=b'{"update_id": 1, "pad": "' + b"x" * MAX_UPDATE_BYTES + b'"}',
                headers={SECRET_HEADER: "hook_secret"},
            )
            pushed = await client.post(callback, content=too_big_push)
            # Without a length announced, the body is counted as it arrives.
            chunked = await client.post(
                HOOK,
                content=chunks(b"x" * 65536, MAX_UPDATE_BYTES // 65536 + 2),
                headers={SECRET_HEADER: "hook_secret"},
            )
    assert (update.status_code, pushed.status_code, chunked.status_code) == (413, 413, 413)


async def trickle(origin: str, head: bytes) -> bytes:
    """Send `head`, then one byte a tenth of a second; what the server answered, once it closed
    the connection (the dripping stops then).

    A raw socket, read as the bytes come: a server closing with dripped bytes still unread
    resets the connection, and a stream reader would then drop the answer it had received."""
    host, port = origin.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    with socket.socket() as connection:
        connection.setblocking(False)
        await loop.sock_connect(connection, (host, int(port)))
        await loop.sock_sendall(connection, head)

        async def drip() -> None:
            with contextlib.suppress(OSError):
                while True:
                    await asyncio.sleep(0.1)  # a slow client's pace, not a wait for the server
                    await loop.sock_sendall(connection, b"a")

        dripping = asyncio.create_task(drip())
        answer = b""
        try:
            async with asyncio.timeout(HUNG):
                with contextlib.suppress(ConnectionResetError):
                    while chunk := await loop.sock_recv(connection, 65536):
                        answer += chunk
        finally:
            dripping.cancel()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await dripping
    return answer


async def test_a_client_trickling_its_request_is_cut_off_while_others_are_served(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with (
        bot_with_callback(tmp_path, telegram, feeds) as (warta, _, callback),
        quick_server(warta) as origin,
    ):
        body_of_update = (
            f"POST {HOOK} HTTP/1.1\r\nHost: warta\r\n{SECRET_HEADER}: hook_secret\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
        ).encode()
        body_of_push = (
            f"POST {callback} HTTP/1.1\r\nHost: warta\r\nContent-Length: 100000\r\n\r\n<"
        ).encode()
        headers = f"POST {HOOK} HTTP/1.1\r\nHost: warta\r\nX-Slow: ".encode()
        slow = [
            asyncio.create_task(trickle(origin, head))
            for head in (body_of_update, body_of_push, headers)
        ]
        async with httpx.AsyncClient(base_url=origin, timeout=HUNG) as client:
            served = await client.post(
                HOOK,
                json=update_from(telegram, READER, "/start"),
                headers={SECRET_HEADER: "hook_secret"},
            )
        assert served.status_code == 200
        update_answer, push_answer, headers_answer = await asyncio.gather(*slow)
        await telegram.wait_for_messages(READER, 1, timeout=HUNG)
    assert update_answer.startswith(b"HTTP/1.1 408 ")
    assert push_answer.startswith(b"HTTP/1.1 408 ")
    assert headers_answer == b""  # closed before it ever sent a whole request
