"""A corpus of hostile news feeds: broken, malicious, slow or merely strange, by family.

Every case serves itself on the loopback FeedServer and says what the bot must make of it:
"error" (nothing stored, the error recorded on the feed, which backs off), "items" (the entries
stored, cleaned), "empty" (a fine fetch with nothing to store) or "either" (no promise beyond
surviving it: stored sanely, or recorded as an error).
"""

from __future__ import annotations

import functools
import gzip
import itertools
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Literal
from xml.sax.saxutils import escape

from bot.standin import FeedItem, FeedServer

Expectation = Literal["error", "items", "empty", "either"]
Serve = Callable[[FeedServer, str], None]

SIZE_CAP = 512 * 1024  # the corpus runs with this Settings.max_feed_bytes
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
XXE_TARGET = "/rahasia.txt"  # an external entity points here: it must never be fetched
SECRET = "RAHASIA-JANGAN-BOCOR"


@dataclass(frozen=True)
class HostileFeed:
    """One case: how it is served and what the bot must make of it."""

    family: str
    name: str
    serve: Serve
    expect: Expectation
    error: str = ""  # part of the recorded error, when one is expected

    @property
    def path(self) -> str:
        return f"/{self.family}/{self.name}.xml"


def now_rfc822(shift: timedelta = timedelta()) -> str:
    return format_datetime(datetime.now(UTC) + shift, usegmt=True)


def item_xml(
    title: str = "Banjir rendam Serang",
    *,
    link: str | None = "https://berita.example/1",
    guid: str | None = "urn:uji:1",
    pub_date: str | None = None,
    description: str = "Banjir merendam ratusan rumah warga.",
) -> str:
    """An <item>; the arguments go in verbatim (escape them yourself when needed)."""
    parts = [f"<title>{title}</title>" if title is not None else ""]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    parts.append(f"<pubDate>{pub_date if pub_date is not None else now_rfc822()}</pubDate>")
    parts.append(f"<description>{description}</description>")
    return "<item>" + "".join(parts) + "</item>"


def rss(items: str, *, declaration: str | None = "utf-8", doctype: str = "") -> str:
    head = f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else ""
    return (
        f'{head}{doctype}<rss version="2.0"><channel><title>Uji</title>'
        f"<link>https://uji.example/</link><description>Uji</description>{items}</channel></rss>"
    )


def atom(title: str, *, link: str = "https://berita.example/a1", entry_id: str = "urn:a:1") -> str:
    stamp = datetime.now(UTC).isoformat()
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Uji</title><id>urn:uji</id><updated>{stamp}</updated>"
        f'<entry><title type="html">{title}</title><id>{entry_id}</id>'
        f'<link rel="alternate" href="{link}"/><updated>{stamp}</updated>'
        "<summary>Banjir merendam ratusan rumah warga.</summary></entry></feed>"
    )


def raw(body: bytes, *, content_type: str = RSS, headers: dict[str, str] | None = None) -> Serve:
    def serve(server: FeedServer, path: str) -> None:
        server.set_raw(path, body, content_type=content_type, headers=headers)

    return serve


def made_when_served(make: Callable[[], bytes], headers: dict[str, str] | None = None) -> Serve:
    """Like raw(), for bodies too big to build before their case runs."""

    def serve(server: FeedServer, path: str) -> None:
        server.set_raw(path, make(), headers=headers)

    return serve


def text(document: str, encoding: str = "utf-8", content_type: str = RSS) -> Serve:
    return raw(document.encode(encoding), content_type=content_type)


def case(family: str, name: str, serve: Serve, expect: Expectation, error: str = "") -> HostileFeed:
    return HostileFeed(family, name, serve, expect, error)


# ----- encodings ---------------------------------------------------------------------------

ACCENTED = [
    "Café “Nusantara” — dibuka",
    "Pemilu ’24: suara naik 5 €",
    "Señor Gómez tiba di Jakarta",
    "Über die Brücke – jembatan baru",
    "Naïve façade « déjà vu »",
    "Harga ½ kg cabai naik ±10 %",
]


def encodings() -> Iterator[HostileFeed]:
    for n, title in enumerate(ACCENTED):
        document = rss(item_xml(escape(title)))
        yield case("encoding", f"cp1252-labelled-utf8-{n}", text(document, "cp1252"), "items")
        yield case(
            "encoding",
            f"cp1252-declared-{n}",
            text(rss(item_xml(escape(title)), declaration="windows-1252"), "cp1252"),
            "items",
        )
        yield case(
            "encoding",
            f"undeclared-cp1252-{n}",
            text(rss(item_xml(escape(title)), declaration=None), "cp1252"),
            "items",
        )
        yield case(
            "encoding",
            f"utf16-bom-{n}",
            text(rss(item_xml(escape(title)), declaration="utf-16"), "utf-16"),
            "items",
        )
        yield case(
            "encoding",
            f"header-contradicts-{n}",
            raw(document.encode(), content_type="application/rss+xml; charset=iso-8859-1"),
            "items",
        )
        yield case(
            "encoding",
            f"unknown-charset-{n}",
            text(rss(item_xml(escape(title)), declaration="x-klingon"), "utf-8"),
            "either",
        )
    yield case("encoding", "utf8-bom", raw(b"\xef\xbb\xbf" + rss(item_xml()).encode()), "items")
    yield case(
        "encoding",
        "invalid-utf8-bytes",
        raw(rss(item_xml("Banjir \udcff")).encode("utf-8", "surrogateescape")),
        "either",
    )


# ----- entity expansion ---------------------------------------------------------------------


def billion_laughs(depth: int, fan_out: int = 10) -> str:
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, depth):
        refs = f"&lol{level - 1};" * fan_out
        entities.append(f'<!ENTITY lol{level} "{refs}">')
    doctype = "<!DOCTYPE rss [" + "".join(entities) + "]>"
    return rss(item_xml(f"Banjir &lol{depth - 1};"), doctype=doctype)


def entity_bombs(server_url: str) -> Iterator[HostileFeed]:
    for depth in range(3, 11):
        yield case("entities", f"billion-laughs-{depth}", text(billion_laughs(depth)), "either")
    for size in (10_000, 100_000):
        doctype = f'<!DOCTYPE rss [<!ENTITY big "{"x" * size}">]>'
        body = rss(item_xml("Banjir " + "&big;" * 2000), doctype=doctype)
        yield case("entities", f"quadratic-{size}", text(body), "either")
    for name, target in (
        ("file", "file:///etc/passwd"),
        ("loopback", server_url + XXE_TARGET),
    ):
        doctype = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target}">]>'
        yield case(
            "entities",
            f"external-{name}",
            text(rss(item_xml("Banjir &xxe;"), doctype=doctype)),
            "either",
        )
        parameter = f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{target}"> %p;]>'
        yield case(
            "entities", f"parameter-{name}", text(rss(item_xml(), doctype=parameter)), "either"
        )


# ----- size ---------------------------------------------------------------------------------


def filler_rss(size: int) -> bytes:
    padding = "Banjir merendam rumah warga. " * (size // 29 + 1)
    return rss(item_xml(description=padding[:size])).encode()


def compressed_zeros(size: int, wbits: int) -> bytes:
    """size zero bytes compressed, made a MiB at a time (the test itself stays small)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    parts = [squeezer.compress(block) for _ in range(size >> 20)]
    return b"".join([*parts, squeezer.compress(bytes(size % (1 << 20))), squeezer.flush()])


def bombs() -> Iterator[HostileFeed]:
    for times in (2, 8, 20):
        plain = made_when_served(functools.partial(filler_rss, SIZE_CAP * times))
        yield case("size", f"plain-{times}x", plain, "error", "larger than")
    for times in (4, 16, 64):
        # Declared as the small compressed size: only counting after decompression catches it.
        for coding, wbits in (("gzip", 31), ("deflate", 15), ("raw-deflate", -15)):
            body = functools.partial(compressed_zeros, SIZE_CAP * times, wbits)
            headers = {"Content-Encoding": coding.removeprefix("raw-")}
            serve = made_when_served(body, headers)
            yield case("size", f"{coding}-bomb-{times}x", serve, "error", "larger than")
    yield case(
        "size",
        "gzip-feed-within-cap",
        raw(gzip.compress(rss(item_xml()).encode()), headers={"Content-Encoding": "gzip"}),
        "items",
    )
    yield case(
        "size",
        "not-really-gzip",
        raw(b"this is not gzip at all", headers={"Content-Encoding": "gzip"}),
        "error",
    )
    many = "".join(item_xml(f"Berita banjir nomor {n}", guid=f"urn:m:{n}") for n in range(1500))
    yield case("size", "1500-items", text(rss(many)), "items")


# ----- redirects ----------------------------------------------------------------------------


def redirect_chain(length: int, family: str, name: str, end: Serve | None) -> HostileFeed:
    def serve(server: FeedServer, path: str) -> None:
        hops = [path] + [f"{path}.hop{n}" for n in range(1, length + 1)]
        for here, there in itertools.pairwise(hops):
            server.set_redirect(here, there)
        if end is None:
            server.set_redirect(hops[-1], path)  # back to the start: a loop
        else:
            end(server, hops[-1])

    ok = end is not None and length <= 5
    return case(family, name, serve, "items" if ok else "error", "" if ok else "redirects")


def redirect_to(target: str) -> Serve:
    def serve(server: FeedServer, path: str) -> None:
        server.set_redirect(path, target)

    return serve


def redirects() -> Iterator[HostileFeed]:
    feed = text(rss(item_xml()))
    for length in (1, 2, 3):
        yield redirect_chain(length, "redirect", f"loop-{length + 1}", None)
    yield redirect_chain(0, "redirect", "self-loop", None)
    for length in (4, 5, 6, 10):
        yield redirect_chain(length, "redirect", f"chain-{length}", feed)
    for name, target in (
        ("file", "file:///etc/passwd"),
        ("ftp", "ftp://127.0.0.1/feed.xml"),
        ("empty-host", "http:///feed.xml"),
        ("gopher", "gopher://127.0.0.1:70/"),
        ("missing", "/tidak-ada.xml"),
        ("closed-port", "http://127.0.0.1:9/feed.xml"),
    ):
        yield case("redirect", f"to-{name}", redirect_to(target), "error")


# ----- slow servers -------------------------------------------------------------------------


def slow() -> Iterator[HostileFeed]:
    def trickle(rate: float, body: bytes) -> Serve:
        def serve(server: FeedServer, path: str) -> None:
            server.set_raw(path, body)
            server.set_trickle(path, rate)

        return serve

    def delayed(seconds: float) -> Serve:
        def serve(server: FeedServer, path: str) -> None:
            server.set_raw(path, rss(item_xml()).encode())
            server.set_delay(path, seconds)

        return serve

    yield case(
        "slow", "one-byte-a-second", trickle(1, rss(item_xml()).encode()), "error", "timed out"
    )
    yield case("slow", "trickle-big-body", trickle(2000, filler_rss(100_000)), "error", "timed out")
    # Far longer than any fetch timeout a test uses: the answer can never beat the timeout.
    yield case("slow", "answers-too-late", delayed(60.0), "error", "timed out")
    yield case("slow", "a-little-slow", delayed(0.1), "items")


# ----- HTTP answers -------------------------------------------------------------------------


def statuses() -> Iterator[HostileFeed]:
    for status in (400, 401, 403, 404, 410, 429, 451, 500, 502, 503, 504):
        body = b"<html><body>Galat</body></html>"
        yield case(
            "status", f"http-{status}", statuses_serve(status, body), "error", f"HTTP {status}"
        )
    yield case("status", "http-204", statuses_serve(204, b""), "error", "HTTP 204")
    yield case("status", "redirect-without-location", statuses_serve(302, b""), "error", "HTTP 302")


def statuses_serve(status: int, body: bytes) -> Serve:
    def serve(server: FeedServer, path: str) -> None:
        server.set_raw(path, body, status=status, content_type="text/html")

    return serve


# ----- not feeds ----------------------------------------------------------------------------


def not_feeds() -> Iterator[HostileFeed]:
    page = "<!doctype html><html><head><title>Berita</title></head><body><p>Halo</p></body></html>"
    yield case(
        "not-a-feed",
        "html-page",
        text(page, content_type="text/html; charset=utf-8"),
        "error",
        "HTML",
    )
    yield case("not-a-feed", "html-as-rss", text(page), "error")
    yield case(
        "not-a-feed",
        "json",
        text('{"items": [{"title": "Banjir"}]}', content_type="application/json"),
        "error",
    )
    yield case(
        "not-a-feed",
        "plain-text",
        text("Banjir di Serang hari ini.", content_type="text/plain"),
        "error",
    )
    yield case("not-a-feed", "empty-body", raw(b""), "error", "empty")
    yield case("not-a-feed", "whitespace-body", raw(b" \n\t \n"), "error", "empty")
    yield case("not-a-feed", "nul-bytes", raw(b"\0" * 4096), "error")
    yield case(
        "not-a-feed",
        "png",
        raw(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, content_type="image/png"),
        "error",
    )
    yield case(
        "not-a-feed", "pdf", raw(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n" * 50), "error"
    )
    yield case(
        "not-a-feed",
        "svg",
        text('<svg xmlns="http://www.w3.org/2000/svg"><text>Banjir</text></svg>'),
        "error",
    )
    yield case(
        "not-a-feed",
        "other-root",
        text('<?xml version="1.0"?><berita><judul>Banjir</judul></berita>'),
        "either",
    )
    yield case("not-a-feed", "channel-without-items", text(rss("")), "empty")
    for seed in range(6):
        noise = random.Random(seed).randbytes(2048 * (seed + 1))
        yield case(
            "not-a-feed",
            f"random-bytes-{seed}",
            raw(noise, content_type="application/octet-stream"),
            "error",
        )
    full = rss(item_xml() + item_xml("Gempa guncang Lebak", guid="urn:uji:2"))
    for share in (0.1, 0.3, 0.5, 0.7, 0.9):
        cut = full[: int(len(full) * share)]
        yield case("not-a-feed", f"truncated-{int(share * 100)}", text(cut), "either")


# ----- dates --------------------------------------------------------------------------------


def dates() -> Iterator[HostileFeed]:
    moments = {
        "year-2999": "Tue, 01 Jan 2999 00:00:00 GMT",
        "two-days-ahead": now_rfc822(timedelta(days=2)),
        "year-1900": "Mon, 01 Jan 1900 00:00:00 GMT",
        "unparseable": "kemarin sore",
        "empty": "",
        "nonsense-fields": "Mon, 99 Foo 20000 99:99:99 +9999",
        "iso-8601": datetime.now(UTC).isoformat(),
        "epoch-number": "1700000000",
        "year-zero": "Sat, 01 Jan 0000 00:00:00 GMT",
        "huge-offset": "Tue, 25 Nov 2025 10:00:00 +2500",
        "markup-in-date": "<b>Selasa</b>",
    }
    for name, moment in moments.items():
        yield case("dates", name, text(rss(item_xml(pub_date=escape(moment)))), "items")


# ----- identities ---------------------------------------------------------------------------


def identities() -> Iterator[HostileFeed]:
    twice = item_xml("Banjir pertama", guid="urn:sama") + item_xml("Banjir kedua", guid="urn:sama")
    yield case("identity", "duplicate-guid", text(rss(twice)), "items")
    fifty = "".join(item_xml(f"Banjir ke-{n}", guid="urn:sama") for n in range(50))
    yield case("identity", "fifty-same-guid", text(rss(fifty)), "items")
    no_guid = item_xml("Satu", guid=None) + item_xml("Dua", guid=None)
    yield case("identity", "same-link-no-guid", text(rss(no_guid)), "items")
    bare = item_xml("Banjir tanpa tautan", guid=None, link=None)
    yield case("identity", "no-guid-no-link", text(rss(bare + bare)), "items")
    yield case("identity", "empty-guid", text(rss(item_xml(guid=""))), "items")
    yield case("identity", "whitespace-guid", text(rss(item_xml(guid="   "))), "items")
    yield case("identity", "guid-10k", text(rss(item_xml(guid="urn:" + "g" * 10_000))), "items")
    yield case(
        "identity", "guid-markup", text(rss(item_xml(guid=escape("<script>x</script>")))), "items"
    )


# ----- links --------------------------------------------------------------------------------


def links() -> Iterator[HostileFeed]:
    for name, link in {
        "missing": None,
        "empty": "",
        "javascript": "javascript:alert(1)",
        "data": "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;",
        "relative": "/berita/1",
        "quotes-and-markup": escape('https://a.example/"><script>alert(1)</script>'),
        "spaces": "https://a.example/berita banjir serang",
        "very-long": "https://a.example/" + "a" * 10_000,
        "mailto": "mailto:redaksi@berita.example",
        "ftp": "ftp://berita.example/1",
        "control-characters": "https://a.example/&#8238;evil",
    }.items():
        yield case("links", name, text(rss(item_xml(link=link))), "items")


# ----- titles -------------------------------------------------------------------------------

HOSTILE_TITLES = {
    "script-escaped": escape("<script>alert('banjir')</script> Banjir Serang"),
    "script-cdata": "<![CDATA[<script>alert(1)</script>Banjir <b>Serang</b>]]>",
    "markup": escape("<b>Banjir</b> <i>Serang</i> <a href='x'>klik</a>"),
    "double-escaped": escape(escape("<b>Banjir</b> &amp; longsor")),
    "ampersands": escape("Banjir & longsor && gempa &nbsp &#xZZ;"),
    "title-100k": "Banjir " + "panjang " * 12_500,
    "emoji-10k": "Banjir " + "🌊" * 10_000,
    "rtl-override": "Banjir \u202egnareS\u202c di kota",
    "bidi-isolates": "Banjir \u2067\u05e9\u05dc\u05d5\u05dd\u2069 Serang",
    "zero-width": "Ban\u200bjir\u200d Se\u200crang\ufeff",
    "zalgo": "Banjir " + "S" + "\u0301\u0302\u0303\u0304" * 500 + "erang",
    "char-references": "Banjir &#1;&#8;&#11;&#31; Serang",
    "raw-control-bytes": "Banjir \x01\x02\x1b[31m Serang",
    "newlines": "Banjir\n\n\nSerang\r\nhari ini",
    "only-whitespace": "   \n\t  ",
    "lone-ampersand": "Banjir & Serang",
    "emoji-zwj": "Banjir 👨‍👩‍👧‍👦 🏳️‍🌈 Serang",
    "html-comment": escape("Banjir <!-- komentar --> Serang"),
    "entities-named": "Banjir &lt;Serang&gt; &amp;amp; &quot;kota&quot;",
    "nul-reference": "Banjir &#0; Serang",
}


def titles() -> Iterator[HostileFeed]:
    for name, title in HOSTILE_TITLES.items():
        # Raw control bytes make the XML invalid: feedparser's lenient parser may or may not cope.
        expect: Expectation = "either" if name == "raw-control-bytes" else "items"
        yield case("titles", f"rss-{name}", text(rss(item_xml(title))), expect)
        yield case("titles", f"atom-{name}", text(atom(title), content_type=ATOM), expect)
        long_description = item_xml("Banjir Serang", description=title * 3)
        yield case("titles", f"description-{name}", text(rss(long_description)), expect)
    yield case(
        "titles",
        "no-title-no-description",
        text(rss("<item><link>https://a.example/1</link></item>")),
        "empty",
    )
    no_title = "<item><description>Banjir merendam Serang</description><guid>urn:x</guid></item>"
    yield case("titles", "description-only", text(rss(no_title)), "items")


def corpus(server_url: str) -> list[HostileFeed]:
    """Every case, families in a fixed order."""
    return [
        *encodings(),
        *entity_bombs(server_url),
        *bombs(),
        *redirects(),
        *slow(),
        *statuses(),
        *not_feeds(),
        *dates(),
        *identities(),
        *links(),
        *titles(),
    ]


HEALTHY_HEADLINES = (
    "Banjir rendam tiga desa di Serang, warga mengungsi ke masjid",
    "BPBD Lebak kirim perahu karet untuk korban banjir Cibeber",
    "Tanggul Sungai Ciujung jebol, banjir meluas ke Kragilan",
    "Gubernur tinjau dapur umum korban banjir di Pandeglang",
    "Jalan tol Tangerang-Merak tergenang banjir setinggi lutut",
    "Sekolah di Cilegon diliburkan akibat banjir kiriman",
    "Petani Kasemen gagal panen setelah sawah terendam banjir",
    "Relawan bagikan air bersih kepada warga terdampak banjir Pontang",
)


def healthy_item(number: int) -> FeedItem:
    """News from the one well-behaved feed: a different story each time."""
    return FeedItem(
        title=HEALTHY_HEADLINES[number % len(HEALTHY_HEADLINES)],
        link=f"https://berita.example/sehat/{number}",
        guid=f"urn:sehat:{number}",
        description="<p>Air setinggi lutut merendam permukiman.</p>",
        published=datetime.now(UTC),
    )
