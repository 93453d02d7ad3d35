"""A WebSub hub on loopback, speaking the protocol (W3C WebSub, sections 5-7).

It takes subscription requests (POST hub.mode/hub.topic/hub.callback/hub.secret/
hub.lease_seconds, answered 202), verifies the subscriber's intent by calling its callback with
a challenge, and distributes content to the verified subscribers of a topic, signed with
`X-Hub-Signature: sha256=<HMAC of the body>`. `reach` maps a public origin to a loopback one, as
the subscriber's reverse proxy would.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from aiohttp import web

from .served import Served

HUNG = 60.0


@dataclass(frozen=True, slots=True)
class HubSubscription:
    """A verified subscriber of a topic."""

    topic: str
    callback: str
    secret: str | None
    lease_seconds: int


@dataclass(frozen=True, slots=True)
class Verification:
    """One verification of intent the hub made, and whether the subscriber confirmed it."""

    mode: str
    topic: str
    callback: str
    confirmed: bool


class HubStandIn(Served):
    """Serves a hub endpoint on 127.0.0.1 and records what subscribers asked and confirmed."""

    def __init__(self, *, lease_seconds: int = 3600, reach: Mapping[str, str] | None = None):
        self.lease_seconds = lease_seconds
        self.reach = dict(reach or {})
        self.requests: list[dict[str, str]] = []
        self.verifications: list[Verification] = []
        self.subscriptions: dict[tuple[str, str], HubSubscription] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._event = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on a random loopback port."""
        app = web.Application()
        app.router.add_post("/", self._subscription_request)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Finish the verifications under way and close the server."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """The hub's address, as a feed names it in rel="hub"."""
        return f"http://127.0.0.1:{self._port}/"

    def subscribers(self, topic: str) -> list[HubSubscription]:
        """The verified subscribers of a topic."""
        return [s for (t, _), s in self.subscriptions.items() if t == topic]

    async def wait_for(
        self, predicate: Callable[[HubStandIn], bool], timeout: float = HUNG
    ) -> None:
        """Wait until predicate(self) holds, re-checking after every request and verification."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self):
                    await self._event.wait()
        except TimeoutError:
            raise AssertionError(
                f"hub condition not met within {timeout}s: requests={self.requests} "
                f"verifications={self.verifications}"
            ) from None

    async def publish(self, topic: str, body: bytes, content_type: str) -> list[int]:
        """Distribute content to every verified subscriber; the status each one answered."""
        statuses = []
        for subscription in self.subscribers(topic):
            signature = None
            if subscription.secret is not None:
                digest = hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
                signature = f"sha256={digest}"
            statuses.append(await self.deliver(subscription, body, content_type, signature))
        return statuses

    async def deliver(
        self, subscription: HubSubscription, body: bytes, content_type: str, signature: str | None
    ) -> int:
        """POST content to one subscriber with the signature given (a forger's, say)."""
        headers = {"Content-Type": content_type, "Link": f'<{self.url}>; rel="hub", '
                   f'<{subscription.topic}>; rel="self"'}  # fmt: skip
        if signature is not None:
            headers["X-Hub-Signature"] = signature
        async with httpx.AsyncClient(timeout=HUNG) as client:
            response = await client.post(
                self._reachable(subscription.callback), content=body, headers=headers
            )
        return response.status_code

    async def _subscription_request(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.requests.append(form)
        self._notify()
        mode, topic, callback = (form.get(f"hub.{k}", "") for k in ("mode", "topic", "callback"))
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return web.Response(status=400, text="hub.mode, hub.topic and hub.callback needed")
        task = asyncio.create_task(self._verify(form))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _verify(self, form: dict[str, str]) -> None:
        """Call the subscriber back with a challenge; act on the request if it echoes it."""
        mode, topic, callback = form["hub.mode"], form["hub.topic"], form["hub.callback"]
        challenge = secrets.token_urlsafe(16)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = str(self.lease_seconds)
        try:
            async with httpx.AsyncClient(timeout=HUNG) as client:
                response = await client.get(self._reachable(callback), params=query)
            confirmed = response.is_success and response.text == challenge
        except httpx.HTTPError:
            confirmed = False
        if confirmed and mode == "subscribe":
            secret = form.get("hub.secret") or None
            self.subscriptions[(topic, callback)] = HubSubscription(
                topic, callback, secret, self.lease_seconds
            )
        elif confirmed:
            self.subscriptions.pop((topic, callback), None)
        self.verifications.append(Verification(mode, topic, callback, confirmed))
        self._notify()

    def _reachable(self, url: str) -> str:
        for public, local in self.reach.items():
            if url.startswith(public):
                return local + url[len(public) :]
        return url

    def _notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()
