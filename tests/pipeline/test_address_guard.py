"""The address guard: every fetch, first request and every redirect, reaches allowed addresses only.

The tests allow 127.0.0.1 (the feed server), as WARTA_ALLOW_PRIVATE_FEEDS=127.0.0.1 would. A
second server on 127.0.0.2 stands for an internal service (a cloud metadata endpoint, an admin
page): loopback too, so nothing the tests send ever leaves the machine, but not allowed.
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.feeds.fetch import AddressRefused, FetchError, build_http_client, fetch_feed
from bot.feeds.guard import BlockedAddress, GuardedTransport
from bot.net.addresses import PUBLIC_ONLY, AddressPolicy
from bot.standin import FeedServer
from tests.factories import news
from tests.inprocess import ADMIN_ID, LOOPBACK_FEEDS, RunningBot

INTERNAL = "127.0.0.2"
TLS_PEM = Path(__file__).resolve().parents[1] / "data" / "tls" / "feeds-test.pem"


SECRET = news("r1", "Kunci akses server internal")


async def fetch(client: httpx.AsyncClient, url: str) -> bytes:
    fetched = await fetch_feed(
        client, url, etag=None, last_modified=None, max_bytes=1 << 20, total_timeout=30
    )
    return fetched.body


async def test_a_feed_that_redirects_to_a_refused_address_is_recorded_not_stored(
    warta: RunningBot, internal: FeedServer
) -> None:
    internal.publish("/rahasia.xml", [SECRET])
    feeds, storage = warta.feeds, warta.services.storage
    await warta.poll()  # the feed's first fetch: its back catalogue (empty)
    feeds.publish("/banten.xml", [news("b1", "Banjir Serang rendam 300 rumah")])
    await warta.poll()
    # The feed was fine when added; now it sends the poller to an internal address.
    feeds.set_redirect("/banten.xml", internal.url("/rahasia.xml"))
    await warta.poll()

    assert internal.requests == []  # refused at the check: not a byte went there
    [feed] = await storage.list_feeds()
    assert feed.consecutive_failures == 1
    assert feed.last_error == f"address not allowed: {INTERNAL} → {INTERNAL} is not public"
    assert "Kunci akses" not in await warta.say(ADMIN_ID, "/latest kunci akses")
    assert "Banjir Serang rendam 300 rumah" in await warta.say(ADMIN_ID, "/latest banjir")
    listing = await warta.say(ADMIN_ID, "/feeds")
    assert f"berturut-turut: address not allowed: {INTERNAL} → {INTERNAL}" in listing
    # Backed off like any failing feed: the next poll does not try it again.
    hits = feeds.hits("/banten.xml")
    await warta.poll()
    assert feeds.hits("/banten.xml") == hits
    assert internal.requests == []


async def test_the_allow_list_lets_through_what_it_names_and_nothing_else(
    feeds: FeedServer, internal: FeedServer
) -> None:
    internal.publish("/rahasia.xml", [SECRET])
    feeds.publish("/banten.xml", [news("b1", "Banjir Serang")])
    feeds.set_redirect("/pindah.xml", internal.url("/rahasia.xml"))
    async with build_http_client(30, LOOPBACK_FEEDS) as client:
        assert b"Banjir Serang" in await fetch(client, feeds.url("/banten.xml"))
        with pytest.raises(AddressRefused, match=re.escape(f"{INTERNAL} → {INTERNAL}")):
            await fetch(client, feeds.url("/pindah.xml"))
        with pytest.raises(AddressRefused):
            await fetch(client, internal.url("/rahasia.xml"))  # asked for directly, too
    assert internal.requests == []
    # A network in the list covers the redirect's target; "1" allows any address.
    for policy in (AddressPolicy.allowing("127.0.0.1, 127.0.0.0/30"), AddressPolicy(True)):
        async with build_http_client(30, policy) as client:
            assert b"Kunci akses" in await fetch(client, feeds.url("/pindah.xml"))
    assert internal.hits("/rahasia.xml") == 2


async def test_public_only_refuses_loopback_before_connecting(feeds: FeedServer) -> None:
    feeds.publish("/banten.xml", [news("b1", "Banjir Serang")])
    async with build_http_client(30, PUBLIC_ONLY) as client:
        with pytest.raises(AddressRefused, match=re.escape("127.0.0.1 → 127.0.0.1 is not public")):
            await fetch(client, feeds.url("/banten.xml"))
        # Outside fetch_feed the refusal is an httpx transport error like any other.
        with pytest.raises(httpx.TransportError) as raised:
            await client.get(feeds.url("/banten.xml"))
        assert isinstance(raised.value, BlockedAddress)
        assert raised.value.request.url == feeds.url("/banten.xml")
    assert feeds.requests == []


class Resolver:
    """A DNS that answers each name with the next of its answers, counting the questions."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


async def test_the_connection_goes_to_the_address_that_was_checked(feeds: FeedServer) -> None:
    # DNS rebinding: an allowed answer for the check, another for a second look-up.
    feeds.publish("/banten.xml", [news("b1", "Banjir Serang")])
    url = feeds.url("/banten.xml").replace("127.0.0.1", "feeds.test")
    dns = Resolver(["127.0.0.1"], [INTERNAL])
    async with build_http_client(30, LOOPBACK_FEEDS, resolve=dns) as client:
        assert b"Banjir Serang" in await fetch(client, url)
    assert dns.asked == ["feeds.test"]  # resolved once, connected there
    assert feeds.requests[-1].headers["Host"] == f"feeds.test:{httpx.URL(url).port}"


async def test_a_refused_first_answer_is_final(feeds: FeedServer) -> None:
    # The other way round: refused at the check, never connected on a second look-up.
    feeds.publish("/banten.xml", [news("b1", "Banjir Serang")])
    url = feeds.url("/banten.xml").replace("127.0.0.1", "feeds.test")
    for answers in ([INTERNAL], ["127.0.0.1", INTERNAL]):
        dns = Resolver(answers, ["127.0.0.1"])
        async with build_http_client(30, LOOPBACK_FEEDS, resolve=dns) as client:
            with pytest.raises(AddressRefused, match=re.escape(f"feeds.test → {INTERNAL}")):
                await fetch(client, url)
        assert dns.asked == ["feeds.test"]
    assert feeds.requests == []


async def test_a_name_that_does_not_resolve_says_so() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    async with build_http_client(30, LOOPBACK_FEEDS, resolve=nowhere) as client:
        with pytest.raises(FetchError, match=re.escape("host not found: tidak-ada.test")):
            await fetch(client, "http://tidak-ada.test/feed.xml")


async def test_a_reserved_name_is_not_found_without_asking_dns() -> None:
    # Feeds and article links on .example, .invalid or .test (sample data, placeholders)
    # never exist: the real resolver says so at once, and nothing leaves the machine.
    async with build_http_client(30, LOOPBACK_FEEDS) as client:
        reason = re.escape("host not found: berita.example: a reserved name")
        with pytest.raises(FetchError, match=reason):
            await fetch(client, "https://berita.example/banjir-serang")


async def test_https_keeps_the_host_name_for_sni_certificate_and_host_header() -> None:
    seen: list[str | None] = []

    def remember_sni(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        seen.append(name)

    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(TLS_PEM)
    server_tls.sni_callback = remember_sni

    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=request.host)

    app = web.Application()
    app.router.add_get("/", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls).start()
    port = int(runner.addresses[0][1])
    client_tls = ssl.create_default_context(cafile=TLS_PEM)
    dns = Resolver(["127.0.0.1"])
    transport = GuardedTransport(
        LOOPBACK_FEEDS, limits=httpx.Limits(), resolve=dns, ssl_context=client_tls
    )
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.get(f"https://feeds.test:{port}/")
    finally:
        await runner.cleanup()
    assert response.text == f"feeds.test:{port}"  # the certificate for feeds.test was accepted
    assert seen == ["feeds.test"]
    assert dns.asked == ["feeds.test"]
