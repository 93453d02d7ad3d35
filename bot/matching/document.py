"""News items prepared once for matching against every topic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.matching.abbreviations import load_table
from bot.matching.normalize import Words, base_text, split_base, word_forms
from bot.matching.readings import Readings, load_readings

# Stands between title and text so no phrase spans the two.
_BOUNDARY: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchDocument:
    """The word positions of an item; each position lists the forms it matches."""

    positions: tuple[tuple[str, ...], ...]
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
        return all(word in self.positions[start + i] for i, word in enumerate(words))

    def __contains__(self, words: object) -> bool:
        """Tell whether the phrase `words` occurs anywhere in the item."""
        if not isinstance(words, tuple) or not words:
            return False
        first = words[0]
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
    positions = [
        *_positions(title, marked, readings, region),
        _BOUNDARY,
        *_positions(text, marked, readings, region),
    ]
    return MatchDocument(positions=tuple(positions), extensions=table.extensions)


def _positions(
    text: str, marked: frozenset[str], readings: Readings, region: str | None
) -> list[tuple[str, ...]]:
    """The positions of one part of an item, with the readings its text confirms."""
    base = base_text(text)
    raws = split_base(base)
    positions = word_forms(raws, marked)
    canonical = [forms[-1] for forms in positions]
    if readings.sensitive.isdisjoint(canonical):
        return positions
    found = readings.marks(raws, canonical, base, region)
    return [
        (*extra, *forms) if extra else forms for extra, forms in zip(found, positions, strict=True)
    ]
