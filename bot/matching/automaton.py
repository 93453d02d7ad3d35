"""Aho-Corasick automaton that finds every indexed phrase of an item in one pass."""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Any

import ahocorasick  # type: ignore[import-untyped,unused-ignore]

from bot.matching.document import MatchDocument
from bot.matching.normalize import Words, canonical

# Each distinct word becomes one character, so a phrase is a short string and the automaton
# can only match whole words. Unknown words map to a character no pattern uses.
_UNKNOWN = " "
_FIRST_CODE = 0x21
_SURROGATES = range(0xD800, 0xE000)


def _char(number: int) -> str:
    """Return the character standing for word number `number`, skipping surrogates."""
    code = _FIRST_CODE + number
    return chr(code + len(_SURROGATES) if code >= _SURROGATES.start else code)


class PhraseAutomaton:
    """Finds which of a fixed set of phrases occur in an item."""

    def __init__(self, phrases: Iterable[Words], guarded: Container[Words]) -> None:
        # `guarded` phrases may sit inside a longer form, so each hit is checked on the item.
        self._vocabulary: dict[str, str] = {}
        by_pattern: dict[str, list[tuple[Words, bool]]] = {}
        # Topics share most of their words (every form of a word repeats its phrase's others).
        canonicals: dict[str, str] = {}
        for words in dict.fromkeys(phrases):
            forms = [canonicals.get(word) or _canonical(canonicals, word) for word in words]
            pattern = "".join([self._spell(form) for form in forms])
            # Clitic and case-sensitive words share their pattern with the plain word, and a
            # guarded form may be part of a longer one, so such hits are confirmed on the item.
            exact = words in guarded or tuple(forms) != words
            by_pattern.setdefault(pattern, []).append((words, exact))
        self._patterns = [tuple(items) for items in by_pattern.values()]
        self._automaton = _build(by_pattern) if by_pattern else None

    def __len__(self) -> int:
        return len(self._patterns)

    def find(self, doc: MatchDocument) -> set[Words]:
        """Return the phrases that occur in the item."""
        if self._automaton is None:
            return set()
        lookup = self._vocabulary.get
        text = "".join([lookup(word, _UNKNOWN) for word in doc.canonical])
        found: set[Words] = set()
        for end, number in self._automaton.iter(text):
            for words, exact in self._patterns[number]:
                if not exact or doc.has_at(words, end - len(words) + 1):
                    found.add(words)
        return found

    def _spell(self, word: str) -> str:
        """Return the character for `word`, numbering new words as they come."""
        char = self._vocabulary.get(word)
        if char is None:
            char = self._vocabulary[word] = _char(len(self._vocabulary))
        return char


def _canonical(canonicals: dict[str, str], word: str) -> str:
    """The word's canonical form, remembered in `canonicals`."""
    form = canonicals[word] = canonical(word)
    return form


def _build(patterns: Iterable[str]) -> Any:
    """Build an automaton whose value for each pattern is its position in `patterns`."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for number, pattern in enumerate(patterns):
        automaton.add_word(pattern, number)
    automaton.make_automaton()
    return automaton
