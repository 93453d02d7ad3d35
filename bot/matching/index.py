"""Index of every followed topic, shared by all chats."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.matching.abbreviations import load_table
from bot.matching.automaton import PhraseAutomaton
from bot.matching.document import MatchDocument
from bot.matching.nodes import any_phrase_suffices, required_groups
from bot.matching.normalize import Words
from bot.matching.query import TopicQuery

STALE_LIMIT = 1000


@dataclass(slots=True, eq=False)
class _Entry:
    """A distinct expression and the topics that follow it."""

    query: TopicQuery
    # Expressions of phrases and ORs hold as soon as one positive phrase is present, so their
    # topics are listed under each such phrase instead of being evaluated; empty otherwise.
    postings: tuple[Words, ...]
    topic_ids: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, query: TopicQuery) -> _Entry:
        """Create the entry for a new expression."""
        direct = any_phrase_suffices(query.root)
        return cls(query, query.positive_variants() if direct else ())


@dataclass(frozen=True, slots=True, eq=False)
class _Check:
    """An expression with AND or NOT, evaluated once each required group has a hit."""

    entry: _Entry
    required: int


@dataclass(frozen=True, slots=True)
class _Triggers:
    """The checks a present phrase moves closer to evaluation."""

    single: list[_Check] = field(default_factory=list)
    # by_group[n]: checks with several groups whose group n holds this phrase.
    by_group: list[list[_Check]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """Automaton and triggers built from a snapshot of the expressions."""

    automaton: PhraseAutomaton
    triggers: dict[Words, _Triggers]
    most_groups: int


class TopicIndex:
    """Finds every topic that matches an item in one pass over the item's words."""

    def __init__(self) -> None:
        self._keys: dict[int, str] = {}
        self._entries: dict[str, _Entry] = {}
        # Positive phrase -> the expressions it alone makes match. Per expression, not per
        # topic: a word followed with its many forms costs one set entry per form, once.
        self._postings: dict[Words, set[_Entry]] = {}
        self._compiled: _Compiled | None = None
        self._stale = 0

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, topic_id: int, query: TopicQuery) -> None:
        """Add a topic, replacing any topic with the same id."""
        if self._keys.get(topic_id) == query.match_key:
            return
        self.remove(topic_id)
        entry = self._entries.get(query.match_key)
        if entry is None:
            entry = self._entries[query.match_key] = _Entry.of(query)
            self._compiled = None
            for words in entry.postings:
                self._postings.setdefault(words, set()).add(entry)
        entry.topic_ids.add(topic_id)
        self._keys[topic_id] = query.match_key

    def remove(self, topic_id: int) -> None:
        """Remove a topic; unknown ids are ignored."""
        key = self._keys.pop(topic_id, None)
        if key is None:
            return
        entry = self._entries[key]
        entry.topic_ids.discard(topic_id)
        if not entry.topic_ids:
            for words in entry.postings:
                self._discard_posting(words, entry)
            # The automaton may keep an emptied entry, which matches no topic, so removals
            # force a rebuild only once such leftovers would waste real time and memory.
            del self._entries[key]
            self._stale += 1
            if self._stale > max(STALE_LIMIT, len(self._entries) // 4):
                self._compiled = None

    def match(self, doc: MatchDocument) -> set[int]:
        """Return the ids of the topics whose whole expression matches the item."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _compile(self._entries.values())
            self._stale = 0
        present = compiled.automaton.find(doc)
        matched: set[int] = set()
        for words in present:
            entries = self._postings.get(words)
            if entries:
                for entry in entries:
                    matched.update(entry.topic_ids)
        for check in _candidates(compiled, present):
            if check.entry.query.root.holds(present.isdisjoint):
                matched.update(check.entry.topic_ids)
        return matched

    def _discard_posting(self, words: Words, entry: _Entry) -> None:
        """Drop an expression from a phrase's postings, and the postings once empty."""
        entries = self._postings.get(words)
        if entries is not None:
            entries.discard(entry)
            if not entries:
                del self._postings[words]


def _candidates(compiled: _Compiled, present: set[Words]) -> set[_Check]:
    """Return the checks whose required groups all have a present phrase."""
    candidates: set[_Check] = set()
    hits: list[set[_Check]] = [set() for _ in range(compiled.most_groups)]
    for words in present:
        triggers = compiled.triggers.get(words)
        if triggers is not None:
            candidates.update(triggers.single)
            for number, checks in enumerate(triggers.by_group):
                hits[number].update(checks)
    if compiled.most_groups >= 2:
        # Intersecting in C leaves only checks whose first two groups both have hits.
        for check in hits[0] & hits[1]:
            if all(check in hits[number] for number in range(2, check.required)):
                candidates.add(check)
    return candidates


def _compile(entries: Iterable[_Entry]) -> _Compiled:
    """Build the automaton and triggers for the current expressions."""
    triggers: dict[Words, _Triggers] = {}
    phrases: list[Words] = []
    most_groups = 0
    for entry in entries:
        phrases.extend(entry.query.all_variants())
        if entry.postings:
            continue
        groups = required_groups(entry.query.root)
        check = _Check(entry, len(groups))
        most_groups = max(most_groups, len(groups))
        for number, group in enumerate(groups):
            for words in group:
                _register(triggers.setdefault(words, _Triggers()), check, number)
    automaton = PhraseAutomaton(phrases, guarded=load_table().extensions)
    return _Compiled(automaton=automaton, triggers=triggers, most_groups=most_groups)


def _register(triggers: _Triggers, check: _Check, number: int) -> None:
    """Record that `check` has the phrase of `triggers` in its group `number`."""
    if check.required == 1:
        triggers.single.append(check)
        return
    while len(triggers.by_group) <= number:
        triggers.by_group.append([])
    triggers.by_group[number].append(check)
