"""Parse: entries get stable identities; bodies that are not feeds are refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds.clean import FeedText
from bot.feeds.parse import FeedParseError, parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>ANTARA Banten</title>
<item><title>Banjir rendam Serang</title><link>https://banten.example/a</link>
<guid>guid-a</guid><description>&lt;p&gt;Air naik&lt;/p&gt;</description>
<pubDate>Tue, 24 Nov 2026 10:00:00 +0700</pubDate></item>
<item><title>Gempa di Lebak</title><link>https://banten.example/b</link>
<pubDate>Wed, 25 Nov 2026 09:00:00 +0700</pubDate></item>
<item><title>Tanpa tautan</title><description>Isi berita</description></item>
<item><title>Banjir rendam Serang (salinan)</title><guid>guid-a</guid></item>
</channel></rss>"""


def test_entries_get_guid_then_link_then_hash_identities() -> None:
    feed = parse_feed(RSS, {"Content-Type": "application/rss+xml"})
    assert feed.title == "ANTARA Banten"
    identities = [entry.identity for entry in feed.entries]
    assert "guid-a" in identities
    assert "https://banten.example/b" in identities
    assert any(identity.startswith("sha256:") for identity in identities)


def test_duplicate_guids_in_one_document_are_one_entry() -> None:
    feed = parse_feed(RSS, {})
    assert [entry.identity for entry in feed.entries].count("guid-a") == 1
    assert len(feed.entries) == 3


def test_entries_come_oldest_first_with_utc_timestamps() -> None:
    feed = parse_feed(RSS, {})
    dated = [entry for entry in feed.entries if entry.published_at is not None]
    assert [entry.title.value for entry in dated] == ["Banjir rendam Serang", "Gempa di Lebak"]
    assert dated[0].published_at == datetime(2026, 11, 24, 3, tzinfo=UTC).timestamp()


def test_atom_is_read_too() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Kompas</title>
<entry><title>Harga beras naik</title><id>tag:kompas,1</id>
<link href="https://kompas.example/1"/><updated>2026-11-25T01:00:00Z</updated>
<content type="html">&lt;p&gt;Harga beras di Jakarta naik.&lt;/p&gt;</content></entry></feed>"""
    (entry,) = parse_feed(atom, {}).entries
    assert entry.link == "https://kompas.example/1"
    assert entry.content is not None
    assert entry.content.is_html
    assert "Harga beras" in entry.content.value


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (b"", {}, "empty body"),
        (b"   \n", {}, "empty body"),
        (b"<html><body><h1>Berita</h1></body></html>", {"Content-Type": "text/html"}, "HTML"),
        (b"\x00\x01\x02\xff\xfe binary", {}, "not a feed"),
        (b"just some text", {"Content-Type": "text/plain"}, "not a feed"),
    ],
)
def test_bodies_that_are_not_feeds_are_refused(
    body: bytes, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_feed(body, headers)


def test_windows_1252_labelled_as_utf8_still_parses() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<item><title>Caf\u00e9 \u201cbaru\u201d dibuka</title><guid>1</guid></item>"
        "</channel></rss>"
    ).encode("cp1252")
    (entry,) = parse_feed(body, {"Content-Type": "application/rss+xml; charset=utf-8"}).entries
    assert "dibuka" in entry.title.value


def test_plain_text_fields_are_told_apart_from_html() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Uji</title>
<entry><title type="text">Air Naik &gt; 1 Meter &amp; &lt;Warga&gt; Mengungsi</title>
<id>tag:uji,1</id><updated>2026-11-25T01:00:00Z</updated>
<summary type="text">Warga &lt;RT 05&gt; mengungsi.</summary>
<content type="html">&lt;p&gt;Air &lt;b&gt;naik&lt;/b&gt;.&lt;/p&gt;</content></entry></feed>"""
    (entry,) = parse_feed(atom, {}).entries
    assert entry.title == FeedText("Air Naik > 1 Meter & <Warga> Mengungsi", is_html=False)
    assert entry.summary == FeedText("Warga <RT 05> mengungsi.", is_html=False)
    assert entry.content == FeedText("<p>Air <b>naik</b>.</p>", is_html=True)


ATOM_WITH_RELATIVE_LINKS = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://banten.example/berita/">
<title>Radar Banten</title>
<entry><title>Jembatan baru di Cilegon</title><link href="jembatan-baru"/><id>urn:j</id>
<updated>2026-11-25T09:00:00+07:00</updated>
<content type="html">&lt;p&gt;Warga &lt;a href="/warga"&gt;menyambut&lt;/a&gt;
&lt;img src="foto.jpg" alt="foto"&gt; jembatan &lt;b&gt;baru&lt;/b&gt; itu.&lt;/p&gt;</content>
</entry></feed>"""


def test_relative_links_still_resolve_and_html_fields_keep_their_text() -> None:
    (entry,) = parse_feed(ATOM_WITH_RELATIVE_LINKS, {}).entries
    assert entry.link == "https://banten.example/berita/jembatan-baru"
    assert entry.content is not None
    assert entry.content.text() == "Warga menyambut jembatan baru itu."
