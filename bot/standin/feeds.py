"""A loopback news-feed server: RSS/Atom documents, hostile bodies, redirects and slow links."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Final, Literal, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from .served import Served

FeedKind = Literal["rss", "atom"]

RSS_TYPE: Final = "application/rss+xml; charset=utf-8"
ATOM_TYPE: Final = "application/atom+xml; charset=utf-8"
HTML_TYPE: Final = "text/html; charset=utf-8"
TRICKLE_TICK: Final = 0.05
CLIENT_GONE: Final = 0
# Characters XML 1.0 cannot carry at all, even escaped.
XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedItem:
    """One news item; description and content_html are HTML fragments."""

    title: str
    link: str
    description: str = ""
    guid: str | None = None
    published: datetime | None = None
    content_html: str | None = None
    categories: tuple[str, ...] = ()


class FeedRequest(NamedTuple):
    """One request; status 0 means the client went away before the response was complete."""

    path: str
    method: str
    headers: Mapping[str, str]
    status: int


@dataclass
class _Feed:
    """A published feed: its items are kept so add_item can re-render."""

    kind: FeedKind
    title: str
    items: list[FeedItem]


@dataclass
class _Document:
    """What a path serves."""

    body: bytes
    status: int = 200
    content_type: str = RSS_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: float = 0.0
    feed: _Feed | None = None
    delay: float = 0.0
    bytes_per_second: float | None = None
    cut_off_after: int | None = None

    @property
    def etag(self) -> str:
        """Strong validator derived from the body."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


def _xml_text(value: str) -> str:
    """Escape text for an XML element."""
    return escape(XML_INVALID.sub("", value))


def _xml_attr(value: str) -> str:
    """Escape and quote text for an XML attribute."""
    return quoteattr(XML_INVALID.sub("", value))


def _utc(moment: datetime) -> datetime:
    """Treat naive datetimes as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rfc822(moment: datetime) -> str:
    """RSS / HTTP date format."""
    return format_datetime(_utc(moment).astimezone(UTC), usegmt=True)


def _rfc3339(moment: datetime) -> str:
    """Atom date format."""
    return _utc(moment).isoformat()


def _rss_item(item: FeedItem) -> str:
    """One <item> element."""
    parts = [f"<title>{_xml_text(item.title)}</title>", f"<link>{_xml_text(item.link)}</link>"]
    parts.append(f"<description>{_xml_text(item.description)}</description>")
    guid = item.guid or item.link
    permalink = "true" if guid == item.link else "false"
    parts.append(f"<guid isPermaLink={_xml_attr(permalink)}>{_xml_text(guid)}</guid>")
    if item.published is not None:
        parts.append(f"<pubDate>{_rfc822(item.published)}</pubDate>")
    parts.extend(f"<category>{_xml_text(c)}</category>" for c in item.categories)
    if item.content_html is not None:
        parts.append(f"<content:encoded>{_xml_text(item.content_html)}</content:encoded>")
    return "<item>" + "".join(parts) + "</item>"


def render_rss(title: str, link: str, items: Sequence[FeedItem], built: datetime) -> bytes:
    """A valid RSS 2.0 document."""
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{_xml_text(title)}</title><link>{_xml_text(link)}</link>"
        f"<description>{_xml_text(title)}</description><language>id</language>"
        f"<lastBuildDate>{_rfc822(built)}</lastBuildDate>"
    )
    return (head + "".join(_rss_item(i) for i in items) + "</channel></rss>\n").encode()


def _atom_entry(item: FeedItem, updated: datetime) -> str:
    """One <entry> element."""
    stamp = _rfc3339(item.published or updated)
    parts = [
        f'<title type="text">{_xml_text(item.title)}</title>',
        f"<id>{_xml_text(item.guid or item.link)}</id>",
        f'<link rel="alternate" href={_xml_attr(item.link)}/>',
        f"<updated>{stamp}</updated>",
    ]
    if item.published is not None:
        parts.append(f"<published>{stamp}</published>")
    parts.extend(f"<category term={_xml_attr(c)}/>" for c in item.categories)
    parts.append(f'<summary type="html">{_xml_text(item.description)}</summary>')
    if item.content_html is not None:
        parts.append(f'<content type="html">{_xml_text(item.content_html)}</content>')
    return "<entry>" + "".join(parts) + "</entry>"


def render_atom(title: str, link: str, items: Sequence[FeedItem], built: datetime) -> bytes:
    """A valid Atom 1.0 document."""
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title type="text">{_xml_text(title)}</title><id>{_xml_text(link)}</id>'
        f'<link rel="self" href={_xml_attr(link)}/><updated>{_rfc3339(built)}</updated>'
        "<author><name>Warta Test</name></author>"
    )
    entries = "".join(_atom_entry(i, built) for i in items)
    return (head + entries + "</feed>\n").encode()


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses weak comparison (RFC 9110 13.1.2)."""
    if header.strip() == "*":
        return True
    candidates = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in candidates


def _not_modified_since(header: str, last_modified: float) -> bool:
    """Whether If-Modified-Since is at or after the document's last change."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return math.floor(last_modified) <= _utc(since).timestamp()


class FeedServer(Served):
    """Serves feeds and pages on 127.0.0.1 (or another loopback address), recording requests."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[FeedRequest] = []
        self._documents: dict[str, _Document] = {}
        self._conditional = True
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._changed = asyncio.Event()
        self._sticky_headers: dict[str, dict[str, str]] = {}
        self.in_flight = 0  # requests being answered now
        self.most_in_flight = 0  # the most ever answered at once
        self._holds: dict[str, asyncio.Event] = {}  # paths answered only once released
        self._held: dict[str, int] = {}  # requests waiting at each hold

    async def start(self) -> None:
        """Listen on a random loopback port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # Cancelling handlers whose client went away keeps slow responses from stalling stop().
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        await web.TCPSite(runner, self.host, 0).start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        if not self._port:
            raise RuntimeError("FeedServer is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + self._normalise(path)

    # ----- content ---------------------------------------------------------------------------

    def publish(
        self,
        path: str,
        items: Sequence[FeedItem],
        *,
        kind: FeedKind = "rss",
        title: str = "Warta Test Feed",
    ) -> None:
        """Serve a feed of items (newest first) at path."""
        feed = _Feed(kind, title, list(items))
        current = self._documents.get(self._normalise(path))
        if current is not None and current.feed == feed:
            # Re-publishing the same items must not change the ETag (lastBuildDate would).
            return
        self._put(path, self._render(path, feed), feed=feed)

    def add_item(self, path: str, item: FeedItem) -> None:
        """Prepend item to the feed at path (publishing an empty RSS feed first if needed)."""
        document = self._documents.get(self._normalise(path))
        feed = document.feed if document and document.feed else _Feed("rss", "Warta Test Feed", [])
        feed.items.insert(0, item)
        self._put(path, self._render(path, feed), feed=feed)

    def set_raw(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = RSS_TYPE,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Serve body verbatim (for malformed or hostile documents)."""
        self._put(path, body, status=status, content_type=content_type, headers=headers)

    def set_html(self, path: str, html: str) -> None:
        """Serve an HTML page."""
        self._put(path, html.encode(), content_type=HTML_TYPE)

    def set_redirect(self, path: str, target: str, status: int = 302) -> None:
        """Redirect path to target (a path on this server or any URL)."""
        headers = {"Location": target}
        self._put(path, b"", status=status, content_type="text/plain", headers=headers)

    def set_delay(self, path: str, seconds: float) -> None:
        """Wait this long before answering path."""
        self._document(path).delay = seconds

    def hold(self, path: str) -> None:
        """Keep path's requests waiting, unanswered, until `release(path)`."""
        self._holds[self._normalise(path)] = asyncio.Event()

    def release(self, path: str) -> None:
        """Answer path's held requests, and the later ones at once."""
        hold = self._holds.pop(self._normalise(path), None)
        if hold is not None:
            hold.set()

    def held(self, path: str) -> int:
        """How many requests for path are waiting at its hold now."""
        return self._held.get(self._normalise(path), 0)

    def set_trickle(self, path: str, bytes_per_second: float | None) -> None:
        """Stream path's body at this rate (None: all at once)."""
        self._document(path).bytes_per_second = bytes_per_second

    def set_cut_off(self, path: str, after_bytes: int | None) -> None:
        """Declare path's full Content-Length but drop the connection after this many bytes."""
        self._document(path).cut_off_after = after_bytes

    def set_headers(self, path: str, headers: Mapping[str, str]) -> None:
        """Send these headers with path's answers (Cache-Control, say), whatever it serves."""
        self._sticky_headers[self._normalise(path)] = dict(headers)

    def remove(self, path: str) -> None:
        """Make path answer 404 again."""
        self._documents.pop(self._normalise(path), None)

    def conditional_get(self, enabled: bool) -> None:
        """Honour (True) or ignore (False) If-None-Match / If-Modified-Since."""
        self._conditional = enabled

    def etag(self, path: str) -> str:
        """Current ETag of path."""
        return self._document(path).etag

    # ----- observation -----------------------------------------------------------------------

    def hits(self, path: str) -> int:
        """How many requests path received."""
        path = self._normalise(path)
        return sum(1 for request in self.requests if request.path == path)

    async def wait_until_held(self, path: str, count: int = 1, timeout: float = 30.0) -> None:
        """Wait until at least count requests for path wait at its hold."""
        async with asyncio.timeout(timeout):
            while self.held(path) < count:
                await self._changed.wait()

    async def wait_for_hits(self, path: str, count: int, timeout: float = 30.0) -> None:
        """Wait until path has received at least count requests."""
        try:
            async with asyncio.timeout(timeout):
                while self.hits(path) < count:
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"{path} got {self.hits(path)} hits, expected {count} within {timeout}s"
            ) from None

    # ----- internals -------------------------------------------------------------------------

    @staticmethod
    def _normalise(path: str) -> str:
        """Paths are stored with a leading slash."""
        return path if path.startswith("/") else "/" + path

    def _document(self, path: str) -> _Document:
        """The document at path, which must exist."""
        try:
            return self._documents[self._normalise(path)]
        except KeyError:
            raise KeyError(f"nothing is served at {path}") from None

    def _render(self, path: str, feed: _Feed) -> bytes:
        """Feed XML for its current items."""
        built = datetime.now(UTC).replace(microsecond=0)
        render = render_rss if feed.kind == "rss" else render_atom
        link = self.url(path) if self._port else self._normalise(path)
        return render(feed.title, link, feed.items, built)

    def _put(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        feed: _Feed | None = None,
    ) -> None:
        """Replace what path serves, keeping its delay and trickle settings."""
        key = self._normalise(path)
        old = self._documents.get(key)
        if content_type is None:
            content_type = ATOM_TYPE if feed and feed.kind == "atom" else RSS_TYPE
        document = _Document(body, status, content_type, dict(headers or {}), feed=feed)
        document.last_modified = self._next_modified(old, body)
        if old is not None:
            document.delay, document.bytes_per_second = old.delay, old.bytes_per_second
            document.cut_off_after = old.cut_off_after
        self._documents[key] = document

    @staticmethod
    def _next_modified(old: _Document | None, body: bytes) -> float:
        """Change time; moved past the previous second so If-Modified-Since sees every change."""
        now = time.time()
        if old is None:
            return now
        if old.body == body:
            return old.last_modified
        return max(now, math.floor(old.last_modified) + 1.0)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Serve whatever is configured at the request path."""
        document = self._documents.get(request.path)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if document is not None and document.delay:
                await asyncio.sleep(document.delay)
            if (hold := self._holds.get(request.path)) is not None:
                await self._wait_at(request.path, hold)
            response = await self._respond(request, document)
        except asyncio.CancelledError:
            self._record(request, CLIENT_GONE)
            raise
        finally:
            self.in_flight -= 1
        self._record(request, response.status)
        return response

    async def _wait_at(self, path: str, hold: asyncio.Event) -> None:
        self._held[path] = self._held.get(path, 0) + 1
        self._wake()
        try:
            await hold.wait()
        finally:
            self._held[path] -= 1

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _record(self, request: web.Request, status: int) -> None:
        """Log a request and wake wait_for_hits."""
        self.requests.append(FeedRequest(request.path, request.method, request.headers, status))
        self._wake()

    async def _respond(
        self, request: web.Request, document: _Document | None
    ) -> web.StreamResponse:
        """Build the response for a document (404 when there is none)."""
        if document is None:
            return web.Response(status=404, text="Not Found")
        headers = self._validators(document)
        headers.update(document.headers)
        headers.update(self._sticky_headers.get(request.path, {}))
        if document.status == 200 and self._is_fresh(request, document):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = document.content_type
        if document.cut_off_after is not None and request.method != "HEAD":
            return await self._cut_off(request, document, headers, document.cut_off_after)
        if document.bytes_per_second and request.method != "HEAD":
            return await self._trickle(request, document, headers)
        # aiohttp sends headers only for HEAD, with the Content-Length of the full body.
        return web.Response(status=document.status, body=document.body, headers=headers)

    def _validators(self, document: _Document) -> dict[str, str]:
        """ETag and Last-Modified headers of a successful document."""
        if document.status != 200:
            return {}
        modified = datetime.fromtimestamp(math.floor(document.last_modified), UTC)
        return {"ETag": document.etag, "Last-Modified": _rfc822(modified)}

    def _is_fresh(self, request: web.Request, document: _Document) -> bool:
        """Conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
        if not self._conditional or request.method not in ("GET", "HEAD"):
            return False
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            return _etag_matches(if_none_match, document.etag)
        if_modified_since = request.headers.get("If-Modified-Since")
        if if_modified_since is not None:
            return _not_modified_since(if_modified_since, document.last_modified)
        return False

    async def _cut_off(
        self, request: web.Request, document: _Document, headers: dict[str, str], sent: int
    ) -> web.StreamResponse:
        """Promise the whole body, send only its first bytes, then drop the connection."""
        response = web.StreamResponse(status=document.status, headers=headers)
        response.content_length = len(document.body)
        await response.prepare(request)
        await response.write(document.body[:sent])
        if request.transport is not None:
            request.transport.close()
        return response

    async def _trickle(
        self, request: web.Request, document: _Document, headers: dict[str, str]
    ) -> web.StreamResponse:
        """Send the body a few bytes at a time at the configured rate."""
        response = web.StreamResponse(status=document.status, headers=headers)
        response.content_length = len(document.body)
        await response.prepare(request)
        rate = document.bytes_per_second or 1.0
        chunk = max(1, int(rate * TRICKLE_TICK))
        for start in range(0, len(document.body), chunk):
            await response.write(document.body[start : start + chunk])
            # Pacing is the point of a trickle: the client must see a slow link.
            await asyncio.sleep(chunk / rate)
        await response.write_eof()
        return response
