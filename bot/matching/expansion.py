"""A topic phrase widened by rule: the word forms of its last word, the spellings of its names.

Runs when a topic is parsed, after the curated tables (abbreviations, places, word families):
what those already read is left as they read it. An ordinary word widens into its attested forms
(bot/matching/wordforms.py), a figure of speech marked so that only its literal sense counts; a
capitalised name into its usual other spellings (bot/matching/spellings.py), marked so that only
a capitalised word of the text counts. A place never widens into word forms.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.matching.normalize import MARKS, NAME_MARK, SENSE_MARK, Words, canonical
from bot.matching.readings import Readings, Variant, load_readings
from bot.matching.spellings import is_name, name_variants
from bot.matching.wordforms import WordForms, load_word_forms

# A phrase of more words than this is not spelt as one name ("Presiden Soeharto" varies by word).
_NAME_WORDS = 2


@dataclass(frozen=True, slots=True, eq=False)
class Expansion:
    """The rules a topic's phrases widen by."""

    readings: Readings
    forms: WordForms

    def widen(
        self, variants: tuple[Variant, ...], raws: Sequence[str], aliased: bool
    ) -> tuple[Variant, ...]:
        """Add the word forms and name spellings of the phrase written as `raws`.

        `aliased`: the abbreviation table reads the phrase (an alias is not widened again).
        """
        words, label = variants[0]
        if aliased or words[-1] in self.readings.families or any(w[:1] in MARKS for w in words):
            return variants
        forms = self._word_forms(words)
        if forms and forms[0][0] != words:
            # A figure of speech: the word itself counts only in its literal sense too.
            forms[0] = (forms[0][0], label)
            variants = variants[1:]
        added: dict[Words, str] = dict(variants)
        for variant in forms or self._spellings(words, raws):
            added.setdefault(*variant)
        return tuple(added.items())

    def _word_forms(self, words: Words) -> list[Variant]:
        """The phrase with its last word in each of its attested forms (none for a place)."""
        last = words[-1]
        if (
            self.readings.place_of(words) is not None
            or self.readings.place_of((last,)) is not None
            or not last.isalpha()
        ):
            return []
        found = self.forms.forms(last)
        if len(found) < 2:
            return []
        root = self.forms.root_of(last)
        figurative = root in self.forms.figurative
        head = words[:-1]
        return [
            ((*head, SENSE_MARK + form if figurative else form), " ".join((*head, form)))
            for form in found
        ]

    def _spellings(self, words: Words, raws: Sequence[str]) -> list[Variant]:
        """The phrase with its capitalised names in their other usual spellings."""
        if len(raws) != len(words):
            return []
        if not all(word.islower() for word in words):
            return []
        if len(raws) <= _NAME_WORDS and all(is_name(raw) for raw in raws):
            return [_named(spelling.split(" ")) for spelling in name_variants(" ".join(raws))[1:]]
        found = []
        for number, raw in enumerate(raws):
            if is_name(raw) and words[number].islower():
                for spelling in name_variants(raw)[1:]:
                    found.append(_spliced(words, number, spelling))
        return found


def _named(words: Sequence[str]) -> Variant:
    """A spelling of a name, each word to be found capitalised."""
    return tuple(NAME_MARK + canonical(word) for word in words), " ".join(words).title()


def _spliced(words: Words, number: int, spelling: str) -> Variant:
    """The phrase with the word at `number` spelt another way."""
    named, label = _named(spelling.split(" "))
    shown = (*words[:number], label, *words[number + 1 :])
    return (*words[:number], *named, *words[number + 1 :]), " ".join(shown)


@functools.cache
def load_expansion() -> Expansion:
    """The shipped rules, loaded once on first use."""
    return Expansion(readings=load_readings(), forms=load_word_forms())
