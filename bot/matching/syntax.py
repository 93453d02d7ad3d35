"""Tokenizer and recursive-descent parser for the topic language."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, NamedTuple

from bot.matching.nodes import And, Node, Not, Or, has_positive, make_and, make_or, render

MIN_LENGTH = 2
MAX_LENGTH = 60

ErrorCode = Literal[
    "empty",
    "unbalanced_quote",
    "unbalanced_paren",
    "dangling_operator",
    "only_exclusions",
    "too_long",
    "too_short",
]
Kind = Literal["word", "exact", "or", "and", "not", "lparen", "rparen"]

_KEYWORDS: dict[str, Kind] = {"OR": "or", "AND": "and", "NOT": "not"}
_SYMBOLS: dict[str, Kind] = {"(": "lparen", ")": "rparen", "+": "and", "-": "not"}

# One lexeme per match: spaces, a quoted phrase, a stray quote, an operator symbol, a leading
# minus (a lexeme starts at a term boundary, so a hyphen inside "Rusia-Korea" never gets here)
# or a bare word. An "=" right before a word or a quote asks for the exact words only.
_LEXEME_RE = re.compile(
    r'(?P<space>\s+)|"(?P<quoted>[^"]*)"|(?P<quote>")|(?P<bars>\|+)'
    r'|(?P<symbol>[()+-])|(?P<exact>=)(?=[^\s=()|+])|(?P<word>[^\s"()|+]+)'
)


class TopicSyntaxError(ValueError):
    """A topic the reader wrote cannot be understood."""

    def __init__(self, code: ErrorCode, detail: str, position: int = 0) -> None:
        super().__init__(f"{code}: {detail}")
        self.code: ErrorCode = code
        self.detail = detail
        # Where in the topic the first error is (a character offset), for an editor to show.
        self.position = position


class Lexeme(NamedTuple):
    """One token of a topic: a word (bare or quoted) or an operator."""

    kind: Kind
    text: str
    position: int


def lex(text: str) -> list[Lexeme]:
    """Split `text` into lexemes; raise on an unterminated quote."""
    lexemes: list[Lexeme] = []
    for match in _LEXEME_RE.finditer(text):
        group, value = match.lastgroup, match.group()
        start = match.start()
        if group == "quote":
            raise TopicSyntaxError("unbalanced_quote", text[start:], start)
        if group == "quoted":
            lexemes.append(Lexeme("word", match.group("quoted"), start))
        elif group == "exact":
            lexemes.append(Lexeme("exact", value, start))
        elif group == "bars":
            lexemes.append(Lexeme("or", value, start))
        elif group == "symbol":
            lexemes.append(Lexeme(_SYMBOLS[value], value, start))
        elif group == "word":
            lexemes.append(Lexeme(_KEYWORDS.get(value, "word"), value, start))
    return lexemes


_STARTS_TERM = frozenset({"word", "exact", "not", "lparen"})
_PHRASE_PARTS = frozenset({"word", "exact"})

# Builds the phrase node for adjacent words; True asks for the exact words only.
PhraseBuilder = Callable[[str, bool], Node]


class Parser:
    """Recursive descent: OR of ANDs of (possibly negated) phrases and groups."""

    def __init__(self, lexemes: list[Lexeme], phrase: PhraseBuilder) -> None:
        self._lexemes = lexemes
        self._at = 0
        self._phrase = phrase

    def parse(self) -> Node:
        """Parse the whole topic."""
        if not self._lexemes:
            raise TopicSyntaxError("empty", "")
        node = self._or()
        extra = self._peek()
        if extra is not None:
            # Only a stray ")" can stop the OR loop early.
            raise TopicSyntaxError("unbalanced_paren", extra.text, extra.position)
        return node

    def _peek(self) -> Lexeme | None:
        """Return the next lexeme without consuming it."""
        return self._lexemes[self._at] if self._at < len(self._lexemes) else None

    def _next(self) -> Lexeme:
        """Consume and return the next lexeme."""
        lexeme = self._lexemes[self._at]
        self._at += 1
        return lexeme

    def _operand_follows(self, operator: Lexeme) -> None:
        """Raise unless a term follows the operator just consumed."""
        after = self._peek()
        if after is None or after.kind not in _STARTS_TERM:
            raise TopicSyntaxError("dangling_operator", operator.text, operator.position)

    def _or(self) -> Node:
        """Parse alternatives separated by OR or |."""
        children = [self._and()]
        while (lexeme := self._peek()) is not None and lexeme.kind == "or":
            self._operand_follows(self._next())
            children.append(self._and())
        return make_or(children) if len(children) > 1 else children[0]

    def _and(self) -> Node:
        """Parse terms joined by AND, + or plain adjacency."""
        children = [self._unary()]
        while (lexeme := self._peek()) is not None:
            if lexeme.kind == "and":
                self._operand_follows(self._next())
            elif lexeme.kind not in _STARTS_TERM:
                break
            # A term right after another one is an implicit AND ("Ukraina -Rusia").
            children.append(self._unary())
        return make_and(children) if len(children) > 1 else children[0]

    def _unary(self) -> Node:
        """Parse a term, possibly negated with NOT or a leading minus."""
        lexeme = self._peek()
        if lexeme is not None and lexeme.kind == "not":
            self._operand_follows(self._next())
            return Not(self._unary())
        return self._primary()

    def _primary(self) -> Node:
        """Parse a phrase or a parenthesised group."""
        lexeme = self._peek()
        if lexeme is None:
            last = self._lexemes[-1]
            raise TopicSyntaxError("dangling_operator", last.text, last.position)
        if lexeme.kind in _PHRASE_PARTS:
            return self._words()
        if lexeme.kind == "lparen":
            return self._group()
        if lexeme.kind == "rparen":
            raise TopicSyntaxError("unbalanced_paren", lexeme.text, lexeme.position)
        raise TopicSyntaxError("dangling_operator", lexeme.text, lexeme.position)

    def _words(self) -> Node:
        """Adjacent words, bare or quoted, form one phrase; an "=" among them makes it exact."""
        words: list[str] = []
        exact = False
        while (lexeme := self._peek()) is not None and lexeme.kind in _PHRASE_PARTS:
            self._next()
            if lexeme.kind == "exact":
                exact = True
            else:
                words.append(lexeme.text)
        return self._phrase(" ".join(words), exact)

    def _group(self) -> Node:
        """Parse an expression between parentheses."""
        opening = self._next()
        after = self._peek()
        if after is None:
            raise TopicSyntaxError("unbalanced_paren", opening.text, opening.position)
        if after.kind == "rparen":
            raise TopicSyntaxError("empty", "()", opening.position)
        node = self._or()
        closing = self._peek()
        if closing is None or closing.kind != "rparen":
            raise TopicSyntaxError("unbalanced_paren", opening.text, opening.position)
        self._next()
        return node


def check_exclusions(node: Node) -> None:
    """Raise unless the topic, and every OR alternative outside a NOT, has a positive phrase."""
    _check_alternatives(node)
    if not has_positive(node):
        raise TopicSyntaxError("only_exclusions", render(node))


def _check_alternatives(node: Node) -> None:
    """Raise if an OR outside a NOT has an alternative made of exclusions only."""
    if isinstance(node, And | Or):
        for child in node.children:
            if isinstance(node, Or) and not has_positive(child):
                raise TopicSyntaxError("only_exclusions", render(child))
            _check_alternatives(child)
