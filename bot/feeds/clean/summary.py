"""The short summary of an article: its opening, cut at a sentence end or else at a word."""

from __future__ import annotations

import re
from typing import Final

SUMMARY_LIMIT: Final = 300
ELLIPSIS: Final = "…"

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
