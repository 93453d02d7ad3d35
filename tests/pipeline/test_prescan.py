"""The pre-scan: it names entries as feedparser does, and parsing only new entries loses nothing."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.feeds.fetch import FetchError, build_http_client, fetch_feed
from bot.feeds.parse import ParsedEntry, parse_feed
from bot.feeds.prescan import scan_feed
from bot.standin import FeedServer
from tests.inprocess import LOOPBACK_FEEDS
from tests.reliability.hostile_feeds import corpus

ATOM_NS = "http://www.w3.org/2005/Atom"
RSS10_NS = "http://purl.org/rss/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
EXTRA_NS = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    f'xmlns:atom="{ATOM_NS}"'
)

# Identities as newsrooms write them, and as careless ones do.
IDENTITY_TEXTS = st.sampled_from(
    [
        "https://banten.example/berita/12",
        "https://banten.example/read?id=12&amp;src=rss",
        "https://banten.example/a?x=1&amp;amp;y=2",
        "  https://banten.example/spasi \n",
        "<![CDATA[https://banten.example/cdata?a=1&b=2]]>",
        "berita/relatif-12",
        "/mutlak/12",
        "12345",
        "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "tag:kompas.example,2026:12",
        "http:///banten.example//garis",
        "javascript:alert(1)",
        "https://banten.example/berita/ü-12",
        "https://banten.example/#",
        "",
        "   ",
    ]
)
TITLES = st.sampled_from(
    ["Banjir rendam Serang", "Harga beras &amp; cabai naik", "Gempa guncang Lebak", "Ülasan", ""]
)
PERMALINK = st.sampled_from([None, "true", "false", "False"])
EXTRAS = st.sampled_from(
    [
        "",
        "<dc:creator>Redaksi</dc:creator>",
        '<media:content url="https://banten.example/foto.jpg" medium="image"/>',
        '<atom:link href="https://banten.example/atom" rel="alternate"/>',
        '<enclosure url="https://banten.example/a.mp3" type="audio/mpeg" length="1"/>',
        '<source url="https://sumber.example/rss">Sumber</source>',
        "<content:encoded>&lt;p&gt;Isi&lt;/p&gt;</content:encoded>",
        "<category>Daerah</category>",
    ]
)


@dataclass(frozen=True)
class Entry:
    """One generated entry's parts (texts go into the XML verbatim)."""

    title: str
    guid: str | None
    permalink: str | None
    link: str | None
    about: str | None
    extra: str
    day: int


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    """An entry as real feeds write them: some parts missing, some odd."""
    return Entry(
        title=draw(TITLES),
        guid=draw(st.none() | IDENTITY_TEXTS),
        permalink=draw(PERMALINK),
        link=draw(st.none() | IDENTITY_TEXTS),
        about=draw(st.none() | IDENTITY_TEXTS.filter(lambda t: "<" not in t)),
        extra=draw(EXTRAS),
        day=draw(st.integers(1, 28)),
    )


def rss_item(entry: Entry, kind: str) -> str:
    """The entry as an RSS 2.0 or RSS 1.0 item."""
    about = f' rdf:about="{entry.about}"' if kind == "rss10" and entry.about is not None else ""
    parts = [f"<title>{entry.title}</title>", "<description>Isi berita</description>"]
    if entry.link is not None:
        parts.append(f"<link>{entry.link}</link>")
    if entry.guid is not None:
        flag = f' isPermaLink="{entry.permalink}"' if entry.permalink is not None else ""
        parts.append(f"<guid{flag}>{entry.guid}</guid>")
    date = f"<pubDate>Mon, {entry.day:02d} Nov 2026 10:00:00 +0700</pubDate>"
    return f"<item{about}>{''.join(parts)}{entry.extra}{date}</item>"


def atom_entry(entry: Entry) -> str:
    """The entry as an Atom entry."""
    parts = [f"<title>{entry.title}</title>", "<summary>Isi berita</summary>"]
    if entry.guid is not None:
        parts.append(f"<id>{entry.guid}</id>")
    if entry.link is not None and "<" not in entry.link:
        parts.append(f'<link rel="alternate" href="{entry.link}"/>')
    parts.append(f"<updated>2026-11-{entry.day:02d}T03:00:00Z</updated>")
    return f"<entry>{''.join(parts)}</entry>"


def document(kind: str, items: list[Entry], encoding: str, base: bool) -> bytes:
    """A whole feed document of the given kind."""
    declared = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    xml_base = ' xml:base="https://banten.example/dasar/"' if base else ""
    if kind == "atom":
        body = "".join(atom_entry(e) for e in items)
        text = f'<feed xmlns="{ATOM_NS}"{xml_base}><title>Kanal</title>{body}</feed>'
    elif kind == "rss10":
        body = "".join(rss_item(e, kind) for e in items)
        text = (
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns="{RSS10_NS}" {EXTRA_NS}{xml_base}>'
            f"<channel><title>Kanal</title></channel>{body}</rdf:RDF>"
        )
    else:
        body = "".join(rss_item(e, kind) for e in items)
        text = (
            f'<rss version="2.0" {EXTRA_NS}{xml_base}><channel><title>Kanal</title>'
            f"<link>https://banten.example/</link>{body}</channel></rss>"
        )
    return (declared + text).encode(encoding, errors="xmlcharrefreplace")


HEADERS = st.sampled_from(
    [
        {},
        {"Content-Type": "application/rss+xml"},
        {"Content-Type": "text/xml; charset=iso-8859-1"},
        {"Content-Type": "text/html; charset=utf-8"},
        {"Content-Type": "application/xml", "Content-Location": "https://banten.example/rss/"},
    ]
)


def assert_parsing_only_new_entries_agrees(
    body: bytes, headers: dict[str, str], seed: int, *, every_entry_kept: bool = True
) -> bool:
    """Whatever the scan knows for certain, cutting known entries changes nothing else.

    True when the scan read the document. every_entry_kept: the document has no entry that
    parsing drops (one without title and summary), so every identity the scan names is one
    feedparser names too.
    """
    scan = scan_feed(body, headers)
    if scan is None:
        return False  # the poller parses the whole document, as it always did
    full = parse_feed(body, headers).entries
    if every_entry_kept:
        assert set(scan.identities()) <= {entry.identity for entry in full}
    sure = sorted(set(scan.identities()))
    known = {identity for n, identity in enumerate(sure) if (seed >> (n % 16)) & 1}
    reduced = scan.without(known)
    expected = [entry for entry in full if entry.identity not in known]
    if reduced is None:
        assert expected == []
    else:
        assert new_entries(parse_feed(reduced, scan.headers).entries, known) == expected
    return True


def new_entries(parsed: list[ParsedEntry], known: set[str]) -> list[ParsedEntry]:
    """What the poller stores of a parse: the entries it does not know."""
    return [entry for entry in parsed if entry.identity not in known]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["rss20", "rss10", "atom"]),
    items=st.lists(entries(), min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "iso-8859-1"]),
    base=st.booleans(),
    headers=HEADERS,
    seed=st.integers(0, 2**16 - 1),
)
def test_the_scan_names_entries_as_feedparser_does(
    kind: str, items: list[Entry], encoding: str, base: bool, headers: dict[str, str], seed: int
) -> None:
    body = document(kind, items, encoding, base)
    read = assert_parsing_only_new_entries_agrees(body, headers, seed)
    # Only xml:base, or a charset the header and the document disagree on, leaves it whole.
    charset = headers.get("Content-Type", "").partition("charset=")[2]
    assert read or base or charset not in ("", encoding)


def test_plain_feeds_are_scanned_and_every_entry_named() -> None:
    items = [
        Entry("Judul", f"https://banten.example/{n}", None, None, None, "", 3) for n in range(3)
    ]
    for kind in ("rss20", "rss10", "atom"):
        scan = scan_feed(document(kind, items, "utf-8", False), {})
        assert scan is not None, kind
        assert scan.identities() == [f"https://banten.example/{n}" for n in range(3)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b'<rss version="2.0"><channel><item><title>a</item></channel></rss>', id="ill-formed"
        ),
        pytest.param(b"<html><body><p>Bukan feed</p></body></html>", id="html"),
        pytest.param(
            b'<!DOCTYPE rss [<!ENTITY e "x">]><rss><channel><item><guid>&e;</guid>'
            b"<title>a</title></item></channel></rss>",
            id="doctype",
        ),
        pytest.param(
            b'<rss xml:base="https://a.example/"><channel><item><guid>1</guid><title>a</title>'
            b"</item></channel></rss>",
            id="xml-base",
        ),
        pytest.param(
            b'<rss xmlns:x="urn:x"><channel><item><x:guid>1</x:guid><title>a</title>'
            b"</item></channel></rss>",
            id="unknown-namespace-guid",
        ),
        pytest.param(
            b"<rss><item><guid>1</guid><title>a</title></item></rss>", id="item-outside-channel"
        ),
        pytest.param("<rss><channel/></rss>".encode("utf-16"), id="utf-16"),
        pytest.param(b"\xff\xfe\x00<rss>", id="undecodable"),
    ],
)
def test_documents_the_scan_cannot_read_are_left_whole_to_feedparser(body: bytes) -> None:
    assert scan_feed(body, {"Content-Type": "application/rss+xml"}) is None


def test_entries_the_scan_cannot_name_are_always_parsed() -> None:
    body = (
        b'<rss version="2.0"><channel><title>K</title>'
        b"<item><title>Tanpa guid dan tautan</title><description>Isi</description></item>"
        b"<item><title>Dua guid</title><guid>g1</guid><guid>g2</guid></item>"
        b"<item><title>Guid bermarkup</title><guid>a<b>c</b></guid></item>"
        b'<item href="https://a.example/h"><title>Tautan di atribut</title></item>'
        b"<item><title>Biasa</title><guid>g3</guid></item>"
        b"</channel></rss>"
    )
    scan = scan_feed(body, {})
    assert scan is not None
    assert [entry.identity for entry in scan.entries] == [None, None, None, None, "g3"]
    reduced = scan.without({"g3"})
    assert reduced is not None
    titles = [entry.title.value for entry in parse_feed(reduced, scan.headers).entries]
    assert titles == ["Tanpa guid dan tautan", "Dua guid", "Guid bermarkup", "Tautan di atribut"]


async def test_hostile_feeds_lose_nothing_when_only_new_entries_are_parsed(
    feeds: FeedServer,
) -> None:
    cases = [case for case in corpus(feeds.base_url) if case.family != "slow"]
    for case in cases:
        case.serve(feeds, case.path)
    scanned = 0
    async with build_http_client(10.0, LOOPBACK_FEEDS) as client:
        for case in cases:
            try:
                fetched = await fetch_feed(
                    client, feeds.url(case.path), etag=None, last_modified=None,
                    max_bytes=2_000_000, total_timeout=30.0,
                )  # fmt: skip
            except (FetchError, httpx.HTTPError):
                continue
            for seed in (0, 1, 0xFFFF):
                try:
                    read = assert_parsing_only_new_entries_agrees(
                        fetched.body, fetched.headers, seed, every_entry_kept=False
                    )
                except AssertionError as error:
                    raise AssertionError(f"{case.path}: {error}") from None
                scanned += read
    assert scanned  # the corpus's well-formed feeds were scanned, not only left whole
