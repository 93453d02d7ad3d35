"""How long the bot's own HTTP servers wait for a client, and how much they read from one.

aiohttp waits for a request's headers and body as long as the client takes to send them: a
client that trickles bytes holds a connection, a handler and whatever it sent so far. These
deadlines end such a client; the reverse proxy in front keeps its own (deploy/README.md).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Deadlines of one server's connections, in seconds."""

    # A connection must send a whole request line and headers this long after it opened, or
    # after its previous response (aiohttp's keep-alive timer runs while it waits for them).
    header_seconds: float = 15.0
    # A handler reading a body gives up this long after it began (408, connection closed).
    body_seconds: float = 30.0
    # After an answer given before the body was read (403, 404, 413, 503), the rest of the body
    # is read and dropped this long at most, so the client sees the answer, then it is closed.
    linger_seconds: float = 2.0
    # Requests in progress at a stop get this long to finish.
    shutdown_seconds: float = 1.0

    def runner(self, app: web.Application) -> web.AppRunner:
        """An AppRunner for `app` that keeps these deadlines (no access log)."""
        return web.AppRunner(
            app,
            access_log=None,
            logger=_ServerLog(log, {}),
            shutdown_timeout=self.shutdown_seconds,
            keepalive_timeout=self.header_seconds,
            lingering_time=self.linger_seconds,
        )


class _ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server log, with a request it could not parse as one short line.

    aiohttp logs a malformed request (a bad header, a line too long, bytes that are no URL) as
    an error with a traceback, although it only answered 400: anyone could fill the log with
    them. A fault in a handler (a 500) is logged in full as before.
    """

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        error = kwargs.get("exc_info")
        if not isinstance(error, BaseException):
            error = sys.exc_info()[1]
        if isinstance(error, HttpProcessingError):
            self.info("bad request refused (%d): %s", error.code, _first_line(error))
            return
        super().exception(msg, *args, **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        error = kwargs.get("exc_info")
        if isinstance(error, HttpProcessingError):  # no HTTP at all (TLS on the plain port)
            self.log(logging.DEBUG, "not HTTP, refused: %s", _first_line(error))
            return
        super().debug(msg, *args, **kwargs)


def _first_line(error: HttpProcessingError) -> str:
    lines = str(error.message).strip().splitlines() or [""]
    return lines[0][:200]


def too_large(request: web.Request, max_bytes: int) -> bool:
    """Whether the request announces a body longer than max_bytes (checked before reading)."""
    length = request.content_length
    return length is not None and length > max_bytes


async def read_body(request: web.Request, max_bytes: int, seconds: float) -> bytes:
    """The request's body: 413 when it is longer than max_bytes, 408 when it is not all there
    within `seconds` (the connection is then closed)."""
    if too_large(request, max_bytes):
        raise web.HTTPRequestEntityTooLarge(max_bytes, request.content_length or 0)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.content.iter_any():
                size += len(chunk)
                if size > max_bytes:  # a chunked body announces no length
                    raise web.HTTPRequestEntityTooLarge(max_bytes, size)
                chunks.append(chunk)
    except TimeoutError:
        timeout = web.HTTPRequestTimeout()
        timeout.force_close()
        raise timeout from None
    return b"".join(chunks)
