"""The WebSub callback: answer a hub's verification of intent, take its signed pushes.

Served beside Telegram's webhook (bot/ops/webhook.py) at /websub/<feed id>/<token>. A push
whose signature is missing or wrong is answered 202 as the spec asks (a hub must not learn which
secret is right) and dropped with a log line; a good one goes through the poller's own parse,
clean, store and match path (`FeedPoller.ingest_pushed`), in the background so the hub is
answered at once.

Pushes are held as polled documents are: one at a time, a few more waiting, each of a size a
push has (MAX_PUSH_BYTES). A push beyond them is answered 503 (the hub sends it again later) or
413, and its feed polled at once instead, as is the feed of a push that could not be ingested
(unreadable, the database failed): its items come by that poll, not by the safety-net poll
hours later. A push whose document killed its parser process is the feed's error instead, and
the feed backs off: polling it at once would read the killer again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from bot.feeds.poller import FeedOutcome, PollOutcome
from bot.feeds.websub import CALLBACK_PREFIX, renewal_moment, signature_ok
from bot.ops.serving import ServerLimits, read_body, too_large
from storage import DATABASE_ERRORS, Storage, StorageClosedError
from storage.models import Feed, PushStatus

log = logging.getLogger(__name__)

Ingest = Callable[[Feed, bytes, dict[str, str]], Coroutine[Any, Any, FeedOutcome]]
# Headers the parser reads from a pushed document as from a fetched one.
_PASSED_HEADERS = ("content-type", "content-location", "link")
MAX_LEASE_SECONDS = 365 * 24 * 3600
# A hub pushes the entries it has news of, not a feed's whole back catalogue: a push longer than
# this is refused (413) before it is read, and its feed polled instead (within the poller's
# own bounds), so that a few megabytes pushed at once never take the parsers from polled feeds.
MAX_PUSH_BYTES = 1024 * 1024
# Pushes parsed and stored at once: they share the poller's parser processes and its turn to
# store, and polled feeds must keep theirs (a document of megabytes takes a parser seconds).
PUSHES_AT_ONCE = 1
# Pushes taken (their body read) and waiting for a turn; with those at once, what is in hand:
# eight pushes are at most 8 MiB of bodies, however many a hub sends at once.
PUSHES_WAITING = 7
# What a hub is asked to wait before sending a refused push again (its feed is polled anyway).
RETRY_AFTER_SECONDS = 60
# Feed ids are 64-bit database integers and tokens come from secrets.token_urlsafe: a path
# with anything else names no subscription (404 from the router, nothing looked up).
_CALLBACK_PATH = CALLBACK_PREFIX + r"/{feed:[0-9]{1,18}}/{token:[A-Za-z0-9_-]{1,128}}"
_MAX_LEASE_DIGITS = len(str(MAX_LEASE_SECONDS))
_MAX_REASON_CHARS = 200
_TOO_LONG = "refused, longer than a push may be"
_DATABASE_FAILURES: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError)


class PushReceiver:
    """The callback's two requests: the hub's GET (verification) and POST (content)."""

    def __init__(
        self,
        storage: Storage,
        ingest: Ingest,
        clock: Callable[[], float],
        max_bytes: int,
        *,
        on_due: Callable[[], None] = lambda: None,
    ) -> None:
        """max_bytes is the longest feed document (pushes are held to MAX_PUSH_BYTES at most);
        on_due is called when a feed was made due for a poll (it wakes this process's poller;
        pollers elsewhere find it at their next look)."""
        self._storage = storage
        self._ingest = ingest
        self._clock = clock
        self.max_bytes = min(max_bytes, MAX_PUSH_BYTES)
        self._on_due = on_due
        self._body_seconds = ServerLimits().body_seconds  # add_routes gives the server's
        self._turns = asyncio.Semaphore(PUSHES_AT_ONCE)
        self._in_hand = 0  # pushes being read, waiting for a turn, or being ingested
        self._ingesting: set[asyncio.Task[None]] = set()

    def add_routes(self, app: web.Application, body_seconds: float) -> None:
        """Serve the callback on an aiohttp application; a push's body must arrive within
        body_seconds."""
        self._body_seconds = body_seconds
        app.router.add_get(_CALLBACK_PATH, self.verify)
        app.router.add_post(_CALLBACK_PATH, self.push)

    async def verify(self, request: web.Request) -> web.Response:
        """Echo hub.challenge for a subscription we asked for; 404 for anything else."""
        query = request.query
        mode, topic = query.get("hub.mode", ""), query.get("hub.topic", "")
        feed_id, token = int(request.match_info["feed"]), request.match_info["token"]
        if mode == "unsubscribe" and await self._left_hub(feed_id, token, topic):
            return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")
        subscription = await self._storage.push_subscription(feed_id)
        if subscription is None or subscription.token != token or subscription.topic != topic:
            return web.Response(status=404)
        now = self._clock()
        if mode == "denied":
            reason = query.get("hub.reason", "denied")[:_MAX_REASON_CHARS]
            await self._storage.push_denied(feed_id, reason, now + 24 * 3600)
            log.warning("websub denied feed=%d hub=%s reason=%s", feed_id, subscription.hub, reason)
            return web.Response(text="ok")
        if mode == "subscribe" and subscription.feed_enabled:
            lease = _lease(query.get("hub.lease_seconds"))
            if lease is None:
                return web.Response(status=404)
            await self._storage.push_verified(feed_id, now + lease, renewal_moment(now, lease))
            log.info("websub subscribed feed=%d lease=%ds", feed_id, lease)
        elif mode == "unsubscribe" and subscription.status == PushStatus.LEAVING:
            await self._storage.forget_push(feed_id)
            log.info("websub unsubscribed feed=%d", feed_id)
        else:
            return web.Response(status=404)
        return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")

    async def _left_hub(self, feed_id: int, token: str, topic: str) -> bool:
        """Confirm the unsubscription from a hub the feed no longer names, at its old callback."""
        departure = await self._storage.push_departure(feed_id, token)
        if departure is None or departure.topic != topic:
            return False
        await self._storage.forget_departure(feed_id, token)
        log.info("websub left hub feed=%d hub=%s", feed_id, departure.hub)
        return True

    async def push(self, request: web.Request) -> web.Response:
        """Take a pushed document whose signature is right; drop any other, answering 202.

        413 or 503 (Retry-After), and a poll instead, for one too long or beyond those held.
        """
        feed_id, token = int(request.match_info["feed"]), request.match_info["token"]
        subscription = await self._storage.push_subscription(feed_id)
        feed = await self._storage.pushed_feed(feed_id, token)
        if subscription is None or feed is None:
            return web.Response(status=404)
        # Both refused before the body is read: a flood of pushes costs no memory.
        if too_large(request, self.max_bytes):
            await self._poll_instead(feed, _TOO_LONG)
            return web.Response(status=413)
        if self._in_hand >= PUSHES_AT_ONCE + PUSHES_WAITING:
            await self._poll_instead(feed, "refused, too many in hand")
            return web.Response(status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        self._in_hand += 1
        started = False
        try:
            body = await self._signed_body(request, subscription.secret, feed_id)
            if body is not None:
                self._start_ingest(feed, body, request)
                started = True  # the ingest holds its place in hand from now on
        except web.HTTPRequestEntityTooLarge:  # a body that announced no length
            await self._poll_instead(feed, _TOO_LONG)
            raise
        finally:
            if not started:
                self._in_hand -= 1
        return web.Response(status=202)

    def _start_ingest(self, feed: Feed, body: bytes, request: web.Request) -> None:
        headers = {
            name: request.headers[name] for name in _PASSED_HEADERS if name in request.headers
        }
        task = asyncio.create_task(
            self._ingest_in_turn(feed, body, headers), name=f"push-{feed.id}"
        )
        self._ingesting.add(task)
        task.add_done_callback(self._ingested)

    async def _signed_body(self, request: web.Request, secret: str, feed_id: int) -> bytes | None:
        """The pushed body, or None (logged) when its signature is missing or wrong."""
        body = await read_body(request, self.max_bytes, self._body_seconds)
        signature = request.headers.get("X-Hub-Signature")
        if signature is not None and not signature.isascii():
            signature = ""  # a hex digest is ASCII: this one is wrong, whatever its bytes
        # Hashing megabytes takes milliseconds: hashlib does it off the event loop's lock.
        if await asyncio.to_thread(signature_ok, secret, body, signature):
            return body
        log.warning(
            "websub push dropped feed=%d: %s signature", feed_id,
            "wrong" if signature is not None else "no",
        )  # fmt: skip
        return None

    async def _ingest_in_turn(self, feed: Feed, body: bytes, headers: dict[str, str]) -> None:
        """Parse and store a push when its turn comes; poll its feed when that fails."""
        async with self._turns:
            try:
                outcome = await self._ingest(feed, body, headers)
            except _DATABASE_FAILURES as error:
                log.warning("websub push not stored feed=%d: %s", feed.id, error)
                outcome = FeedOutcome(PollOutcome.FAILED)
        # A document that killed its parser is the feed's error, backed off: a poll at once
        # would read it again, and each push of it would ask for one more.
        if outcome.status is PollOutcome.FAILED and not outcome.backed_off:
            await self._poll_instead(feed, "not ingested")

    def _ingested(self, task: asyncio.Task[None]) -> None:
        self._ingesting.discard(task)
        self._in_hand -= 1
        if not task.cancelled() and (error := task.exception()) is not None:
            # Nobody awaits the push: its unexpected failure is reported here.
            log.error("websub push failed task=%s", task.get_name(), exc_info=error)

    async def _poll_instead(self, feed: Feed, why: str) -> None:
        """Make the feed due now, so a poll brings what the push carried."""
        try:
            made_due = await self._storage.make_feed_due(feed.id, self._clock())
        except _DATABASE_FAILURES as error:
            log.warning("websub push lost until the next poll feed=%d (%s): %s", feed.id, why,
                        error)  # fmt: skip
            return
        if made_due:
            log.warning("websub push %s feed=%d: polling the feed instead", why, feed.id)
        self._on_due()

    async def wait_for_ingests(self) -> None:
        """Wait until the pushes taken so far are stored (a clean stop, and tests)."""
        while self._ingesting:
            await asyncio.gather(*self._ingesting, return_exceptions=True)


def _lease(raw: str | None) -> int | None:
    """The lease the hub granted, in seconds (None when it is not a sensible number)."""
    # str.isdigit() takes "²" and other digits int() refuses; int() refuses 5,000 digits.
    digits = (raw or "").strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_LEASE_DIGITS:
        return None
    lease = int(digits)
    return lease if 0 < lease <= MAX_LEASE_SECONDS else None
