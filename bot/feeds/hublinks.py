"""Where a feed names its WebSub hub: its Link header, or a link element in its document's head.

A stranger's document is read here, so each byte is read a bounded number of times: a hostile
head costs as much as its length, never its square (patterns that backtracked over a 62 KB name,
or a Link header of 90,000 `<`, took minutes). Only the head (HEAD_BYTES) and the start of the
Link header (LINK_HEADER_CHARS) are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin

# The hub and self links sit in the feed's head, before the first item: no need to read further.
HEAD_BYTES = 64 * 1024
# A feed's Link header names a few links; past this length it is not read (a hostile server's).
LINK_HEADER_CHARS = 8 * 1024
_TAG_NAME = re.compile(rb"[A-Za-z0-9_:.-]{1,80}")  # an element's name with its prefix
_ATTRIBUTE_NAME = re.compile(rb"[^\s=\"'/>]+")
_EQUALS = re.compile(rb"\s*+=\s*+")
_UNQUOTED = re.compile(rb"[^\s>]*")
_SKIPPED = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))
_QUOTE_OR_COMMA = re.compile(r'[",]')


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
