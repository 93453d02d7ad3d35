"""Parsed topics and their evaluation against a single item."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.matching.abbreviations import AbbreviationTable, Variant, load_table
from bot.matching.document import MatchDocument
from bot.matching.expansion import Expansion, load_expansion
from bot.matching.nodes import Node, Phrase, all_phrases, positive_phrases, render
from bot.matching.normalize import MARKS, NAME_MARK, Words, raw_words, topic_tokens
from bot.matching.readings import Place, Readings, load_readings, plain
from bot.matching.syntax import (
    MAX_LENGTH,
    MIN_LENGTH,
    Parser,
    TopicSyntaxError,
    check_exclusions,
    lex,
)

# A word written without quotes, operators or "=".
_PLAIN_WORD = re.compile(r'[^\s"()|+=-][^\s"()|+]*')


@dataclass(frozen=True, slots=True, eq=False)
class TopicQuery:
    """A valid topic; equal keys mean the same topic for a chat."""

    source: str
    key: str
    root: Node
    # Computed once: the index reads them for every new expression and on every rebuild.
    _positive: tuple[Words, ...] = field(init=False, repr=False)
    _all: tuple[Words, ...] = field(init=False, repr=False)
    # What the index shares an entry by: the key, and the spellings of a name written with a
    # capital ("Soeharto" finds "Suharto", "soeharto" does not) that the key does not tell.
    match_key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_positive", _variants(positive_phrases(self.root)))
        object.__setattr__(self, "_all", _variants(all_phrases(self.root)))
        named = any(word[:1] == NAME_MARK for variant in self._all for word in variant)
        spelt = "\n".join(" ".join(variant) for variant in self._all) if named else ""
        object.__setattr__(self, "match_key", f"{self.key}\n{spelt}" if named else self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TopicQuery) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def matches(self, doc: MatchDocument) -> bool:
        """Tell whether the whole expression holds for the item."""
        return self.root.holds(doc.lacks_all)

    def matched_terms(self, doc: MatchDocument) -> list[str]:
        """Return the positive phrase forms found in the item, or [] when it does not match."""
        if not self.matches(doc):
            return []
        found = [variant for variant in self.positive_variants() if variant in doc]
        return list(dict.fromkeys(" ".join(map(plain, variant)) for variant in found))

    def phrases(self) -> list[str]:
        """Return the positive phrases as normalised text."""
        return list(dict.fromkeys(" ".join(p.words) for p in positive_phrases(self.root)))

    def also_covers(self) -> list[str]:
        """Return, as the table spells them, the other forms the positive phrases match."""
        phrases = list(positive_phrases(self.root))
        own = {phrase.words for phrase in phrases}
        labels = (
            label
            for phrase in phrases
            for variant, label in zip(phrase.variants, phrase.labels, strict=True)
            if tuple(map(plain, variant)) not in own
        )
        return list(dict.fromkeys(labels))

    def exact_form(self) -> str:
        """How to ask for the words of the phrase with the most other forms alone ("=kirim")."""
        widest = max(positive_phrases(self.root), key=lambda phrase: len(phrase.variants))
        words = " ".join(widest.words)
        return f'="{words}"' if len(widest.words) > 1 else f"={words}"

    def as_and(self) -> str | None:
        """The topic with AND between its words, for a single phrase of plain words, else None."""
        words = self.source.split()
        plain_words = all(_PLAIN_WORD.fullmatch(word) and raw_words(word) for word in words)
        if not isinstance(self.root, Phrase) or self.root.exact or len(words) < 2:
            return None
        alternative = " AND ".join(words)
        return alternative if plain_words and len(alternative) <= MAX_LENGTH else None

    def places(self) -> list[Place]:
        """Return the gazetteer places the positive phrases are read as."""
        readings = load_readings()
        found = (
            readings.place_of(tuple(map(plain, variant)))
            for phrase in positive_phrases(self.root)
            if not phrase.exact
            for variant in phrase.variants
        )
        return list(dict.fromkeys(place for place in found if place is not None))

    def positive_variants(self) -> tuple[Words, ...]:
        """Return every variant of the phrases outside a NOT, without duplicates."""
        return self._positive

    def all_variants(self) -> tuple[Words, ...]:
        """Return every variant of every phrase, excluded ones included."""
        return self._all


def _variants(phrases: Iterable[Phrase]) -> tuple[Words, ...]:
    """Flatten the variants of `phrases` keeping first occurrences."""
    return tuple(dict.fromkeys(variant for phrase in phrases for variant in phrase.variants))


def parse_topic(text: str, *, expand: bool = True) -> TopicQuery:
    """Parse a topic as the reader wrote it; raise TopicSyntaxError when invalid.

    The error's position counts characters of `text` as given, leading spaces included.
    `expand=False` reads it without the word-form and spelling rules (as before them), for
    benchmarks that weigh what the rules cost.
    """
    source = text.strip()
    try:
        return _parsed(source, expand)
    except TopicSyntaxError as error:
        error.position += len(text) - len(text.lstrip())
        raise


def _parsed(source: str, expand: bool) -> TopicQuery:
    if not source:
        raise TopicSyntaxError("empty", "")
    if len(source) < MIN_LENGTH:
        raise TopicSyntaxError("too_short", source)
    if len(source) > MAX_LENGTH:
        raise TopicSyntaxError("too_long", source[MAX_LENGTH:], MAX_LENGTH)
    rules = load_expansion() if expand else None
    builder = functools.partial(_phrase, load_table(), load_readings(), rules)
    root = Parser(lex(source), builder).parse()
    check_exclusions(root)
    return TopicQuery(source=source, key=render(root), root=root)


def _pruned(table: AbbreviationTable, variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
    """Drop variants that contain a shorter one which matches wherever they would.

    "DKI Jakarta" adds nothing to "Jakarta" but words for the search to look up. A shorter
    variant that a following word can cancel (DPR before "D") or that carries a mark or a
    case-sensitive word is not relied on.
    """
    plain_forms = [
        words
        for words, _ in variants
        if words not in table.extensions
        and not any(word[:1] in MARKS or word in table.marked for word in words)
    ]
    return tuple(
        (words, label)
        for number, (words, label) in enumerate(variants)
        if number == 0 or not any(_inside(short, words) for short in plain_forms)
    )


def _inside(short: Words, words: Words) -> bool:
    """Tell whether `short` is a strictly shorter run of adjacent words in `words`."""
    size = len(short)
    return size < len(words) and any(
        words[start : start + size] == short for start in range(len(words) - size + 1)
    )


def _phrase(
    table: AbbreviationTable,
    readings: Readings,
    rules: Expansion | None,
    text: str,
    exact: bool,
) -> Phrase:
    """Build the phrase node for adjacent words, with its other forms unless `exact`."""
    words = topic_tokens(text, table.marked)
    if not words:
        raise TopicSyntaxError("empty", text)
    if exact:
        return Phrase(words=words, variants=(words,), labels=(" ".join(words),), exact=True)
    aliases = table.expand(words)
    widened = readings.widen(aliases)
    if rules is not None:
        widened = rules.widen(widened, raw_words(text), aliased=len(aliases) > 1)
    expanded = _pruned(table, widened)
    return Phrase(
        words=words,
        variants=tuple(variant for variant, _ in expanded),
        labels=tuple(label for _, label in expanded),
    )
