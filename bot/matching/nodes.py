"""Expression tree of a topic: phrases combined with AND, OR and NOT."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.matching.normalize import Words

# Tells whether none of the given phrase variants occurs in the item; shaped like
# set.isdisjoint so the index can pass that C method straight through.
Absence = Callable[[tuple[Words, ...]], bool]


@dataclass(frozen=True, slots=True)
class Phrase:
    """Adjacent words in order; any of `variants` (the words first) counts as present."""

    words: Words
    variants: tuple[Words, ...]
    # How each variant is shown to the reader, in the same order.
    labels: tuple[str, ...]
    # Written with "=": the words themselves only, no other forms or readings.
    exact: bool = False

    def holds(self, absent: Absence) -> bool:
        """Tell whether one of the variants occurs."""
        return not absent(self.variants)


@dataclass(frozen=True, slots=True)
class And:
    """All children must hold."""

    children: tuple[Node, ...]

    def holds(self, absent: Absence) -> bool:
        """Tell whether every child holds."""
        # A plain loop: this runs for every candidate topic and beats all() on a generator.
        for child in self.children:  # noqa: SIM110
            if not child.holds(absent):
                return False
        return True


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child must hold."""

    children: tuple[Node, ...]

    def holds(self, absent: Absence) -> bool:
        """Tell whether some child holds."""
        for child in self.children:  # noqa: SIM110
            if child.holds(absent):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Not:
    """The child must not hold."""

    child: Node

    def holds(self, absent: Absence) -> bool:
        """Tell whether the child does not hold."""
        return not self.child.holds(absent)


Node = Phrase | And | Or | Not


def make_and(children: list[Node]) -> Node:
    """Build a flattened, ordered AND so equivalent spellings share one form."""
    return _combine(And, children)


def make_or(children: list[Node]) -> Node:
    """Build a flattened, ordered OR so equivalent spellings share one form."""
    return _combine(Or, children)


def _combine(kind: type[And] | type[Or], children: list[Node]) -> Node:
    """Flatten nested nodes of the same kind, drop duplicates and sort by rendering."""
    flat: dict[str, Node] = {}
    for child in children:
        for item in child.children if isinstance(child, kind) else (child,):
            flat.setdefault(render(item), item)
    if len(flat) == 1:
        return next(iter(flat.values()))
    # Exclusions sort after positive terms so keys read naturally.
    ordered = sorted(flat.items(), key=lambda pair: (isinstance(pair[1], Not), pair[0]))
    return kind(tuple(node for _, node in ordered))


def render(node: Node) -> str:
    """Render `node` canonically; equal renderings mean equal expressions."""
    if isinstance(node, Phrase):
        return ("=" if node.exact else "") + " ".join(node.words)
    if isinstance(node, Not):
        inner = render(node.child)
        return f"-({inner})" if isinstance(node.child, And | Or) else f"-{inner}"
    if isinstance(node, And):
        return " AND ".join(
            f"({render(child)})" if isinstance(child, Or) else render(child)
            for child in node.children
        )
    return " OR ".join(render(child) for child in node.children)


def any_phrase_suffices(node: Node) -> bool:
    """Tell whether the presence of any one positive phrase makes `node` hold (no AND/NOT)."""
    if isinstance(node, Phrase):
        return True
    return isinstance(node, Or) and all(any_phrase_suffices(child) for child in node.children)


def has_positive(node: Node) -> bool:
    """Tell whether `node` can only hold when one of its positive phrases is present."""
    if isinstance(node, Phrase):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(has_positive(child) for child in node.children)
    return all(has_positive(child) for child in node.children)


def required_groups(node: Node) -> list[tuple[Words, ...]]:
    """Return positive variant groups that must each have a present member for `node` to hold."""
    parts = [c for c in node.children if has_positive(c)] if isinstance(node, And) else [node]
    return [
        tuple(dict.fromkeys(v for phrase in positive_phrases(part) for v in phrase.variants))
        for part in parts
    ]


def positive_phrases(node: Node) -> Iterator[Phrase]:
    """Yield the phrases that are not under a NOT, in order."""
    if isinstance(node, Phrase):
        yield node
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from positive_phrases(child)


def all_phrases(node: Node) -> Iterator[Phrase]:
    """Yield every phrase of the expression, excluded ones included."""
    if isinstance(node, Phrase):
        yield node
    elif isinstance(node, Not):
        yield from all_phrases(node.child)
    else:
        for child in node.children:
            yield from all_phrases(child)
