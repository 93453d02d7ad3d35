"""The items' words for PostgreSQL's full-text search, read as SQLite's FTS5 reads them."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")
_TERM = re.compile(r'"((?:[^"]|"")*)"|(AND|OR)|([()])')


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return _WORD.findall(plain)


def search_document(title: str, body: str) -> str:
    """The words of an item, casefolded, diacritics removed, joined by single spaces."""
    return " ".join(_words(title) + _words(body))


def tsquery(expression: str) -> str:
    """An FTS5 expression from bot/matching/fts.py as input for to_tsquery('simple', ...)."""
    out = []
    for found in _TERM.finditer(expression):
        quoted, operator, bracket = found.groups()
        if quoted is not None:
            words = _words(quoted.replace('""', '"'))
            out.append("(" + " <-> ".join(f"'{w}'" for w in words) + ")")
        elif operator:
            out.append("&" if operator == "AND" else "|")
        else:
            out.append(bracket)
    return " ".join(out)
