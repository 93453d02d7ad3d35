"""FTS5 queries that find the candidates for a topic search: every match, and few others.

The matcher (bot/matching) has the last word on every candidate, so a query here must let
through every item a topic matches; it should also let through few that it does not, because
checking a candidate costs far more than finding it. Two rules keep both promises cheap:

- Words are looked up in exactly the forms the matcher accepts (the word, or the word with up
  to two clitics: "banjirnya", "rumahnyapun"), never as a prefix term ("banjir"*): FTS5 merges
  every posting of every word with a prefix before it can return anything, while exact terms let
  it stop at the newest matches.
- The query keeps the topic's shape: AND stays AND, and the words of a phrase must be adjacent
  unless one of them carries a clitic (those rare forms are looked up without adjacency).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.matching import TopicQuery
from bot.matching.nodes import And, Node, Or, Phrase
from bot.matching.normalize import CLITICS, Words

_CLITIC_ENDINGS = (*CLITICS, *(first + second for first in CLITICS for second in CLITICS))


def fts_query(queries: Sequence[TopicQuery]) -> str | None:
    """An FTS5 query that every item matching any of the topics satisfies."""
    return _any_of(_constraint(query.root) or _positive_words(query) for query in queries) or None


def _constraint(node: Node) -> str | None:
    """What an item matching node must contain; None when it need contain nothing."""
    if isinstance(node, Phrase):
        return _any_of(map(_phrase, node.variants))
    if isinstance(node, And):
        required = [part for part in map(_constraint, node.children) if part is not None]
        return " AND ".join(f"({part})" for part in required) if required else None
    if isinstance(node, Or):
        either = [_constraint(child) for child in node.children]
        return None if None in either else _any_of(part for part in either if part is not None)
    return None  # NOT: an item is not found by what it lacks


def _positive_words(query: TopicQuery) -> str:
    # For a topic such as "banjir OR -Rusia" nothing is required: look for its positive words.
    return _any_of(map(_phrase, query.positive_variants()))


def _phrase(words: Words) -> str:
    if len(words) == 1:
        return _word(words[0])
    adjacent = _quoted(" ".join(words))
    with_clitic = (_with_clitic_at(words, position) for position in range(len(words)))
    return _any_of([adjacent, *with_clitic])


def _with_clitic_at(words: Words, position: int) -> str:
    """All the words, the one at position with a clitic (FTS5 cannot say "adjacent" here)."""
    parts = (
        _any_of(_clitic_forms(word)) if n == position else _word(word)
        for n, word in enumerate(words)
    )
    return " AND ".join(f"({part})" for part in parts)


def _word(word: str) -> str:
    return _any_of([_quoted(word), *_clitic_forms(word)])


def _clitic_forms(word: str) -> list[str]:
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


def _is_term(part: str) -> bool:
    return part.startswith('"') and part.endswith('"') and part.count('"') == 2
