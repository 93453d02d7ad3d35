"""News items prepared once for matching against every topic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.matching.abbreviations import load_table
from bot.matching.normalize import (
    NAME_MARK,
    SENSE_MARK,
    Words,
    base_text,
    split_base,
    word_forms,
)
from bot.matching.readings import Readings, load_readings
from bot.matching.wordforms import WordForms, load_figures, load_word_forms

# Stands between title and text so no phrase spans the two.
_BOUNDARY: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchDocument:
    """The word positions of an item; each position lists the forms it matches."""

    positions: tuple[tuple[str, ...], ...]
    # Each position's word as written ("" at the title boundary): a name's other spellings
    # count in capitalised words only, looked at when a phrase asks (bot/matching/expansion.py).
    raws: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # Abbreviation forms that do not count when followed by these words (DPR in DPRD).
    extensions: Mapping[Words, tuple[Words, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def canonical(self) -> list[str]:
        """Return the clitic-free form of each position ("" at the title boundary)."""
        return [forms[-1] if forms else "" for forms in self.positions]

    def title_only(self) -> MatchDocument:
        """The positions of the title alone (those before the boundary)."""
        end = self.positions.index(_BOUNDARY) if _BOUNDARY in self.positions else None
        return MatchDocument(positions=self.positions[:end], extensions=self.extensions)

    def has_at(self, words: Words, start: int) -> bool:
        """Tell whether the phrase `words` occurs at position `start`."""
        if not self._spells(words, start):
            return False
        end = start + len(words)
        return not any(self._spells(tail, end) for tail in self.extensions.get(words, ()))

    def _spells(self, words: Words, start: int) -> bool:
        """Tell whether the positions from `start` carry `words`."""
        if start < 0 or start + len(words) > len(self.positions):
            return False
        positions = self.positions
        for number, word in enumerate(words, start):
            if word not in positions[number] and not self._named(word, number):
                return False
        return True

    def _named(self, word: str, number: int) -> bool:
        """Tell whether `word` is a name's spelling (NAME_MARK) that position `number` writes
        with a capital."""
        return (
            word[:1] == NAME_MARK
            and number < len(self.raws)
            and self.raws[number][:1].isupper()
            and word[1:] == self.positions[number][-1]
        )

    def __contains__(self, words: object) -> bool:
        """Tell whether the phrase `words` occurs anywhere in the item."""
        if not isinstance(words, tuple) or not words:
            return False
        first = words[0]
        if first[:1] == NAME_MARK:
            return any(self.has_at(words, start) for start in range(len(self.positions)))
        return any(
            first in forms and self.has_at(words, start)
            for start, forms in enumerate(self.positions)
        )

    def lacks_all(self, phrases: tuple[Words, ...]) -> bool:
        """Tell whether none of `phrases` occurs in the item."""
        return not any(phrase in self for phrase in phrases)


def prepare_document(title: str, text: str, region: str | None = None) -> MatchDocument:
    """Normalise an item once; the result is reused for all topics.

    `region` is the feed's region: a place name in its province needs fewer cues to count.
    """
    table = load_table()
    readings = load_readings()
    marked = table.marked
    title_positions, title_raws = _positions(title, marked, readings, region)
    text_positions, text_raws = _positions(text, marked, readings, region)
    return MatchDocument(
        positions=(*title_positions, _BOUNDARY, *text_positions),
        raws=(*title_raws, "", *text_raws),
        extensions=table.extensions,
    )


def _positions(
    text: str, marked: frozenset[str], readings: Readings, region: str | None
) -> tuple[list[tuple[str, ...]], list[str]]:
    """The positions of one part of an item, with the readings its text confirms, and its
    words as written."""
    base = base_text(text)
    raws = split_base(base)
    positions = word_forms(raws, marked)
    canonical = [forms[-1] for forms in positions]
    figures = load_figures()
    if not figures.keys().isdisjoint(canonical):
        _mark_literal(positions, canonical, figures, load_word_forms())
    if readings.sensitive.isdisjoint(canonical):
        return positions, raws
    found = readings.marks(raws, canonical, base, region)
    return [
        (*extra, *forms) if extra else forms for extra, forms in zip(found, positions, strict=True)
    ], raws


def _mark_literal(
    positions: list[tuple[str, ...]],
    canonical: list[str],
    figures: Mapping[str, str],
    rules: WordForms,
) -> None:
    """Mark the forms of a root with figurative cues where none of its cues is near."""
    for number, word in enumerate(canonical):
        root = figures.get(word)
        if root is not None and rules.is_literal(root, canonical, number):
            positions[number] = (SENSE_MARK + word, *positions[number])
