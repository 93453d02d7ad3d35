"""Site boilerplate cut from article text: related links, pagination, tags, credits, datelines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


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
        r"|(?:halaman|laman)\s+(?:selanjutnya|berikutnya|sebelumnya)\b"
        r"|artikel\s+ini\s+(?:telah\s+)?(?:tayang|terbit|dimuat)\s+di\b)",
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
