"""Finding a feed's hub: in its Link header or in the document's head, and the topic it names."""

from __future__ import annotations

import asyncio
import hmac
import threading

import pytest

from bot.feeds import websub
from bot.feeds.fetch import FetchedFeed
from bot.feeds.hublinks import HubLink, find_hub
from bot.feeds.websub import HubNotes, signature_ok
from storage import Storage
from storage.models import FeedSeed

FEED = "https://berita.example/rss"
HUB = "https://hub.example/"
# Longer than any test here should take: reaching it means discovery hung.
HUNG = 60.0
# A name-like run of this length kept discovery busy for minutes when it backtracked.
LONG_NAME = b"a" * 62_000


def test_a_link_header_names_the_hub_and_the_topic() -> None:
    headers = {"link": '<https://hub.example/>; rel="hub", </feed.xml>; rel="self"'}
    assert find_hub(b"<rss><channel></channel></rss>", headers, FEED) == HubLink(
        "https://hub.example/", "https://berita.example/feed.xml"
    )


def test_an_rss_document_names_the_hub_with_atom_links() -> None:
    body = (
        b'<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        b"<atom:link href='https://pubsubhubbub.appspot.com/' rel='hub'/>"
        b'<atom:link rel="self" type="application/rss+xml" href="https://b.example/?a=1&amp;b=2"/>'
        b"<item><link>https://b.example/1</link></item></channel></rss>"
    )
    assert find_hub(body, {}, FEED) == HubLink(
        "https://pubsubhubbub.appspot.com/", "https://b.example/?a=1&b=2"
    )


def test_a_hub_link_inside_an_item_is_not_the_feeds_and_no_hub_means_none() -> None:
    body = b'<rss><channel><item><link rel="hub" href="https://x.example/"/></item></channel></rss>'
    assert find_hub(body, {}, FEED) is None
    # Without a self link the topic is the address the feed was fetched from.
    named = b'<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://h.example/"/>'
    assert find_hub(named, {}, FEED) == HubLink("https://h.example/", FEED)


def test_a_signature_is_the_hmac_of_the_body_with_the_subscriptions_secret() -> None:
    body = b"<feed/>"
    for method in ("sha1", "sha256", "sha512"):
        good = f"{method}=" + hmac.new(b"rahasia", body, method).hexdigest()
        assert signature_ok("rahasia", body, good)
        assert signature_ok("rahasia", body, good.upper().replace(method.upper(), method))
        assert not signature_ok("lain", body, good)
        assert not signature_ok("rahasia", body + b" ", good)
    assert not signature_ok("rahasia", body, None)
    assert not signature_ok("rahasia", body, "md5=" + hmac.new(b"rahasia", body, "md5").hexdigest())


async def found_in_time(body: bytes, headers: dict[str, str]) -> HubLink | None:
    """find_hub's answer, failing the test when it does not come before HUNG."""
    return await asyncio.wait_for(asyncio.to_thread(find_hub, body, headers, FEED), HUNG)


@pytest.mark.parametrize(
    "head",
    [
        b"<!-- <link " + LONG_NAME + b" -->",  # a comment in the head
        b"<link " + LONG_NAME + b">",  # an attribute name that never gets a value
        b'<link rel="alternate" ' + LONG_NAME + b' href="https://b.example/"/>',
    ],
    ids=["comment", "attribute-name", "attribute-name-then-href"],
)
async def test_a_long_name_in_the_head_does_not_hold_up_discovery(head: bytes) -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom">' + head
        + f'<link rel="hub" href="{HUB}"/>'.encode() + b"<entry><title>x</title></entry></feed>"
    )  # fmt: skip
    assert await found_in_time(body, {}) == HubLink(HUB, FEED)


async def test_a_link_header_of_unclosed_brackets_is_read_quickly() -> None:
    hostile = "<" * 90_000
    assert await found_in_time(b"<rss/>", {"link": hostile}) is None
    named = f'<{HUB}>; rel="hub", <https://b.example/f>; title="a, b"; rel="self", ' + hostile
    assert await found_in_time(b"<rss/>", {"link": named}) == HubLink(HUB, "https://b.example/f")


def test_links_in_comments_are_not_the_feeds_and_unquoted_attributes_count() -> None:
    body = (
        b'<rss><channel><!-- <atom:link rel="hub" href="https://old.example/"/> -->'
        b"<atom:link rel=hub href=https://h.example/ /><item><title>x</title></item></rss>"
    )
    assert find_hub(body, {}, FEED) == HubLink("https://h.example/", FEED)


async def test_discovery_runs_off_the_event_loop(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    (added,) = await storage.import_feeds([FeedSeed(FEED, "Berita", "")], now=10.0)
    (feed,) = await storage.list_feeds()
    threads: list[threading.Thread] = []

    def watched(body: bytes, headers: dict[str, str], url: str) -> HubLink | None:
        threads.append(threading.current_thread())
        return find_hub(body, headers, url)

    monkeypatch.setattr(websub, "find_hub", watched)
    body = f'<feed><link rel="hub" href="{HUB}"/></feed>'.encode()
    await HubNotes(storage, lambda: 20.0).note(feed, FetchedFeed(False, body, {}, None, None, FEED))
    assert threads
    assert threading.main_thread() not in threads
    subscription = await storage.push_subscription(added.feed_id)
    assert subscription is not None
    assert subscription.hub == HUB
