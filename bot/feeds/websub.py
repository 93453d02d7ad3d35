"""WebSub (push): find a feed's hub, subscribe to it, keep the lease, leave when it is removed.

A feed whose document names a hub (`<atom:link rel="hub">`, or a `Link: <...>; rel="hub"`
header) is noted by the poller that fetched it (`want_push`). The scheduler's leader asks the
hubs (`WebSubscriber.run_due`): a subscription request for a new one, again before its lease
ends, an unsubscription once its feed is removed. The hub then calls our callback, served by
the process that answers Telegram's webhook (bot/feeds/push.py), at
`<WARTA_WEBHOOK_URL's origin>/websub/<feed id>/<token>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin

import httpx

from bot.feeds.fetch import FetchedFeed
from storage import DATABASE_ERRORS, Storage
from storage.models import Feed, PushStatus, PushSubscription

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
HUB_TIMEOUT = 20.0
# The hub and self links sit in the feed's head, before the first item: no need to read further.
HEAD_BYTES = 64 * 1024
# A feed's Link header names a few links; past this length it is not read (a hostile server's).
LINK_HEADER_CHARS = 8 * 1024
# Discovery reads each byte a bounded number of times: a hostile head costs as much as its
# length, never its square (a pattern that backtracks over a 62 KB name took seconds per poll).
_TAG_NAME = re.compile(rb"[A-Za-z0-9_:.-]{1,80}")  # an element's name with its prefix
_ATTRIBUTE_NAME = re.compile(rb"[^\s=\"'/>]+")
_EQUALS = re.compile(rb"\s*+=\s*+")
_UNQUOTED = re.compile(rb"[^\s>]*")
_SKIPPED = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
_QUOTE_OR_COMMA = re.compile(r'[",]')
HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
          "sha512": hashlib.sha512}  # fmt: skip


@dataclass(frozen=True, slots=True)
class HubLink:
    """Where a feed's pushes come from, and the topic URL the hub knows the feed by."""

    hub: str
    topic: str


def find_hub(body: bytes, headers: dict[str, str], feed_url: str) -> HubLink | None:
    """The hub a feed names (its Link header first, as the spec says), or None."""
    links = _header_links(headers.get("link", ""))
    links += _document_links(body)
    hub = next((url for rel, url in links if rel == "hub"), None)
    if hub is None:
        return None
    topic = next((url for rel, url in links if rel == "self"), feed_url)
    return HubLink(urljoin(feed_url, hub), urljoin(feed_url, topic))


def _header_links(header: str) -> list[tuple[str, str]]:
    """(rel, url) of each link in a Link header (`<url>; rel="a b", <url>; ...`), in one pass."""
    header = header[:LINK_HEADER_CHARS]
    links = []
    start = header.find("<")
    while start != -1:
        close = header.find(">", start + 1)
        if close == -1:
            break  # no later link can be closed either
        end = _parameters_end(header, close + 1)
        url = header[start + 1 : close].strip()
        links += [(rel, url) for rel in _rels(header[close + 1 : end])]
        start = header.find("<", end)
    return links


def _parameters_end(header: str, at: int) -> int:
    """Where a link's parameters end: the next comma outside a quoted string."""
    while (stop := _QUOTE_OR_COMMA.search(header, at)) is not None:
        if stop[0] == ",":
            return stop.start()
        closing = header.find('"', stop.end())
        if closing == -1:
            break
        at = closing + 1
    return len(header)


def _rels(parameters: str) -> list[str]:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "rel":
            return value.strip().strip('"').lower().split()
    return []


def _document_links(body: bytes) -> list[tuple[str, str]]:
    """(rel, url) of each link element in the document's head, read in one pass.

    Comments, CDATA and processing instructions are skipped; the head ends at the first item.
    """
    head = body[:HEAD_BYTES]
    links = []
    start = head.find(b"<")
    while start != -1:
        end = _skipped_end(head, start)
        if end is None:
            name = _TAG_NAME.match(head, start + 1)
            local = name[0].rpartition(b":")[2].lower() if name else b""
            if local in (b"item", b"entry"):
                break
            end = head.find(b">", start + 1)
            if end != -1 and name is not None and local == b"link":
                links += _link(_attributes(head[name.end() : end]))
        if end == -1:
            break  # nothing later is closed either
        start = head.find(b"<", end + 1)
    return links


def _skipped_end(head: bytes, start: int) -> int | None:
    """Where a comment, CDATA section or processing instruction at start ends (-1: never);
    None when none starts there."""
    for opening, closing in _SKIPPED:
        if head.startswith(opening, start):
            end = head.find(closing, start + len(opening))
            return end if end == -1 else end + len(closing) - 1
    return None


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    """A start tag's attributes (its text after the name), names lowered; the first of a name
    counts."""
    found: dict[bytes, bytes] = {}
    at = 0
    while (name := _ATTRIBUTE_NAME.search(tag, at)) is not None:
        at = name.end()
        equals = _EQUALS.match(tag, at)
        if equals is None:
            continue  # an attribute without a value
        at = equals.end()
        quote = tag[at : at + 1]
        if quote in (b'"', b"'"):
            closing = tag.find(quote, at + 1)
            if closing == -1:
                break
            value, at = tag[at + 1 : closing], closing + 1
        else:
            unquoted = _UNQUOTED.match(tag, at)
            assert unquoted is not None  # it matches the empty string
            value, at = unquoted[0], unquoted.end()
        found.setdefault(name[0].lower(), value)
    return found


def _link(attributes: dict[bytes, bytes]) -> list[tuple[str, str]]:
    href = attributes.get(b"href")
    if not href:
        return []
    url = unescape(href.decode(errors="replace")).strip()
    rels = attributes.get(b"rel", b"").decode(errors="replace").lower().split()
    return [(rel, url) for rel in rels]


class HubNotes:
    """Notes the hub each fetched document names (the poller's on_fetched)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def note(self, feed: Feed, fetched: FetchedFeed) -> None:
        """Record the feed's hub and topic, if it names one, for the scheduler to subscribe."""
        # Off the event loop: the document is a stranger's, up to HEAD_BYTES of it is read.
        link = await asyncio.to_thread(find_hub, fetched.body, fetched.headers, fetched.url)
        if link is None:
            return
        token, secret = new_credentials()
        try:
            known = await self._storage.push_subscription(feed.id)
            if known is not None and (known.hub, known.topic) == (link.hub, link.topic):
                return  # the usual case: nothing to write on every poll
            if await self._storage.want_push(feed.id, link.hub, link.topic, token, secret):
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


def callback_url(base: str, subscription: PushSubscription) -> str:
    """The address the hub calls for this subscription."""
    return f"{base}{CALLBACK_PREFIX}/{subscription.feed_id}/{subscription.token}"


class WebSubscriber:
    """Asks hubs to start, renew and end subscriptions, as their state in the database says."""

    def __init__(
        self,
        storage: Storage,
        client: httpx.AsyncClient,
        callback_base: str,
        clock: Callable[[], float],
    ) -> None:
        self._storage = storage
        self._client = client
        self._base = callback_base
        self._clock = clock

    async def run_due(self) -> int:
        """Send every request that is due now; how many were sent."""
        due = await self._storage.push_subscriptions_due(self._clock(), BATCH)
        for subscription in due:
            await self._ask_about(subscription)
        return len(due)

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
        error = await self._post(subscription, mode)
        if error is None:
            log.info("websub %s requested feed=%d hub=%s", mode, feed_id, subscription.hub)
            return
        log.warning("websub %s failed feed=%d hub=%s: %s", mode, feed_id, subscription.hub, error)
        # A failed subscription request leaves the state as it was (an active lease still runs).
        status = subscription.status if then == PushStatus.REQUESTED else then
        await self._storage.push_requested(
            feed_id, status, now, self._retry_at(subscription, now), error
        )

    async def _post(self, subscription: PushSubscription, mode: str) -> str | None:
        """Send the request; why it failed, or None when the hub took it."""
        form = {
            "hub.mode": mode,
            "hub.topic": subscription.topic,
            "hub.callback": callback_url(self._base, subscription),
        }
        if mode == "subscribe":
            form |= {"hub.secret": subscription.secret, "hub.lease_seconds": str(LEASE_SECONDS)}
        try:
            response = await self._client.post(subscription.hub, data=form, timeout=HUB_TIMEOUT)
        except httpx.HTTPError as failure:
            return f"hub unreachable: {type(failure).__name__}: {failure}"
        if not response.is_success:
            return f"hub answered {response.status_code}: {response.text[:200]}"
        return None

    @staticmethod
    def _retry_at(subscription: PushSubscription, now: float) -> float:
        retry = now + RETRY_SECONDS
        if subscription.status == PushStatus.ACTIVE and subscription.lease_until is not None:
            # Renewing: try again well before the lease ends, not an hour after it has.
            retry = min(retry, max(now + 60.0, (now + subscription.lease_until) / 2))
        return retry


def renewal_moment(now: float, lease_seconds: float) -> float:
    """When to ask the hub again for a lease granted now."""
    return now + lease_seconds * RENEW_FRACTION
