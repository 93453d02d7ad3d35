"""OPML 2.0 feed lists in and out, with each feed's region.

A feed is `<outline type="rss" text="name" title="name" xmlUrl="url" category="region"
warta:region="region"/>`. `category` is OPML's own attribute, so other readers keep the region
as a tag; `warta:region` carries it exactly (a region may contain a comma, which `category`
would split). On import the region is `warta:region`, else the first `category` tag, else the
text of the folder outline the feed sits in. `warta:fullText="always|never"` says whether each
item's article page is fetched for matching (absent: "auto", when the feed sends teasers only).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from bot.feeds.feedlist import region_name
from storage.models import FeedSeed, FullTextMode

WARTA_NS = "https://github.com/warta-bot/warta/opml"
REGION = f"{{{WARTA_NS}}}region"
FULL_TEXT = f"{{{WARTA_NS}}}fullText"
# Real feed lists nest folders two or three deep; far deeper is a hostile or broken file.
MAX_DEPTH = 32


class OpmlError(ValueError):
    """The document is not OPML Warta can read; the message says why."""


def feeds_to_opml(feeds: Sequence[FeedSeed], title: str, now: datetime | None = None) -> bytes:
    """An OPML 2.0 document listing the feeds."""
    root = ET.Element("opml", {"version": "2.0", "xmlns:warta": WARTA_NS})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC), usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.region:
            # Written with its prefix as-is: the namespace is declared on the root above.
            attributes.update({"category": feed.region, "warta:region": feed.region})
        if feed.full_text is not FullTextMode.AUTO:
            attributes["warta:fullText"] = feed.full_text.value
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def feeds_from_opml(document: bytes) -> list[FeedSeed]:
    """The feeds of an OPML document, once each, in document order."""
    try:
        root = SafeET.fromstring(document, forbid_dtd=True)
    except ET.ParseError as error:
        raise OpmlError(f"not valid OPML: {error}") from None
    except DefusedXmlException:
        # Its repr names defusedxml's internals; the operator needs what to change in the file.
        raise OpmlError(
            "not OPML Warta reads: it declares a DTD (<!DOCTYPE ...>), which is refused for "
            "safety; remove that declaration"
        ) from None
    body = root.find("body") if root.tag == "opml" else None
    if body is None:
        raise OpmlError("not OPML: no <opml> element with a <body>")
    seeds: dict[str, FeedSeed] = {}
    _collect(body, seeds)
    return list(seeds.values())


def _collect(body: ET.Element, seeds: dict[str, FeedSeed]) -> None:
    """Every feed outline under body, in document order, with the folder it sits in."""
    # An explicit stack, not recursion: the depth check must come before Python's own limit.
    stack = [(outline, "", 1) for outline in reversed(body.findall("outline"))]
    while stack:
        outline, folder, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise OpmlError(f"not OPML Warta can read: outlines nested over {MAX_DEPTH} deep")
        url = (outline.get("xmlUrl") or "").strip()
        label = (outline.get("text") or outline.get("title") or "").strip()
        if not url:  # a folder
            children = reversed(outline.findall("outline"))
            stack.extend((child, label or folder, depth + 1) for child in children)
        elif urlsplit(url).scheme in {"http", "https"}:
            name = label or urlsplit(url).netloc
            region = region_name(_region(outline, folder))
            seeds.setdefault(url, FeedSeed(url, name, region, _full_text(outline)))


def _region(outline: ET.Element, folder: str) -> str:
    exact = outline.get(REGION)
    if exact is not None:
        return exact.strip()
    category = (outline.get("category") or "").split(",")[0].strip().strip("/")
    return category or folder


def _full_text(outline: ET.Element) -> FullTextMode:
    """The outline's full-text mode; an unknown value counts as absent ("auto")."""
    try:
        return FullTextMode((outline.get(FULL_TEXT) or "auto").strip().lower())
    except ValueError:
        return FullTextMode.AUTO
