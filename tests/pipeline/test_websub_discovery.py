"""Finding a feed's hub: in its Link header or in the document's head, and the topic it names."""

from __future__ import annotations

import hmac

from bot.feeds.websub import HubLink, find_hub, signature_ok

FEED = "https://berita.example/rss"


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
