"""How topics are read beyond the word rules: places that are also words, and word families.

A topic word is widened into marked forms that only the item's text can confirm: `§batu` is
"Batu" where the text says it is the city, `+banjir` is "banjir" where it is not a figure of
speech. The item's positions carry those marked forms where the text confirms them, so the index
finds them like any other word (see bot/data/gazetteer/curated.toml and bot/data/wordforms.toml).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bot.matching.normalize import (
    MARKS,
    PLACE_MARK,
    SENSE_MARK,
    Words,
    fold_word,
    stem_chain,
    topic_tokens,
)
from bot.matching.places import load_gazetteer, readings_data

# A phrase's words and how to show them to the reader.
Variant = tuple[Words, str]

# Words either side of a family form in which a figurative cue counts.
FIGURATIVE_WINDOW = 2
_TITLE_WORD_MIN = 3
# The words of normalize.split_base, with their places in the text.
_WORDS = re.compile(r"[^\W_]+")
_SENTENCE_BREAK = re.compile(r"[.!?]\s|[.!?]$|\n")
_DATELINE_END = re.compile(r"\s*[,(\-\u2013\u2014]")


@dataclass(frozen=True, slots=True)
class Unit:
    """One administrative area of a place's name: a city, a regency, a province."""

    kind: str
    code: str | None
    within: str | None


@dataclass(frozen=True, slots=True)
class Place:
    """A place name of the gazetteer and what the text must say for it to count."""

    name: str
    province: str
    # Every province that holds one of its units (a name may be shared by two).
    provinces: frozenset[str]
    units: tuple[Unit, ...]
    ambiguous: bool
    not_before: frozenset[str]
    not_after: frozenset[str]


@dataclass(frozen=True, slots=True, eq=False)
class Readings:
    """The gazetteer and the word families, ready for topics and items."""

    places: Mapping[Words, Place]
    # Single folded word -> its place, for names that are also ordinary words.
    ambiguous: Mapping[str, Place]
    cues: frozenset[str]
    # Words a title-case headline leaves in lower case; any other word in lower case means the
    # sentence is running text, whose capitals mean names.
    title_lower: frozenset[str]
    families: Mapping[str, tuple[str, ...]]
    # Family form -> the words that make it figurative.
    figurative: Mapping[str, frozenset[str]]
    # Every word whose presence calls for a look at its neighbours.
    sensitive: frozenset[str]

    def widen(self, variants: Iterable[Variant]) -> tuple[Variant, ...]:
        """Replace one-word variants by their family's forms or their place reading."""
        widened: dict[Words, str] = {}
        for words, label in variants:
            for variant in self._variant(words, label):
                widened.setdefault(*variant)
        return tuple(widened.items())

    def _variant(self, words: Words, label: str) -> list[Variant]:
        """The variants one written or abbreviated variant stands for."""
        if len(words) != 1:
            return [(words, label)]
        word = words[0]
        if word in self.ambiguous:
            return [((PLACE_MARK + word,), label)]
        family = self.families.get(word)
        if family is None:
            return [(words, label)]
        ordered = (word, *(form for form in family if form != word))
        return [((self._sense(form),), label if form == word else form) for form in ordered]

    def _sense(self, form: str) -> str:
        """A family form, marked when only its literal sense may count."""
        return SENSE_MARK + form if form in self.figurative else form

    def place_of(self, words: Words) -> Place | None:
        """The gazetteer place named exactly by `words`, if any."""
        return self.places.get(words)

    def marks(
        self, raws: Sequence[str], canonical: Sequence[str], text: str, region: str | None
    ) -> list[tuple[str, ...]]:
        """Per position, the marked forms the text confirms (most positions have none)."""
        found: list[tuple[str, ...]] = [() for _ in canonical]
        spans: list[tuple[int, int]] | None = None
        for number, word in enumerate(canonical):
            if word in self.figurative and self._literal(canonical, number):
                found[number] = (SENSE_MARK + word,)
            place = self.ambiguous.get(word)
            if place is not None:
                if spans is None:
                    spans = [match.span() for match in _WORDS.finditer(text)]
                if self._is_place(place, raws, canonical, number, (text, spans), region):
                    found[number] = (PLACE_MARK + word,)
        return found

    def _literal(self, canonical: Sequence[str], number: int) -> bool:
        """Tell whether no figurative cue surrounds the family form at `number`."""
        cues = self.figurative[canonical[number]]
        start = max(0, number - FIGURATIVE_WINDOW)
        around = [*canonical[start:number], *canonical[number + 1 : number + 1 + FIGURATIVE_WINDOW]]
        return cues.isdisjoint(around)

    def _is_place(
        self,
        place: Place,
        raws: Sequence[str],
        canonical: Sequence[str],
        number: int,
        located: tuple[str, list[tuple[int, int]]],
        region: str | None,
    ) -> bool:
        """Tell whether the text says the word at `number` is the place."""
        before = canonical[number - 1] if number > 0 else ""
        after = canonical[number + 1] if number + 1 < len(canonical) else ""
        if after in place.not_before or before in place.not_after:
            return False
        raw = raws[number]
        if not raw[:1].isupper():
            return False
        text, spans = located
        if before in self.cues or _is_dateline(raw, number, text, spans):
            return True
        if _in_region(place, region) and _opens_sentence(number, text, spans):
            return True
        return not self._in_title_case(raws, number, text, spans)

    def _in_title_case(
        self, raws: Sequence[str], number: int, text: str, spans: list[tuple[int, int]]
    ) -> bool:
        """Tell whether the word's sentence capitalises all its words, as headlines do."""
        start = number
        while start > 0 and not _breaks(text, spans[start - 1][1], spans[start][0]):
            start -= 1
        end = number
        while end + 1 < len(spans) and not _breaks(text, spans[end][1], spans[end + 1][0]):
            end += 1
        others = [
            raws[n]
            for n in range(start, end + 1)
            if n != number and len(raws[n]) >= _TITLE_WORD_MIN and raws[n][:1].isalpha()
        ]
        return all(word[:1].isupper() or word in self.title_lower for word in others)


def _is_dateline(raw: str, number: int, text: str, spans: list[tuple[int, int]]) -> bool:
    """Tell whether the word opens the text as its dateline.

    Either as outlets write it ("SERANG, KOMPAS.com —") or as ingestion's cleaning leaves it:
    the place alone on the first line, the outlet removed.
    """
    if number != 0 or len(raw) < _TITLE_WORD_MIN:
        return False
    end = spans[0][1]
    if raw.isupper() and _DATELINE_END.match(text, end) is not None:
        return True
    return text.startswith("\n", end) and not text[: spans[0][0]].strip()


def _in_region(place: Place, region: str | None) -> bool:
    """Tell whether the feed's region is the place's province."""
    return region is not None and region.casefold() in place.provinces


def _opens_sentence(number: int, text: str, spans: list[tuple[int, int]]) -> bool:
    """Tell whether the word at `number` begins its sentence (a headline about the place)."""
    return number == 0 or _breaks(text, spans[number - 1][1], spans[number][0])


def _breaks(text: str, start: int, end: int) -> bool:
    """Tell whether the text between two words ends a sentence."""
    return _SENTENCE_BREAK.search(text, start, end) is not None


def build_readings(places: Mapping[str, Any], families: Mapping[str, Any]) -> Readings:
    """Build the readings from the parsed gazetteer and word families."""
    by_name: dict[Words, Place] = {}
    for entry in places.get("place", []):
        place = _place(entry)
        by_name[topic_tokens(place.name, frozenset())] = place
    ambiguous = {words[0]: place for words, place in by_name.items() if place.ambiguous}
    forms: dict[str, tuple[str, ...]] = {}
    figurative: dict[str, frozenset[str]] = {}
    for entry in families.get("family", []):
        family = tuple(fold_word(form) for form in entry["forms"])
        cues = frozenset(fold_word(cue) for cue in entry.get("figurative", []))
        for form in family:
            if form in forms or form in ambiguous:
                raise ValueError(f"word family form listed twice or a place: {form}")
            forms[form] = family
            if cues:
                figurative[form] = cues
    return Readings(
        places=by_name,
        ambiguous=ambiguous,
        cues=frozenset(fold_word(cue) for cue in places.get("cue_before", [])),
        title_lower=frozenset(places.get("title_lowercase", [])),
        families=forms,
        figurative=figurative,
        sensitive=frozenset([*ambiguous, *figurative]),
    )


def _place(entry: Mapping[str, Any]) -> Place:
    """One gazetteer entry."""
    units = tuple(
        Unit(kind=unit["kind"], code=unit.get("code"), within=unit.get("in"))
        for unit in entry["units"]
    )
    return Place(
        name=entry["name"],
        province=entry["province"],
        provinces=frozenset(
            province.casefold() for province in entry.get("provinces", [entry["province"]])
        ),
        units=units,
        ambiguous=entry.get("ambiguous", False),
        not_before=frozenset(_folded(entry.get("not_before", []))),
        not_after=frozenset(_folded(entry.get("not_after", []))),
    )


def _folded(words: Iterable[str]) -> list[str]:
    """Fold words and drop clitics as the item's positions do."""
    return [stem_chain(fold_word(word))[-1] for word in words]


def plain(word: str) -> str:
    """A topic word without its reading mark."""
    return word.lstrip(MARKS)


@functools.cache
def load_readings() -> Readings:
    """Load the gazetteer's place readings and the shipped word families once, on first use."""
    data = resources.files("bot") / "data"
    places = readings_data(load_gazetteer())
    families = tomllib.loads((data / "wordforms.toml").read_text(encoding="utf-8"))
    return build_readings(places, families)
