"""WebSub (push): note a feed's hub, subscribe to it, keep the lease, leave when it is removed.

A feed whose document names a hub (`<atom:link rel="hub">`, or a `Link: <...>; rel="hub"`
header; found by bot/feeds/hublinks.py) is noted by the poller that fetched it (`want_push`);
a feed that names another hub or topic gets new credentials, and the hub left is told. The
scheduler's leader asks the hubs (`WebSubscriber.run_due`): a subscription request for a new
one, again before its lease ends, an unsubscription once its feed is removed or has moved. The
hub then calls our callback, served by the process that answers Telegram's webhook
(bot/feeds/push.py), at `<WARTA_WEBHOOK_URL's origin>/websub/<feed id>/<token>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections import deque
from collections.abc import Callable
from typing import TypeAlias

import httpx

from bot.feeds.fetch import FetchedFeed
from bot.feeds.hublinks import find_hub
from bot.feeds.inflate import BodyTooLargeError, BoundedInflater, UndecodableBodyError
from storage import DATABASE_ERRORS, Storage, StorageClosedError
from storage.models import Feed, PushDeparture, PushStatus, PushSubscription

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "/websub"
LEASE_SECONDS = 10 * 24 * 3600  # asked for; the hub decides
# A lease is renewed once this part of it has passed, leaving days to try again if a hub is down.
RENEW_FRACTION = 0.8
VERIFY_WAIT_SECONDS = 3600.0  # a request the hub never verified is sent again after this
RETRY_SECONDS = 3600.0  # after a hub failed to answer
DENIED_RETRY_SECONDS = 24 * 3600.0
CHECK_SECONDS = 60.0  # how often the scheduler looks for subscriptions to ask about
BATCH = 50
# A hub request, its answer included, is given up after this long: a hub that trickles its
# answer a byte at a time must not hold the feed's subscription (or anything else) for longer.
HUB_DEADLINE = 20.0
# Of a hub's answer at most this much is read (and inflated): only its start is ever logged.
ANSWER_BYTES = 4 * 1024
# Hubs asked at the same time; each hub is asked one request at a time, so a slow hub holds up
# only its own feeds' requests.
HUBS_AT_ONCE = 8
# A request whose state cannot be read or saved is left for the next look (or the next start).
_STORAGE_FAILURES: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StorageClosedError)
HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
          "sha512": hashlib.sha512}  # fmt: skip


# What a hub is asked about: a feed's subscription, or leaving it for good.
HubWork: TypeAlias = PushSubscription | PushDeparture


class HubNotes:
    """Notes the hub each fetched document names (the poller's on_fetched)."""

    def __init__(self, storage: Storage, clock: Callable[[], float]) -> None:
        self._storage = storage
        self._clock = clock

    async def note(self, feed: Feed, fetched: FetchedFeed) -> None:
        """Record the feed's hub and topic, if it names one, for the scheduler to subscribe.

        A hub or topic that changed gets new credentials, and the hub left is to be told.
        """
        # Off the event loop: the document is a stranger's (its head is read, 64 KiB at most).
        link = await asyncio.to_thread(find_hub, fetched.body, fetched.headers, fetched.url)
        if link is None:
            return
        try:
            known = await self._storage.push_subscription(feed.id)
            if known is not None and (known.hub, known.topic) == (link.hub, link.topic):
                return  # the usual case: nothing to write on every poll
            # A hub that never said how long it keeps us keeps us as long as we asked, at most.
            unknown_lease_until = self._clock() + LEASE_SECONDS
            if await self._storage.want_push(
                feed.id, link.hub, link.topic, new_credentials(), unknown_lease_until
            ):
                log.info("websub hub found feed=%r hub=%s topic=%s", feed.name, link.hub,
                         link.topic)  # fmt: skip
        except DATABASE_ERRORS as error:
            log.warning("websub hub not noted feed=%r: %s", feed.name, error)


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether X-Hub-Signature (`sha1=...`, `sha256=...`) is the HMAC of the body."""
    if not header or "=" not in header:
        return False
    method, _, given = header.strip().partition("=")
    digest = HASHES.get(method.lower())
    if digest is None:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def new_credentials() -> tuple[str, str]:
    """A callback token and an HMAC secret for a new subscription."""
    return secrets.token_urlsafe(24), secrets.token_urlsafe(32)


def callback_url(base: str, subscription: PushSubscription | PushDeparture) -> str:
    """The address the hub calls for this subscription (or called, for a hub left)."""
    return f"{base}{CALLBACK_PREFIX}/{subscription.feed_id}/{subscription.token}"


class WebSubscriber:
    """Asks hubs to start, renew and end subscriptions, as their state in the database says.

    Requests run in the background, one lane per hub (its origin): a hub is asked one request at
    a time, HUBS_AT_ONCE hubs at once, and a request that is still running when the scheduler
    looks again is not taken twice.
    """

    def __init__(
        self,
        storage: Storage,
        client: httpx.AsyncClient,
        callback_base: str,
        clock: Callable[[], float],
        *,
        deadline: float = HUB_DEADLINE,
        hubs_at_once: int = HUBS_AT_ONCE,
    ) -> None:
        self._storage = storage
        self._client = client
        self._base = callback_base
        self._clock = clock
        self._deadline = deadline
        self._slots = asyncio.Semaphore(hubs_at_once)
        self._lanes: dict[str, asyncio.Task[None]] = {}  # hub origin → the task asking it
        self._waiting: dict[str, deque[HubWork]] = {}
        # Subscriptions (by feed) and hubs left (by token) waiting in a lane or being asked about.
        self._in_hand: set[int | str] = set()

    async def run_due(self) -> int:
        """Start the requests that are due now, each in its hub's lane; how many were taken."""
        now, limit = self._clock(), BATCH + len(self._in_hand)
        due: list[HubWork] = [
            *await self._storage.push_subscriptions_due(now, limit),
            *await self._storage.push_departures_due(now, limit),
        ]
        taken = [work for work in due if _key(work) not in self._in_hand][:BATCH]
        for work in taken:
            self._in_hand.add(_key(work))
            self._queue(_origin(work.hub), work)
        return len(taken)

    async def wait_for_requests(self) -> None:
        """Wait until every request taken so far has been answered or given up (tests)."""
        while self._lanes:
            await asyncio.wait(list(self._lanes.values()))

    async def close(self) -> None:
        """Stop the requests under way (each is asked again when next due)."""
        lanes = list(self._lanes.values())
        for lane in lanes:
            lane.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)

    def _queue(self, hub: str, work: HubWork) -> None:
        self._waiting.setdefault(hub, deque()).append(work)
        if hub not in self._lanes:
            lane = asyncio.create_task(self._lane(hub), name=f"websub-hub-{hub}")
            self._lanes[hub] = lane
            lane.add_done_callback(_log_lane_failure)

    async def _lane(self, hub: str) -> None:
        """Ask one hub about its waiting subscriptions, one after another."""
        waiting = self._waiting[hub]
        try:
            while waiting:
                work = waiting.popleft()
                try:
                    async with self._slots:
                        await self._ask_about_current(work)
                except _STORAGE_FAILURES as error:
                    log.warning("websub request not made feed=%d: %s", work.feed_id, error)
                finally:
                    self._in_hand.discard(_key(work))
        finally:
            for left in waiting:
                self._in_hand.discard(_key(left))
            del self._lanes[hub], self._waiting[hub]

    async def _ask_about_current(self, queued: HubWork) -> None:
        """Ask about the subscription (or hub left) as it stands now: it may have changed while
        it waited."""
        if isinstance(queued, PushDeparture):
            departure = await self._storage.push_departure(queued.feed_id, queued.token)
            if departure is not None and departure == queued:
                await self._leave(departure)
            return
        subscription = await self._storage.push_subscription(queued.feed_id)
        if subscription is not None and subscription == queued:
            await self._ask_about(subscription)

    async def _leave(self, departure: PushDeparture) -> None:
        """Tell a hub the feed no longer names that we leave, at the callback it knows."""
        now = self._clock()
        feed_id, token = departure.feed_id, departure.token
        if departure.lease_until <= now:
            await self._storage.forget_departure(feed_id, token)  # it has forgotten us anyway
            return
        await self._storage.departure_requested(feed_id, token, now + VERIFY_WAIT_SECONDS, None)
        form = {
            "hub.mode": "unsubscribe",
            "hub.topic": departure.topic,
            "hub.callback": callback_url(self._base, departure),
        }
        error = await self._post(departure.hub, form)
        if error is None:
            log.info("websub leaving hub feed=%d hub=%s", feed_id, departure.hub)
            return
        log.warning("websub leaving hub failed feed=%d hub=%s: %s", feed_id, departure.hub, error)
        retry_at = min(self._clock() + RETRY_SECONDS, departure.lease_until)
        await self._storage.departure_requested(feed_id, token, retry_at, error)

    async def _ask_about(self, subscription: PushSubscription) -> None:
        if subscription.feed_enabled:
            await self._request(subscription, "subscribe", PushStatus.REQUESTED)
        elif subscription.status == PushStatus.LEAVING:
            # The hub never confirmed leaving: its lease runs out on its own.
            await self._storage.forget_push(subscription.feed_id)
        elif subscription.status in (PushStatus.WANTED, PushStatus.DENIED):
            await self._storage.forget_push(subscription.feed_id)  # never subscribed
        else:
            await self._request(subscription, "unsubscribe", PushStatus.LEAVING)

    async def _request(self, subscription: PushSubscription, mode: str, then: PushStatus) -> None:
        """POST a (un)subscription request; the hub answers 202 and verifies with a GET later.

        The new state is saved first: a hub may call back before its answer to the POST reaches
        us, and its verification must find the request it confirms.
        """
        now = self._clock()
        feed_id = subscription.feed_id
        await self._storage.push_requested(feed_id, then, now, now + VERIFY_WAIT_SECONDS, None)
        form = {
            "hub.mode": mode,
            "hub.topic": subscription.topic,
            "hub.callback": callback_url(self._base, subscription),
        }
        if mode == "subscribe":
            form |= {"hub.secret": subscription.secret, "hub.lease_seconds": str(LEASE_SECONDS)}
        error = await self._post(subscription.hub, form)
        if error is None:
            log.info("websub %s requested feed=%d hub=%s", mode, feed_id, subscription.hub)
            return
        log.warning("websub %s failed feed=%d hub=%s: %s", mode, feed_id, subscription.hub, error)
        # A failed subscription request leaves the state as it was (an active lease still runs).
        status = subscription.status if then == PushStatus.REQUESTED else then
        now = self._clock()
        await self._storage.push_requested(
            feed_id, status, now, self._retry_at(subscription, now), error
        )

    async def _post(self, hub: str, form: dict[str, str]) -> str | None:
        """Send a request; why it failed, or None when the hub took it."""
        try:
            async with asyncio.timeout(self._deadline):
                return await self._send(hub, form)
        except TimeoutError:
            return f"hub gave no whole answer within {self._deadline:g} s"
        except httpx.HTTPError as failure:
            return f"hub unreachable: {type(failure).__name__}: {failure}"

    async def _send(self, hub: str, form: dict[str, str]) -> str | None:
        async with self._client.stream("POST", hub, data=form, timeout=self._deadline) as answer:
            if answer.is_success:
                return None  # its body says nothing we need: it is not read
            return f"hub answered {answer.status_code}: {await _answer_start(answer)}"

    @staticmethod
    def _retry_at(subscription: PushSubscription, now: float) -> float:
        retry = now + RETRY_SECONDS
        if subscription.pushing(now) and subscription.lease_until is not None:
            # Renewing: try again well before the lease ends, not an hour after it has.
            retry = min(retry, max(now + 60.0, (now + subscription.lease_until) / 2))
        return retry


async def _answer_start(answer: httpx.Response) -> str:
    """The start of a hub's answer, for the log: at most ANSWER_BYTES read, or inflated."""
    kept = bytearray()
    read = 0
    try:
        inflater = BoundedInflater(answer.headers.get("Content-Encoding", ""), ANSWER_BYTES)
        async for chunk in answer.aiter_raw():
            kept += inflater.feed(chunk[: ANSWER_BYTES - read])
            read += len(chunk)
            if read >= ANSWER_BYTES:
                break
    except BodyTooLargeError:
        # What came before is enough (a compressed answer may hold far more than it weighs).
        return f"{kept.decode(errors='replace')[:200]} [inflates past {ANSWER_BYTES} bytes]"
    except UndecodableBodyError as error:
        return str(error)[:200]
    return kept.decode(errors="replace")[:200]


def _key(work: HubWork) -> int | str:
    """What a request is about: a feed's subscription, or a hub left (by its unique token)."""
    return work.token if isinstance(work, PushDeparture) else work.feed_id


def _origin(url: str) -> str:
    """A hub's scheme, host and port: the one server its lane asks."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    return f"{parsed.scheme}://{parsed.host.lower()}:{parsed.port or ''}"


def _log_lane_failure(lane: asyncio.Task[None]) -> None:
    # Nobody awaits a lane: its unexpected failure is reported here.
    if not lane.cancelled() and (error := lane.exception()) is not None:
        log.error("websub requests failed: %s", lane.get_name(), exc_info=error)


def renewal_moment(now: float, lease_seconds: float) -> float:
    """When to ask the hub again for a lease granted now."""
    return now + lease_seconds * RENEW_FRACTION
