"""The WebSub callback: answer a hub's verification of intent, take its signed pushes.

Served beside Telegram's webhook (bot/ops/webhook.py) at /websub/<feed id>/<token>. A push
whose signature is missing or wrong is answered 202 as the spec asks (a hub must not learn which
secret is right) and dropped with a log line; a good one goes through the poller's own parse,
clean, store and match path (`FeedPoller.ingest_pushed`), in the background so the hub is
answered at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from bot.feeds.websub import CALLBACK_PREFIX, renewal_moment, signature_ok
from storage import Storage
from storage.models import Feed, PushStatus

log = logging.getLogger(__name__)

Ingest = Callable[[Feed, bytes, dict[str, str]], Coroutine[Any, Any, Any]]
# Headers the parser reads from a pushed document as from a fetched one.
_PASSED_HEADERS = ("content-type", "content-location", "link")
MAX_LEASE_SECONDS = 365 * 24 * 3600


class PushReceiver:
    """The callback's two requests: the hub's GET (verification) and POST (content)."""

    def __init__(
        self, storage: Storage, ingest: Ingest, clock: Callable[[], float], max_bytes: int
    ) -> None:
        self._storage = storage
        self._ingest = ingest
        self._clock = clock
        self.max_bytes = max_bytes
        self._ingesting: set[asyncio.Task[Any]] = set()

    def add_routes(self, app: web.Application) -> None:
        """Serve the callback on an aiohttp application."""
        path = CALLBACK_PREFIX + r"/{feed:\d+}/{token}"
        app.router.add_get(path, self.verify)
        app.router.add_post(path, self.push)

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
            reason = query.get("hub.reason", "denied")
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
        """Take a pushed document whose signature is right; drop any other, answering 202."""
        feed_id, token = int(request.match_info["feed"]), request.match_info["token"]
        subscription = await self._storage.push_subscription(feed_id)
        feed = await self._storage.pushed_feed(feed_id, token)
        if subscription is None or feed is None:
            return web.Response(status=404)
        body = await request.read()
        signature = request.headers.get("X-Hub-Signature")
        if not signature_ok(subscription.secret, body, signature):
            log.warning(
                "websub push dropped feed=%d: %s signature", feed_id,
                "wrong" if signature else "no",
            )  # fmt: skip
            return web.Response(status=202)
        headers = {
            name: request.headers[name] for name in _PASSED_HEADERS if name in request.headers
        }
        task = asyncio.create_task(self._ingest(feed, body, headers), name=f"push-{feed_id}")
        self._ingesting.add(task)
        task.add_done_callback(self._ingesting.discard)
        return web.Response(status=202)

    async def wait_for_ingests(self) -> None:
        """Wait until the pushes taken so far are stored (a clean stop, and tests)."""
        while self._ingesting:
            await asyncio.gather(*self._ingesting, return_exceptions=True)


def _lease(raw: str | None) -> int | None:
    """The lease the hub granted, in seconds (None when it is not a sensible number)."""
    if raw is None or not raw.strip().isdigit():
        return None
    lease = int(raw)
    return lease if 0 < lease <= MAX_LEASE_SECONDS else None
