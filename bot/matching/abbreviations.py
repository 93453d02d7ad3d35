"""Curated abbreviation table: short and full forms that match each other."""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bot.matching.normalize import topic_tokens

MAX_VARIANTS = 16

Words = tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class AbbreviationTable:
    """Maps each normalised form to all forms of its group."""

    groups: Mapping[Words, tuple[Words, ...]]
    marked: frozenset[str]
    longest: int
    # Form -> the words that, following it, make a longer form of another group.
    extensions: Mapping[Words, tuple[Words, ...]]
    first_words: frozenset[str]

    def expand(self, words: Words) -> tuple[Words, ...]:
        """Return `words` first, then the phrases obtained by swapping in other forms."""
        pieces = self._pieces(words)
        variants: list[Words] = []
        for combination in itertools.islice(itertools.product(*pieces), MAX_VARIANTS):
            variant = tuple(itertools.chain.from_iterable(combination))
            if variant not in variants:
                variants.append(variant)
        return tuple(variants)

    def _pieces(self, words: Words) -> list[tuple[Words, ...]]:
        """Split `words` into single words and whole forms, longest form first."""
        pieces: list[tuple[Words, ...]] = []
        start = 0
        while start < len(words):
            size, group = self._form_at(words, start)
            if group is None:
                pieces.append((words[start : start + 1],))
            else:
                form = words[start : start + size]
                # The written form leads so the first variant is the phrase itself.
                pieces.append((form, *(other for other in group if other != form)))
            start += size
        return pieces

    def _form_at(self, words: Words, start: int) -> tuple[int, tuple[Words, ...] | None]:
        """Return the size and group of the longest form beginning at `start`."""
        if words[start] not in self.first_words:
            return 1, None
        for size in range(min(self.longest, len(words) - start), 0, -1):
            group = self.groups.get(words[start : start + size])
            if group is not None:
                return size, group
        return 1, None


def build_table(data: Mapping[str, Any]) -> AbbreviationTable:
    """Build a table from parsed TOML data; reject forms listed in two groups."""
    marked = frozenset(
        form for group in data.get("group", []) for form in group.get("case_sensitive", [])
    )
    groups: dict[Words, tuple[Words, ...]] = {}
    for group in data.get("group", []):
        forms = _group_forms(group["forms"], marked)
        for form in forms:
            if form in groups:
                raise ValueError(f"abbreviation form listed twice: {' '.join(form)}")
            groups[form] = forms
    longest = max((len(form) for form in groups), default=1)
    return AbbreviationTable(
        groups=groups,
        marked=marked,
        longest=longest,
        extensions=_extensions(groups),
        first_words=frozenset(form[0] for form in groups),
    )


def _extensions(groups: Mapping[Words, tuple[Words, ...]]) -> dict[Words, tuple[Words, ...]]:
    """Find, for each form, the tails that turn it into a longer form of another group."""
    tails: dict[Words, list[Words]] = {}
    for form, group in groups.items():
        for longer, other in groups.items():
            if other is not group and len(longer) > len(form) and longer[: len(form)] == form:
                tails.setdefault(form, []).append(longer[len(form) :])
    return {form: tuple(rest) for form, rest in tails.items()}


def _group_forms(forms: Sequence[str], marked: frozenset[str]) -> tuple[Words, ...]:
    """Normalise the forms of one group, dropping duplicates."""
    normalised = [topic_tokens(form, marked) for form in forms]
    return tuple(dict.fromkeys(form for form in normalised if form))


@functools.cache
def load_table() -> AbbreviationTable:
    """Load the shipped table once, on first use."""
    source = resources.files("bot") / "data" / "abbreviations.toml"
    return build_table(tomllib.loads(source.read_text(encoding="utf-8")))
