"""The hostile sites of bench/bench_hostile.py as cases: the feeds each adds to the bot's list,
benign until the window opens, and what each does then."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from bench import hostile_sites as sites
from bot.standin import FeedServer, HubStandIn
from tests.inprocess import RunningBot

PUBLIC_ORIGIN = "https://warta.example"
# The article pages live on four loopback hosts: the bot fetches two at a time from each.
PAGE_HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
PUSHED_FEED = "/kabar-dorong.xml"
PUSH_TIMEOUT = 60.0  # a push the bot has not answered by then is counted as not answered


class Stoppable(Protocol):
    """A hostile server, stopped on the hostile side once the case is over."""

    async def stop(self) -> None: ...


@dataclass
class Case:
    """A hostile site: its feeds in the bot's list, and what it does when the window opens."""

    feeds: list[tuple[str, str, str]] = field(default_factory=list)
    start: Callable[[RunningBot], None] = lambda warta: None  # called as the window opens
    notes: Callable[[], str] = lambda: ""  # what the site saw, once the window has closed
    servers: Sequence[Stoppable] = ()


async def build_case(
    name: str, side: sites.HostileSide, feeds: FeedServer, hub: HubStandIn, port: int
) -> Case:
    """The hostile site of a case, serving benign documents until the window opens."""
    if name == "discovery":
        return discovery(feeds)
    if name == "articles":
        return await articles(side, feeds)
    if name == "hub":
        return await hubs(side, feeds)
    if name == "pushes":
        return pushes(side, feeds, hub, port)
    return Case()  # the baseline: no hostile site


def discovery(feeds: FeedServer) -> Case:
    """A feed whose head holds a name-like run in a comment; one with a Link header of '<'."""
    comment, header = "/kabar-komentar.xml", "/kabar-tautan.xml"
    for route in (comment, header):
        feeds.set_raw(route, sites.feed_document("Kabar", feeds.url(route), []))

    def start(warta: RunningBot) -> None:
        body = sites.feed_document("Kabar", feeds.url(comment), [], sites.name_like_comment())
        feeds.set_raw(comment, body)
        flood = {"Link": sites.link_header_flood()}
        feeds.set_raw(header, sites.feed_document("Kabar", feeds.url(header), []), headers=flood)

    def notes() -> str:
        polls = feeds.hits(comment) + feeds.hits(header)
        return f"the two hostile feeds were asked {polls} times in all"

    return Case([("Kabar Komentar", comment, ""), ("Kabar Tautan", header, "")], start, notes)


async def articles(side: sites.HostileSide, feeds: FeedServer) -> Case:
    """A teaser-only feed whose new items link twelve nested-div pages and a <br> flood."""
    route = "/kabar-singkat.xml"
    servers = [FeedServer(host) for host in PAGE_HOSTS]
    for server in servers:
        await side.run(server.start())
    pages = [sites.nested_div_page(n) for n in range(sites.NESTED_PAGES)]
    pages.append(sites.line_break_page())
    placed = [(servers[n % len(servers)], f"/artikel/{n}.html") for n in range(len(pages))]
    for (server, path), page in zip(placed, pages, strict=True):
        server.set_raw(path, page, content_type="text/html; charset=utf-8")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    old = [sites.teaser(n, f"{feeds.base_url}/lama/{n}.html", an_hour_ago) for n in range(5)]
    feeds.set_raw(route, sites.feed_document("Kabar Singkat", feeds.url(route), old))

    def start(warta: RunningBot) -> None:
        now = datetime.now(UTC)
        fresh = [sites.teaser(100 + n, s.url(path), now) for n, (s, path) in enumerate(placed)]
        body = sites.feed_document("Kabar Singkat", feeds.url(route), [*fresh, *old])
        feeds.set_raw(route, body)

    def notes() -> str:
        asked = sum(server.hits(path) for server, path in placed)
        return f"article pages asked {asked} times ({len(pages)} pages)"

    return Case([("Kabar Singkat", route, "")], start, notes, servers)


async def hubs(side: sites.HostileSide, feeds: FeedServer) -> Case:
    """A feed naming a hub that answers with a gzip bomb; three naming one that trickles."""
    bomb, trickle = sites.BombHub(), sites.TrickleHub()
    await side.run(bomb.start())
    await side.run(trickle.start())
    named = [("/kabar-bom.xml", bomb.url)] + [
        (f"/kabar-tetes-{n}.xml", trickle.url) for n in range(3)
    ]
    for route, hub_url in named:
        head = f'<link rel="hub" href="{hub_url}"/>'
        feeds.set_raw(route, sites.feed_document("Kabar", feeds.url(route), [], head))
    asking: list[asyncio.Task[int]] = []

    def start(warta: RunningBot) -> None:
        # The scheduler's WebSub round (bot/jobs.py ask_hubs), started as it would be.
        websub = warta.services.websub
        assert websub is not None
        asking.append(asyncio.create_task(websub.run_due(), name="websub-round"))

    def notes() -> str:
        ended = "ended" if asking and asking[0].done() else "still waiting at the end"
        for task in asking:
            task.cancel()
        return (
            f"hub round {ended}; bomb hub asked {bomb.requests} times, "
            f"trickling hub {trickle.requests} times"
        )

    feeds_named = [(f"Kabar {n}", route, "") for n, (route, _) in enumerate(named)]
    return Case(feeds_named, start, notes, [bomb, trickle])


def pushes(side: sites.HostileSide, feeds: FeedServer, hub: HubStandIn, port: int) -> Case:
    """A feed subscribed through the hub stand-in, then 60 signed 4 MiB pushes at once."""
    head = f'<link rel="hub" href="{hub.url}"/>'
    feeds.set_raw(
        PUSHED_FEED, sites.feed_document("Kabar Dorong", feeds.url(PUSHED_FEED), [], head)
    )
    body = sites.push_document(feeds.url(PUSHED_FEED))
    statuses: list[int] = []
    sent: list[float] = []

    def start(warta: RunningBot) -> None:
        subscription = hub.subscribers(feeds.url(PUSHED_FEED))[0]
        callback = subscription.callback.replace(PUBLIC_ORIGIN, f"http://127.0.0.1:{port}")
        secret = (subscription.secret or "").encode()
        signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        side.submit(send_pushes(callback, body, signature, statuses, sent))

    def notes() -> str:
        took = f"sent in {sent[0]:.1f} s" if sent else "not all answered when the window closed"
        accepted = sum(status == 202 for status in statuses)
        return f"{accepted} of {sites.PUSHES} pushes answered 202, {took}"

    return Case([("Kabar Dorong", PUSHED_FEED, "")], start, notes)


async def send_pushes(
    callback: str, body: bytes, signature: str, statuses: list[int], sent: list[float]
) -> None:
    """POST the same signed document PUSHES times at once (a hub's, or a replayer's)."""
    headers = {"Content-Type": "application/atom+xml", "X-Hub-Signature": signature}
    limits = httpx.Limits(max_connections=sites.PUSHES)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=PUSH_TIMEOUT, limits=limits) as client:

        async def one() -> None:
            try:
                statuses.append(
                    (await client.post(callback, content=body, headers=headers)).status_code
                )
            except httpx.HTTPError:
                statuses.append(0)

        await asyncio.gather(*(one() for _ in range(sites.PUSHES)))
    sent.append(time.monotonic() - started)
