"""FTS5 queries that find the candidates for a topic search: every match, and few others.

The matcher (bot/matching) has the last word on every candidate, so a query here must let
through every item a topic matches; it should also let through few that it does not, because
checking a candidate costs far more than finding it. Two rules keep both promises cheap:

- Each word is looked up once, as one exact term. The index holds every word without its clitics
  ("banjirnya" as "banjir", storage/fulltext.py) and storage looks a query's words up the same
  way, so "banjir" finds "banjirnya" and "rumahnyapun" without a term for each (21 a word, and a
  word with ten forms over two hundred, when they were spelt out). Prefix terms ("kirim"*) are
  not used: FTS5 merges every posting of every word with a prefix before it can return
  anything, while exact terms let it stop at the newest matches.
- The query keeps the topic's shape: AND stays AND, and the words of a phrase stay one phrase
  (the index's words keep their places, so "banjirnya bandang" is the phrase "banjir bandang").

Each term costs a lookup that FTS5 makes before it returns anything, and SQLite cannot
interrupt it. A query over `MAX_TERMS` is made coarser, a topic at a time, step by step,
until it fits: a topic's phrases lose their adjacency (all their words, in any order), then keep
only their longest words. Every step asks for less than the one before, so it still lets through
every match (and more items for the matcher to refuse). When even one word per phrase is too
many, there is no query at all: every item is a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.matching import TopicQuery
from bot.matching.nodes import And, Node, Or, Phrase
from bot.matching.normalize import Words
from bot.matching.readings import plain

# Under half a second of lookups on a million items, the part of a search that nothing can stop
# (it holds up only the reader who asked); twenty topics of two words each fit at full precision.
MAX_TERMS = 2_000
# Words kept per phrase at each coarser step (None: all of them, in any order).
_COARSER = (None, 2, 1)
_TERM_RE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True, slots=True)
class CandidateQuery:
    """How to find a search's candidates: an FTS5 expression, or every item when it is None."""

    expression: str | None
    # False when the query was made coarser than the topics: more candidates to refuse.
    exact: bool


def candidate_query(
    queries: Sequence[TopicQuery], max_terms: int = MAX_TERMS
) -> CandidateQuery | None:
    """The finest query within max_terms that every item matching a topic satisfies.

    Each step makes coarser the topic it saves the most terms on, so that one long topic does
    not cost the others their precision. None when the topics ask for no word at all.
    """
    steps = [_steps(query) for query in queries]
    chosen = [0] * len(steps)
    while sum(topic[step][1] for topic, step in zip(steps, chosen, strict=True)) > max_terms:
        coarser = [n for n, topic in enumerate(steps) if chosen[n] + 1 < len(topic)]
        if not coarser:
            return CandidateQuery(None, exact=False)
        chosen[max(coarser, key=lambda n: _saving(steps[n], chosen[n]))] += 1
    expression = _any_of(topic[step][0] for topic, step in zip(steps, chosen, strict=True))
    if not expression:
        return None
    return CandidateQuery(expression, exact=not any(chosen))


def _steps(query: TopicQuery) -> list[tuple[str, int]]:
    """The topic's query and its cost at full precision, then each coarser one that costs less."""
    exact = _exact(query)
    steps = [(exact, term_count(exact))]
    for keep in _COARSER:
        coarse = _coarse(query, keep)
        if (cost := term_count(coarse)) < steps[-1][1]:
            steps.append((coarse, cost))
    return steps


def _saving(steps: list[tuple[str, int]], step: int) -> int:
    return steps[step][1] - steps[step + 1][1]


def fts_query(queries: Sequence[TopicQuery]) -> str | None:
    """An FTS5 query that every item matching any of the topics satisfies."""
    return _any_of(map(_exact, queries)) or None


def _exact(query: TopicQuery) -> str:
    return _constraint(query.root) or _positive_words(query)


def term_count(expression: str) -> int:
    """How many words FTS5 looks up for an expression (a phrase's words each count)."""
    return sum(len(term.split()) for term in _TERM_RE.findall(expression))


def _constraint(node: Node) -> str | None:
    """What an item matching node must contain; None when it need contain nothing."""
    if isinstance(node, Phrase):
        return _any_of(map(_phrase, node.variants))
    if isinstance(node, And):
        return _all_of(_constraint(part) for part in node.children) or None
    if isinstance(node, Or):
        either = [_constraint(child) for child in node.children]
        return None if None in either else _any_of(part for part in either if part is not None)
    return None  # NOT: an item is not found by what it lacks


def _positive_words(query: TopicQuery) -> str:
    # For a topic such as "banjir OR -Rusia" nothing is required: look for its positive words.
    return _any_of(map(_phrase, query.positive_variants()))


def _phrase(marked: Words) -> str:
    # A reading mark is confirmed by the matcher: the index holds the plain words, each once
    # for all its clitic forms.
    return _quoted(" ".join(map(plain, marked)))


def _coarse(query: TopicQuery, keep: int | None) -> str:
    """The topic's query with each phrase reduced to (its longest `keep`) words, in any order."""
    loose = _loose(query.root, keep)
    if loose is None:  # as in _positive_words
        return _any_of(_loose_phrase(words, keep) for words in query.positive_variants())
    return loose


def _loose(node: Node, keep: int | None) -> str | None:
    """_constraint with phrases reduced by _loose_phrase."""
    if isinstance(node, Phrase):
        return _any_of(_loose_phrase(words, keep) for words in node.variants)
    if isinstance(node, And):
        return _all_of(_loose(part, keep) for part in node.children) or None
    if isinstance(node, Or):
        either = [_loose(child, keep) for child in node.children]
        return None if None in either else _any_of(part for part in either if part is not None)
    return None


def _loose_phrase(words: Words, keep: int | None) -> str:
    # Longer words are rarer: they let through fewer items for the matcher to refuse.
    distinct = sorted(dict.fromkeys(map(plain, words)), key=len, reverse=True)
    return _all_of(map(_quoted, distinct[:keep]))


def _quoted(text: str) -> str:
    # Topic words are letters and digits only; quotes make FTS5 read them as plain strings.
    return '"' + text.replace('"', '""') + '"'


def _any_of(parts: Iterable[str]) -> str:
    """parts joined with OR ("" for none)."""
    unique = [part for part in dict.fromkeys(parts) if part]
    if len(unique) == 1:
        return unique[0]
    return " OR ".join(part if _is_term(part) else f"({part})" for part in unique)


def _all_of(parts: Iterable[str | None]) -> str:
    """The parts that require something, joined with AND ("" for none)."""
    unique = [part for part in dict.fromkeys(parts) if part]
    if len(unique) == 1:
        return unique[0]
    return " AND ".join(part if _is_term(part) else f"({part})" for part in unique)


def _is_term(part: str) -> bool:
    return part.startswith('"') and part.endswith('"') and part.count('"') == 2
