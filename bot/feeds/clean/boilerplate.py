"""Turn feed HTML into plain text fit for matching and display."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

SUMMARY_LIMIT: Final = 300
ELLIPSIS: Final = "…"

# Tags that start a new line of text.
_BLOCK_TAGS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_CELL_TAGS: Final = frozenset({"td", "th"})
# Their content is code, embeds or fallbacks, never article text.
_SKIPPED_TAGS: Final = frozenset({"script", "style", "iframe", "noscript", "template", "svg"})

_BLOCK_MARKUP_RE: Final = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|table|blockquote|section|article|pre|hr)\b", re.I
)
# Markup that survived one round of decoding: the feed escaped its HTML twice.
_ESCAPED_MARKUP_RE: Final = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|em|strong|img|li|ul|ol|h[1-6]|script|style|iframe|figure"
    r"|figcaption|blockquote|table|tr|td)\b[^<>]*>",
    re.I,
)
# A "<" that no ">" closes before the next "<" cannot open a tag. Escaping it keeps it as
# text and spares html.parser a rescan of the rest of the input for every such "<".
_STRAY_LT_RE: Final = re.compile(r"<(?=[^<>]*(?:<|\Z))")
_LINE_BREAK_RE: Final = re.compile("\r\n?|[\u2028\u2029\x85]")
_CONTROL_RE: Final = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
# Zero-width and direction marks: invisible, and they split words for matching.
_INVISIBLE_RE: Final = re.compile(
    "[\u00ad\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
# A zero-width joiner glues emoji sequences together; next to a letter it is noise.
_LOOSE_JOINER_RE: Final = re.compile(r"\u200d(?=\w)|(?<=\w)\u200d")


@dataclass(frozen=True, slots=True)
class _Listing:
    """How many lines after a bare heading ("Baca juga", "Tags") belong to its list."""

    max_chars: int
    max_lines: int


_RELATED_LISTING: Final = _Listing(max_chars=160, max_lines=5)
_TAG_LISTING: Final = _Listing(max_chars=60, max_lines=15)

# A cut marker is only trusted after a sentence end (or at a line start), so that ordinary
# sentences merely containing such words are kept.
_AFTER_SENTENCE: Final = r"(?:^|(?<=[.!?…\"”\u2019)\]] ))"

_RELATED_HEADING_RE: Final = re.compile(
    r"(?:(?:baca|simak|lihat|tonton)\s+(?:juga|pula)|(?:artikel|berita)\s+(?:terkait|lainnya)"
    r"(?:\s+lainnya)?|pilihan\s+editor)\s*[:.»\u203a>-]*",
    re.I,
)
_TAG_HEADING_RE: Final = re.compile(r"(?:tags?|topik(?:\s+terkait)?|kata\s+kunci)\s*:?", re.I)

_CUT_MARKER_RES: Final = (
    # Related-article markers with a colon are unambiguous wherever they appear.
    re.compile(
        r"\b(?:(?:baca|simak|lihat|tonton)\s+(?:juga|pula)|(?:artikel|berita)\s+terkait"
        r"|pilihan\s+editor)\s*:",
        re.I,
    ),
    re.compile(r"\b(?:BACA|SIMAK|LIHAT|TONTON) JUGA\b"),
    re.compile(
        r"^(?:(?:baca|simak|lihat|tonton)\s+(?:juga|pula)\b|simak\s+video\b|baca\s*:"
        r"|(?:artikel|berita)\s+terkait\b|baca\s+(?:selengkapnya|berita|artikel)\b"
        r"|(?:halaman|laman)\s+(?:selanjutnya|berikutnya|sebelumnya)\b)",
        re.I,
    ),
    re.compile(
        _AFTER_SENTENCE + r"(?:(?:Baca|Simak|Lihat|Tonton) Juga\b|Simak Video\b|Baca\s*:"
        r"|Baca [Ss]elengkapnya\b|(?:Artikel|Berita) [Tt]erkait\b"
        r"|Halaman (?:selanjutnya|berikutnya)\b|Halaman\s*:?\s*\d+(?:\s+\d+)*\s*$"
        r"|(?:Tags?|TAGS?|Topik|Kata [Kk]unci)\s*:"
        r"|(?:Pewarta|Editor|Penulis|Reporter|Penyunting|Redaktur)\s*:)"
    ),
    # A source credit closing a paragraph; on a line of its own it only goes at the end.
    re.compile(r"(?<=[.!?…\"”\u2019)\]] )Sumber\s*:.{0,80}$"),
    re.compile(
        _AFTER_SENTENCE + r"(?:ikuti\s+(?:berita|kami|akun|saluran|channel|kanal|update"
        r"|info(?:rmasi)?|terus|perkembangan)\b.{0,120}?\b(?:google\s+news|whatsapp|telegram"
        r"|instagram|twitter|facebook|tiktok|youtube|saluran|channel|kanal)\b"
        r"|dapatkan\s+(?:update|berita|info(?:rmasi)?|notifikasi|artikel)\b.{0,120}?\b(?:telegram"
        r"|whatsapp|google\s+news|channel|saluran|aplikasi|newsletter)\b"
        r"|(?:gabung|bergabung|join)\b.{0,120}?\b(?:telegram|whatsapp|google\s+news)\b"
        r"|(?:download|unduh)\s+(?:aplikasi|app)\b|klik\s+(?:di\s*sini|link|tautan)\b)",
        re.I,
    ),
)

_JUNK_LINE_RES: Final = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        # pagination
        r"(?:halaman|hal\.?)\s*:?\s*\d+(?:(?:\s*(?:,|/|dari)\s*|\s+)\d+)*"
        r"(?:\s*(?:selanjutnya|berikutnya))?\s*[»\u203a>]*",
        r"\d+(?:\s+\d+)+(?:\s*(?:selanjutnya|berikutnya))?\s*[»\u203a>]*",
        r"[«\u2039<]*\s*(?:selanjutnya|berikutnya|sebelumnya|next|prev)\s*[»\u203a>]*",
        # share and follow prompts, ad slots
        r"(?:bagikan|share)(?:\s*:.*|\s+(?:artikel|berita|ini|this|via|on)\b.*)?",
        r"facebook|twitter|x|whatsapp|telegram|line|linkedin|pinterest|e-?mail"
        r"|copy\s+link|salin\s+(?:tautan|link)",
        r"advertisement|iklan|scroll\s+to\s+(?:continue|resume)\s+(?:with\s+)?content",
        # tag lists
        r"tags?\s*[:\-\u2013—]\s*.*",
        r"(?:topik|kata\s+kunci)(?:\s+terkait)?\s*:.*",
        r"#[\w-]+(?:[\s,]+#[\w-]+)*",
        # credits
        r"(?:pewarta|editor|penulis|reporter|penyunting|redaktur|fotografer|kontributor"
        r"|penerjemah|produser|videografer)\s*:.*",
        r"laporan\s+(?:wartawan|reporter|koresponden)\b.*",
        r"(?:copyright|hak\s+cipta)\b.*|©.*",
        r"\(\s*(?:[a-z]{2,6}(?:\s*/\s*[a-z]{2,6})*|\*+)\s*\)",
    )
)
_INLINE_JUNK_RE: Final = re.compile(
    r"\[\s*(?i:gambas):[^\]]*\]|\bADVERTISEMENT\b"
    r"|\bSCROLL TO (?:CONTINUE|RESUME) (?:WITH )?CONTENT\b"
)
# Reporter initials closing an article: "... kata dia. (ant)" or "(dil/idh)".
_TRAILING_CODE_RE: Final = re.compile(
    r"(?<=[.!?\"”\u2019])\s*\((?:[a-z]{2,6}(?:/[a-z]{2,6})*|\*+)\)$"
)
_HEADLINE_END_RE: Final = re.compile(r"[.…:][\"”\u2019)]*$")
_SOURCE_LINE_RE: Final = re.compile(r"(?:sumber|source)\s*:.*", re.I)

_PLACE: Final = r"[A-Z][\w'\u2019.]*(?:\s+[A-Z][\w'\u2019.]*){0,3}"
# Words that open a sentence about a person or body, never a dateline place.
_NOT_A_PLACE: Final = (
    r"(?!(?:Presiden|Wakil|Menteri|Ketua|Gubernur|Bupati|Wali|Kepala|Direktur|Kapolri"
    r"|Kapolda|Kapolres|Panglima|Jaksa|Hakim|Mantan|Sekretaris|Anggota|Pemerintah|Polisi"
    r"|Tim|Warga|Partai|Pak|Bu|Ibu|Bapak|Dr|Prof)\b)"
)
_DATE: Final = (
    r"(?:(?:Senin|Selasa|Rabu|Kamis|Jumat|Jum'at|Sabtu|Minggu)\s*,?\s*)?"
    r"\(?\d{1,2}/\d{1,2}(?:/\d{2,4})?\)?"
)
_OUTLET: Final = (
    r"(?:\(\s*[A-Za-z][\w.]*(?:\s+[A-Z][\w.]*)?\s*\)|[A-Za-z0-9-]+(?:\.[A-Za-z]{2,}){1,2}\b"
    r"|detik\w*|(?i:antara|viva|kumparan))"
)
_DASH: Final = r"(?:-{1,2}|[\u2013—―])"
# The place is kept for matching, the outlet never: in "Jakarta, CNN Indonesia --" the second
# name is the outlet's, as in "KUPANG, POS-KUPANG.COM -".
_DATELINE_RE: Final = re.compile(
    rf"(?:(?:(?P<place>{_NOT_A_PLACE}{_PLACE})(?=[\s,(])\s*,?\s*(?:{_DATE}\s*)?)?{_OUTLET}"
    rf"(?:\s*,\s*(?P<place_after_outlet>{_PLACE}))?\s*{_DASH}\s*"
    rf"|(?P<place_alone>{_NOT_A_PLACE}{_PLACE})(?:\s*,\s*(?:{_DATE}|{_PLACE}))?\s*{_DASH}\s+)"
)
_PLACE_GROUPS: Final = ("place", "place_after_outlet", "place_alone")
_DATELINE_MAX: Final = 80

_SENTENCE_END_RE: Final = re.compile(r"[.!?…]+[\"”\u2019')\]]*(?=\s+[\"“\u2018'(\[]?[A-Z0-9])")
_LOOKAHEAD_ROOM: Final = 4
_DOTTED_ABBREVIATION_RE: Final = re.compile(r"[A-Za-z]{1,4}(?:\.[A-Za-z]{1,4})+")
_ABBREVIATIONS: Final = frozenset(
    {
        "a.n", "akbp", "aiptu", "bpk", "bripda", "bripka", "briptu", "brigjen", "cm", "cv",
        "dkk", "dll", "dr", "dra", "drg", "drs", "ds", "dsb", "dst", "gg", "hj", "hal", "ipda",
        "iptu", "ir", "irjen", "jend", "jl", "jln", "jr", "kab", "kapt", "kec", "kel", "kg",
        "kh", "km", "kol", "kombes", "komjen", "kompol", "laksda", "laksma", "letjen", "letkol",
        "marsda", "marsma", "mayjen", "mm", "mr", "mrs", "ms", "nn", "no", "ny", "prof", "prov",
        "pt", "rp", "rt", "rw", "sdr", "sdri", "sr", "st", "tbk", "tel", "telp", "tgl", "thn",
        "tn", "ust", "vol", "vs", "yth",
    }
)  # fmt: skip
# Dropped from the end of a cut summary so it does not end on a dangling comma or bracket.
_DANGLING: Final = ",;:-\u2013—([{“\u2018 "
# Room for an outlet name after a repeated title ("… - Kompas.com"), in letters and digits.
_TITLE_SUFFIX_ROOM: Final = 20


@dataclass(frozen=True, slots=True)
class FeedText:
    """A text field of a feed entry: HTML, or plain text that only looks like markup."""

    value: str
    is_html: bool = True

    def text(self) -> str:
        """The visible text: HTML parsed, plain text kept as it is (entities resolved)."""
        return html_to_text(self.value) if self.is_html else plain_to_text(self.value)


class _TextExtractor(HTMLParser):
    """Collects the visible text of a fragment, turning block tags into line breaks."""

    def __init__(self, *, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._keep_newlines = keep_newlines
        self._skip_depth = 0
        self._pieces: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a skipped element or break the line."""
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        else:
            self._separate(tag)

    def handle_endtag(self, tag: str) -> None:
        """Close a skipped element or break the line."""
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        else:
            self._separate(tag)

    def handle_data(self, data: str) -> None:
        """Keep text outside skipped elements."""
        if self._skip_depth:
            return
        # In markup with its own block structure, source newlines are only whitespace.
        self._pieces.append(data if self._keep_newlines else data.replace("\n", " "))

    def unknown_decl(self, data: str) -> None:
        """Keep the text of CDATA sections."""
        if data.startswith("CDATA["):
            self.handle_data(data.removeprefix("CDATA["))

    def text(self) -> str:
        """The text collected so far."""
        return "".join(self._pieces)

    def _separate(self, tag: str) -> None:
        if self._skip_depth:
            return
        if tag in _BLOCK_TAGS:
            self._pieces.append("\n")
        elif tag in _CELL_TAGS:
            self._pieces.append(" ")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: one line per block, entities decoded, spaces collapsed."""
    text = _extract(fragment)
    if _ESCAPED_MARKUP_RE.search(text):
        text = _extract(text)
    elif "&" in text:
        # Feeds often escape twice ("&amp;quot;"); what is left after parsing is one more layer.
        text = html.unescape(text)
    return _normalise(text)


def plain_to_text(text: str) -> str:
    """Plain text, cleaned like html_to_text's output but with nothing taken for a tag."""
    # Entities left in plain text are the feed escaping twice, as in HTML fields.
    return _normalise(html.unescape(text) if "&" in text else text)


def _extract(fragment: str) -> str:
    parser = _TextExtractor(keep_newlines=_BLOCK_MARKUP_RE.search(fragment) is None)
    parser.feed(_STRAY_LT_RE.sub("&lt;", fragment))
    parser.close()
    return parser.text()


def _normalise(text: str) -> str:
    text = _LINE_BREAK_RE.sub("\n", text)
    text = _CONTROL_RE.sub("", _INVISIBLE_RE.sub("", text))
    text = _LOOSE_JOINER_RE.sub("", text)
    # str.split() also splits on NBSP and the other Unicode spaces, normalising them.
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article's text without boilerplate or dateline, and the place the dateline named."""

    text: str
    place: str = ""

    def for_matching(self) -> str:
        """The text with the dateline's place before it: often the story's only mention of it."""
        return f"{self.place}\n{self.text}" if self.place else self.text


def strip_boilerplate(text: str) -> str:
    """Remove related-article, pagination, tag, share and credit lines, and the dateline."""
    return clean_article(text).text


def clean_article(text: str) -> ArticleText:
    """The text without boilerplate and dateline, keeping the dateline's place apart."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line, listing = _clean_line(lines[index])
        index += 1
        if listing is not None:
            index = _skip_listing(lines, index, listing)
        if line:
            kept.append(line)
    place, kept = _split_dateline(kept)
    return ArticleText("\n".join(_strip_trailer(kept)), place)


def _clean_line(line: str) -> tuple[str, _Listing | None]:
    """The line without boilerplate, and the listing a bare heading line announces."""
    line = " ".join(_INLINE_JUNK_RE.sub(" ", line).split())
    if _RELATED_HEADING_RE.fullmatch(line):
        return "", _RELATED_LISTING
    if _TAG_HEADING_RE.fullmatch(line):
        return "", _TAG_LISTING
    if any(pattern.fullmatch(line) for pattern in _JUNK_LINE_RES):
        return "", None
    cut = min((m.start() for p in _CUT_MARKER_RES if (m := p.search(line))), default=len(line))
    return _TRAILING_CODE_RE.sub("", line[:cut]).rstrip(), None


def _skip_listing(lines: list[str], index: int, listing: _Listing) -> int:
    """Index past the title-like lines that follow a bare heading."""
    end = min(len(lines), index + listing.max_lines)
    while index < end and _is_listed(lines[index], listing):
        index += 1
    return index


def _is_listed(line: str, listing: _Listing) -> bool:
    # Headlines have no closing full stop; article paragraphs do.
    return 0 < len(line) <= listing.max_chars and _HEADLINE_END_RE.search(line) is None


def _split_dateline(lines: list[str]) -> tuple[str, list[str]]:
    """The dateline's place ("" if none) and the lines without the dateline."""
    if not lines:
        return "", lines
    match = _DATELINE_RE.match(lines[0])
    if match is None or match.end() > _DATELINE_MAX:
        return "", lines
    place = next((match[group] for group in _PLACE_GROUPS if match[group]), "")
    rest = lines[0][match.end() :].lstrip()
    return place, [rest, *lines[1:]] if rest else lines[1:]


def _strip_trailer(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and _SOURCE_LINE_RE.fullmatch(lines[end - 1]):
        end -= 1
    return lines[:end]


def clean_title(title: FeedText) -> str:
    """The title as the outlet wrote it, on one line, with markup and entities resolved."""
    return " ".join(title.text().split())


def make_summary(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The opening of text, at most limit characters, ending at a sentence or with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    ends = _sentence_ends(flat, limit)
    return flat[: ends[-1]] if ends else _cut_at_word(flat, limit)


def _sentence_ends(text: str, limit: int) -> list[int]:
    """Offsets up to limit just past a sentence end, skipping dots that close abbreviations."""
    ends: list[int] = []
    # The look-ahead for the next sentence's first letter needs a few characters past limit.
    for match in _SENTENCE_END_RE.finditer(text[: limit + _LOOKAHEAD_ROOM]):
        if match.end() > limit:
            break
        if match.group().startswith(".") and not match.group().startswith(".."):
            word = text[text.rfind(" ", 0, match.start()) + 1 : match.start()]
            if _is_abbreviation(word):
                continue
        ends.append(match.end())
    return ends


def _is_abbreviation(word: str) -> bool:
    word = word.lstrip("\"“\u2018'([")
    if len(word) == 1 and word.isalpha():
        return True  # an initial, as in "H. Agus" or "M. Nuh"
    return word.lower() in _ABBREVIATIONS or _DOTTED_ABBREVIATION_RE.fullmatch(word) is not None


def _cut_at_word(text: str, limit: int) -> str:
    room = limit - len(ELLIPSIS)
    if room <= 0:
        return ""
    cut = text.rfind(" ", 0, room + 1)
    head = text[:cut].rstrip(_DANGLING) if cut > 0 else ""
    return head + ELLIPSIS if head else ""


def clean_entry_text(
    title: FeedText, summary: FeedText, content: FeedText | None
) -> tuple[str, str, str]:
    """(title, body text for matching, display summary) of one feed entry."""
    clean = clean_title(title)
    short = clean_article(summary.text())
    full = clean_article(content.text()) if content else ArticleText("")
    article, other = (full, short) if len(full.text) > len(short.text) else (short, full)
    text = _drop_leading_title(article.text, clean)
    shown = "" if _repeats_title(text, clean) else make_summary(text)
    # The summary starts after the dateline; matching still sees the place it named.
    return clean, ArticleText(text, article.place or other.place).for_matching(), shown


def _drop_leading_title(body: str, title: str) -> str:
    first, _, rest = body.partition("\n")
    return rest if title and _key(first) == _key(title) else body


def _repeats_title(body: str, title: str) -> bool:
    """True when body says nothing beyond the title (perhaps plus the outlet's name)."""
    # A body much longer than the title cannot repeat it; keying only its start keeps this cheap.
    title_key, body_key = _key(title), _key(body[: 2 * (len(title) + _TITLE_SUFFIX_ROOM)])
    if not title_key or not body_key:
        return False
    if title_key.startswith(body_key):
        return True
    return body_key.startswith(title_key) and len(body_key) - len(title_key) <= _TITLE_SUFFIX_ROOM


def _key(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())
