"""Curated abbreviation table: short and full forms that match each other."""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bot.matching.normalize import Words, topic_tokens
from bot.matching.places import abbreviation_groups, load_gazetteer

MAX_VARIANTS = 48

# A phrase's words and how to show them to the reader.
Variant = tuple[Words, str]


@dataclass(frozen=True, slots=True, eq=False)
class AbbreviationTable:
    """Maps each normalised form to all forms of its group."""

    groups: Mapping[Words, tuple[Words, ...]]
    # Form -> its group's forms, then the forms of the narrower places the group covers
    # ("Jakarta" also reaches "Jaksel", never the other way round).
    reach: Mapping[Words, tuple[Words, ...]]
    marked: frozenset[str]
    longest: int
    # Form -> the words that, following it, make a longer form of another group.
    extensions: Mapping[Words, tuple[Words, ...]]
    first_words: frozenset[str]
    # Form -> its spelling in the table, for display.
    labels: Mapping[Words, str]

    def expand(self, words: Words) -> tuple[Variant, ...]:
        """Return `words` first, then the phrases obtained by swapping in other forms."""
        variants: dict[Words, str] = {}
        pieces = self._pieces(words)
        for combination in itertools.islice(itertools.product(*pieces), MAX_VARIANTS):
            variant = tuple(itertools.chain.from_iterable(form for form, _ in combination))
            variants.setdefault(variant, " ".join(label for _, label in combination))
        return tuple(variants.items())

    def _pieces(self, words: Words) -> list[tuple[Variant, ...]]:
        """Split `words` into single words and whole forms, longest form first."""
        pieces: list[tuple[Variant, ...]] = []
        start = 0
        while start < len(words):
            size, found = self._form_at(words, start)
            form = words[start : start + size]
            if not found:
                pieces.append(((form, form[0]),))
            else:
                # The written form leads so the first variant is the phrase itself. Narrower
                # places count for the place alone ("Jakarta"), not inside a longer phrase.
                alone = size == len(words)
                forms = self.reach[form] if alone else self.groups[form]
                others = [(other, self.labels[other]) for other in forms if other != form]
                pieces.append(((form, " ".join(form)), *others))
            start += size
        return pieces

    def _form_at(self, words: Words, start: int) -> tuple[int, bool]:
        """Return the size of the longest form beginning at `start`, and whether there is one."""
        if words[start] not in self.first_words:
            return 1, False
        for size in range(min(self.longest, len(words) - start), 0, -1):
            if words[start : start + size] in self.groups:
                return size, True
        return 1, False


def build_table(data: Mapping[str, Any]) -> AbbreviationTable:
    """Build a table from parsed TOML data; reject forms listed in two groups."""
    marked = frozenset(
        form for group in data.get("group", []) for form in group.get("case_sensitive", [])
    )
    groups: dict[Words, tuple[Words, ...]] = {}
    labels: dict[Words, str] = {}
    for group in data.get("group", []):
        spelled = _group_forms(group["forms"], marked)
        forms = tuple(spelled)
        for form in forms:
            if form in groups:
                raise ValueError(f"abbreviation form listed twice: {' '.join(form)}")
            groups[form] = forms
        labels.update(spelled)
    longest = max((len(form) for form in groups), default=1)
    reach = _reach(data.get("group", []), groups, marked)
    return AbbreviationTable(
        groups=groups,
        reach=reach,
        marked=marked,
        longest=longest,
        extensions=_extensions(groups, reach),
        first_words=frozenset(form[0] for form in groups),
        labels=labels,
    )


def _reach(
    entries: Sequence[Mapping[str, Any]],
    groups: Mapping[Words, tuple[Words, ...]],
    marked: frozenset[str],
) -> dict[Words, tuple[Words, ...]]:
    """Map each form to its group's forms followed by those of the groups it covers."""
    reach: dict[Words, tuple[Words, ...]] = dict(groups)
    for entry in entries:
        covered: list[Words] = []
        for spelled in entry.get("covers", []):
            words = topic_tokens(spelled, marked)
            if words not in groups:
                raise ValueError(f"covered form is in no group: {spelled}")
            covered.extend(groups[words])
        if covered:
            own = groups[topic_tokens(entry["forms"][0], marked)]
            for form in own:
                reach[form] = tuple(dict.fromkeys([*own, *covered]))
    return reach


def _extensions(
    groups: Mapping[Words, tuple[Words, ...]], reach: Mapping[Words, tuple[Words, ...]]
) -> dict[Words, tuple[Words, ...]]:
    """Find, for each form, the tails that turn it into a longer form of another group."""
    tails: dict[Words, list[Words]] = {}
    for form, group in groups.items():
        for longer, other in groups.items():
            if other is group or longer in reach[form]:
                continue
            if len(longer) > len(form) and longer[: len(form)] == form:
                tails.setdefault(form, []).append(longer[len(form) :])
    return {form: tuple(rest) for form, rest in tails.items()}


def _group_forms(forms: Sequence[str], marked: frozenset[str]) -> dict[Words, str]:
    """Normalise the forms of one group, keeping the first spelling of each."""
    spelled: dict[Words, str] = {}
    for form in forms:
        words = topic_tokens(form, marked)
        if words:
            spelled.setdefault(words, form)
    return spelled


@functools.cache
def load_table() -> AbbreviationTable:
    """Load the shipped table and the gazetteer's place forms once, on first use."""
    source = resources.files("bot") / "data" / "abbreviations.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    places = abbreviation_groups(load_gazetteer())
    return build_table({**data, "group": [*data.get("group", []), *places]})
