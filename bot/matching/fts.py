"""FTS5 queries that find the candidates for a topic search: every match, and few others.

The matcher (bot/matching) has the last word on every candidate, so a query here must let
through every item a topic matches; it should also let through few that it does not, because
checking a candidate costs far more than finding it. Two rules keep both promises cheap:

- Words are looked up in exactly the forms the matcher accepts (the word, or the word with up
  to two clitics: "banjirnya", "rumahnyapun"), not as a prefix term ("banjir"*): FTS5 merges
  every posting of every word with a prefix before it can return anything, while exact terms let
  it stop at the newest matches. A word with its many forms (`kirim`: "mengirim", "pengiriman"
  …) is the exception: twenty lookups a form cost more than a few prefixes ("kirim"*,
  "mengirim"*, "pengirim"* …) that cover the forms and their clitics.
- The query keeps the topic's shape: AND stays AND, and the words of a phrase must be adjacent
  unless one of them carries a clitic (then all its words, in any form, are asked for).

Each term costs a lookup that FTS5 makes before it returns anything, and SQLite cannot
interrupt it. A query over `MAX_TERMS` is made coarser, a topic at a time, step by step,
until it fits: a topic's phrases lose their adjacency and their words are looked up as prefixes
(one term for a word and its clitics, and for every form of a topic word that begins with
another: "kirim"* holds "kiriman" and "kirimkan"), then keep only their longest words. Every
step asks for less than the one before, so it still lets through every match (and more items for
the matcher to refuse). When even one word per phrase is too many, there is no query at all:
every item is a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.matching import TopicQuery
from bot.matching.nodes import And, Node, Or, Phrase
from bot.matching.normalize import CLITICS, MIN_STEM, Words
from bot.matching.readings import plain

_CLITIC_ENDINGS = (*CLITICS, *(first + second for first in CLITICS for second in CLITICS))
# Under half a second of lookups on a million items, the part of a search that nothing can stop
# (it holds up only the reader who asked); twenty topics of two words each fit at full precision.
MAX_TERMS = 2_000
# Words kept per phrase at each coarser step (None: all of them, in any order).
_COARSER = (None, 2, 1)
_TERM_RE = re.compile(r'"([^"]*)"')
# A shorter prefix would merge the postings of too many words to be worth its one term.
MIN_PREFIX = 4
# A phrase with more variants than this (a word and its forms) is looked up by prefixes.
MAX_EXACT_FORMS = 4


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
    # A prefix lets through other words too ("beras"* holds "berasal"): more to refuse.
    return CandidateQuery(expression, exact=not any(chosen) and "*" not in expression)


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
        if len(node.variants) > MAX_EXACT_FORMS:
            # A word with its many forms: each form and its clitics would be twenty lookups.
            return _any_of(_loose_phrase(words, None) for words in _prefix_cover(node.variants))
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
    # A reading mark is confirmed by the matcher: the index holds the plain words.
    words = tuple(map(plain, marked))
    if len(words) == 1:
        return _word(words[0])
    adjacent = _quoted(" ".join(words))
    distinct = list(dict.fromkeys(words))
    clitics = [form for word in distinct for form in _clitic_forms(word)]
    if not clitics:
        return adjacent
    # FTS5 cannot say "adjacent" across alternatives: with a clitic anywhere, every word in
    # any form, and at least one of them with its clitic.
    with_clitic = _all_of([*map(_word, distinct), _any_of(clitics)])
    return _any_of([adjacent, with_clitic])


def _coarse(query: TopicQuery, keep: int | None) -> str:
    """The topic's query with each phrase reduced to (its longest `keep`) words, in any order."""
    loose = _loose(query.root, keep)
    if loose is None:  # as in _positive_words
        return _any_of(_loose_phrase(words, keep) for words in query.positive_variants())
    return loose


def _loose(node: Node, keep: int | None) -> str | None:
    """_constraint with phrases reduced by _loose_phrase."""
    if isinstance(node, Phrase):
        return _any_of(_loose_phrase(words, keep) for words in _prefix_cover(node.variants))
    if isinstance(node, And):
        return _all_of(_loose(part, keep) for part in node.children) or None
    if isinstance(node, Or):
        either = [_loose(child, keep) for child in node.children]
        return None if None in either else _any_of(part for part in either if part is not None)
    return None


def _loose_phrase(words: Words, keep: int | None) -> str:
    # Longer words are rarer: they let through fewer items for the matcher to refuse.
    distinct = sorted(dict.fromkeys(map(plain, words)), key=len, reverse=True)
    return _all_of(map(_prefix, distinct[:keep]))


def _prefix_cover(variants: Iterable[Words]) -> list[Words]:
    """The variants less the one-word ones that another one-word variant is a prefix of."""
    words = sorted({plain(variant[0]) for variant in variants if len(variant) == 1})
    covered: set[str] = set()
    for number, word in enumerate(words):
        if len(word) >= MIN_PREFIX:
            for longer in words[number + 1 :]:
                if not longer.startswith(word):
                    break
                covered.add(longer)
    return [
        variant for variant in variants if len(variant) != 1 or plain(variant[0]) not in covered
    ]


def _prefix(word: str) -> str:
    """The word and every longer word it begins, clitic forms included, as one term."""
    return _quoted(word) + "*" if len(word) >= MIN_PREFIX else _word(word)


def _word(word: str) -> str:
    return _any_of([_quoted(word), *_clitic_forms(word)])


def _clitic_forms(word: str) -> list[str]:
    # The matcher strips a clitic only when a stem of MIN_STEM letters is left ("di" + "nya"
    # stays "dinya"): shorter words have no other forms to look up.
    if len(word) < MIN_STEM:
        return []
    return [_quoted(word + ending) for ending in _CLITIC_ENDINGS]


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
    return part.startswith('"') and part.endswith(('"', '"*')) and part.count('"') == 2
