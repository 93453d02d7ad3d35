"""Pre-scan: find a feed document's entries and their identities without feedparser.

feedparser takes tens of milliseconds for a 50-entry document however few of its entries are
new. This scan reads the same bytes feedparser's strict parser would read (after feedparser's
own character-set conversion) with the standard library's expat, finds each entry's byte range
and, where it can be sure, the identity parse.py would give that entry. The poller then hands
feedparser only the entries it does not know, cut out of the document with its header intact.

The scan never guesses: an entry whose identity it cannot derive exactly as feedparser would
(no guid or link, markup inside them, non-ASCII text, unusual nesting) has no identity and is
always parsed; a document it cannot read at all (ill-formed, a DOCTYPE, xml:base, an
unexpected shape or encoding trouble) gives no scan, and the whole document is parsed as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import NonXMLContentType
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri

from bot.feeds.parse import MAX_IDENTITY

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_ABOUT = f"{_RDF_NS} about".lower()
# feedparser's names for namespaces: those mapped to "" are read as plain RSS or Atom.
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_ROOTS = {"rss": ("rss", "channel"), "feed": ("feed",), "rdf:rdf": ("rdf:rdf",)}
_ENTRY = frozenset({"item", "entry"})
_IDENTIFYING = frozenset({"guid", "id", "link"})
# Names feedparser would act on if an unknown namespace made them look unprefixed.
_SENSITIVE = _ENTRY | _IDENTIFYING | {"rss", "feed", "channel", "source", "image", "textinput"}
# feedparser's fix for query strings mangled into entity references, applied to links.
_MANGLED_QUERY = re.compile("&([A-Za-z0-9_]+);")


class _Unreadable(Exception):
    """The document is not one the scan can read exactly as feedparser would."""


@dataclass(frozen=True, slots=True)
class ScannedEntry:
    """One entry: its byte range in the document and its identity, when certain."""

    identity: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ScannedFeed:
    """A document as feedparser's strict parser reads it (UTF-8) and the entries in it."""

    document: bytes
    headers: dict[str, str]
    entries: tuple[ScannedEntry, ...]

    def identities(self) -> list[str]:
        """The identities the scan is sure of."""
        return [e.identity for e in self.entries if e.identity is not None]

    def without(self, known: set[str]) -> bytes | None:
        """The document with the known entries cut out; None when every entry is known."""
        cut = [e for e in self.entries if e.identity is not None and e.identity in known]
        if len(cut) == len(self.entries):
            return None
        pieces, position = [], 0
        for entry in cut:
            pieces.append(self.document[position : entry.start])
            position = entry.end
        pieces.append(self.document[position:])
        return b"".join(pieces)


def scan_feed(body: bytes, headers: dict[str, str]) -> ScannedFeed | None:
    """The feed's entries and identities, or None when only feedparser can read it."""
    lowered = {key.lower(): value for key, value in headers.items()}
    result: dict[str, object] = {}
    document: bytes = convert_to_utf8(lowered, body, result)
    problem = result.get("bozo_exception")
    if not result.get("encoding") or (problem and not isinstance(problem, NonXMLContentType)):
        return None
    scanner = _Scanner(document, _base_uri(lowered))
    try:
        entries = scanner.run()
    except (_Unreadable, expat.ExpatError):
        return None
    media_type = lowered.get("content-type", "").split(";")[0].strip() or "application/xml"
    # The document is UTF-8 now, whatever charset the server named.
    return ScannedFeed(
        document, {**lowered, "content-type": f"{media_type}; charset=utf-8"}, entries
    )


def _base_uri(headers: dict[str, str]) -> str:
    """The base feedparser resolves relative guids and links against."""
    location = headers.get("content-location", "")
    return str(make_safe_absolute_uri("", location) or make_safe_absolute_uri(location) or "")


@dataclass(slots=True)
class _Child:
    """A guid, id or link element directly inside an entry."""

    name: str
    permalink: bool
    attributes: int
    text: list[str] = field(default_factory=list)
    nested: bool = False


@dataclass(slots=True)
class _OpenEntry:
    """An entry being read."""

    start: int
    depth: int
    about: str | None
    base: str
    children: list[_Child] = field(default_factory=list)
    unsure: bool = False


class _Scanner:
    """Expat handlers that collect entries; one document per scanner."""

    def __init__(self, document: bytes, base: str) -> None:
        self._document = document
        self._bases = [base]
        self._path: list[str] = []
        self._entry: _OpenEntry | None = None
        self._child: _Child | None = None
        self._entries: list[ScannedEntry] = []
        self._root: tuple[str, ...] | None = None
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.buffer_text = True
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.CharacterDataHandler = self._text
        # feedparser rewrites a DOCTYPE and its entities before parsing: leave those to it.
        self._parser.StartDoctypeDeclHandler = self._refuse

    def run(self) -> tuple[ScannedEntry, ...]:
        """Parse the whole document."""
        self._parser.Parse(self._document, True)
        return tuple(self._entries)

    def _refuse(self, *_: object) -> None:
        raise _Unreadable

    def _start(self, qualified: str, attributes: dict[str, str]) -> None:
        name = _feedparser_name(qualified)
        if any(key in (f"{_XML_NS} base", "base") for key in attributes):
            raise _Unreadable  # relative identities would follow xml:base: leave it to feedparser
        base = self._bases[-1]
        if base:
            # feedparser re-resolves its base at every element.
            base = str(make_safe_absolute_uri(base, base) or base)
        self._bases.append(base)
        if not self._path:
            self._root = _ROOTS.get(name)
            if self._root is None:
                raise _Unreadable
        elif name in _ENTRY:
            self._open_entry(attributes, base)
        elif self._entry is not None:
            self._inside_entry(name, attributes)
        self._path.append(name)

    def _open_entry(self, attributes: dict[str, str], base: str) -> None:
        if self._entry is not None or tuple(self._path) != self._root:
            raise _Unreadable  # an entry where feedparser would read it differently
        about = [v for k, v in attributes.items() if k.lower() == _RDF_ABOUT]
        start = self._parser.CurrentByteIndex
        self._entry = _OpenEntry(start, len(self._path), next(iter(about), None), base)
        # feedparser reads an entry's href (and lastmod) attribute as its link.
        self._entry.unsure = any(_local(k).lower() in ("href", "lastmod") for k in attributes)

    def _inside_entry(self, name: str, attributes: dict[str, str]) -> None:
        entry = self._entry
        assert entry is not None
        if self._child is not None:
            self._child.nested = True
        if name not in _IDENTIFYING:
            return
        if len(self._path) != entry.depth + 1:
            entry.unsure = True  # a guid or link nested deeper (in a source, an image)
            return
        flags = [(k, v) for k, v in attributes.items() if _local(k).lower() == "ispermalink"]
        if len(flags) > 1 or any(" " in key for key, _ in flags):
            entry.unsure = True  # feedparser would read a namespaced flag by its own rules
        permalink = not flags or flags[0][1] == "true"
        self._child = _Child(name, permalink, len(attributes))
        entry.children.append(self._child)

    def _text(self, text: str) -> None:
        if self._child is not None:
            self._child.text.append(text)

    def _end(self, qualified: str) -> None:
        self._path.pop()
        self._bases.pop()
        entry = self._entry
        if entry is None:
            return
        if len(self._path) == entry.depth + 1:
            self._child = None
        elif len(self._path) == entry.depth:
            self._entries.append(self._close(entry))
            self._entry = None

    def _close(self, entry: _OpenEntry) -> ScannedEntry:
        at = self._parser.CurrentByteIndex
        if self._document.startswith(b"</", at):
            end = self._document.index(b">", at) + 1
        else:
            end, entry.unsure = at, True  # <item/>: nothing to know it by
        identity = None if entry.unsure else _identity(entry, self._root == _ROOTS["feed"])
        return ScannedEntry(identity, entry.start, end)


def _local(qualified: str) -> str:
    return qualified.rpartition(" ")[2]


def _feedparser_name(qualified: str) -> str:
    """An element's name as feedparser dispatches on it ("link", "dc:creator")."""
    namespace, _, local = qualified.rpartition(" ")
    lowered = namespace.lower()
    if "backend.userland.com/rss" in lowered:
        lowered = "http://backend.userland.com/rss"
    prefix = _PREFIXES.get(lowered)
    if prefix is None:
        if local.lower() in _SENSITIVE:
            raise _Unreadable  # feedparser's handling of unknown namespaces is not ours to guess
        return f"?:{local.lower()}"
    return f"{prefix}:{local}".lower() if prefix else local.lower()


def _identity(entry: _OpenEntry, atom: bool) -> str | None:
    """parse.py's identity for the entry: its guid, else its link; None when not certain."""
    guids = [c for c in entry.children if c.name in ("guid", "id")]
    links = [c for c in entry.children if c.name == "link"]
    if len(guids) > 1 or len(links) > 1 or any(c.nested for c in entry.children):
        return None
    value: str | None = None
    if guids:
        guid = guids[0]
        text = "".join(guid.text).strip()
        value = str(_urljoin(entry.base, text)) if text and guid.permalink else text
    elif entry.about is not None:
        value = entry.about
    elif links and not atom and not links[0].attributes:
        text = "".join(links[0].text).strip()
        link = str(_urljoin(entry.base, text)) if text else ""
        value = _MANGLED_QUERY.sub(r"&\g<1>", link.replace("&amp;", "&"))
    identity = (value or "").strip()[:MAX_IDENTITY]
    # Non-ASCII text goes through feedparser's mojibake repairs: leave it to feedparser.
    return identity if identity and identity.isascii() else None
