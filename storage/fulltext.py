"""PostgreSQL full-text search that finds at least the items SQLite's FTS5 finds, and fast.

On SQLite, items are indexed by FTS5's unicode61 tokenizer with remove_diacritics 2, and searched
with the expressions bot/matching/fts.py builds. Here the same words are found as FTS5 finds
them and written as the item's tsvector directly (no PostgreSQL parser, whose idea of a word
differs: "1.000", "a-b", addresses and paths stay whole, and emoji are dropped outside the C
locale); searches cast their tsquery the same way (never to_tsquery, which would parse again).

- A word is a run of unicode61's token characters: letters, numbers and private use as of
  Unicode 6.1 (`_SEPARATORS` lists the rest above ASCII, read from SQLite itself), and code
  points unassigned in 6.1; combining accents (`_ACCENTS`) continue a word but never start one.
  Each character is case-folded as in Unicode 6.1 (Python's newer pairs in `_KEPT` stay apart)
  and loses its accents when it is a Latin letter ("é" to "e", "İ" to "i").
- A word is indexed without the clitics at its end (`index_word`: "banjirnya" is "banjir"),
  and searches ask for their words the same way, so one lexeme stands for a word in all its
  clitic forms (see "Clitics" below).
- An all-ASCII word is its own lexeme ("banjirnya", "2024", "covid19"). Any other word is
  spelled as its code points, "0.26085.26412" (no ASCII word looks like it).
- Each pair of adjacent words is a lexeme too ("banjir+serang"; no word's lexeme holds "+").
  PostgreSQL's GIN index keeps no positions: a phrase asked as `'banjir' <-> 'serang'` makes it
  read back every item holding both words (tens of thousands at a million items), while the
  pair is one lookup. A two-word phrase is its pair; a longer one all its pairs, in any order:
  asking their order too (`'a' <-> 'b' <-> 'c'`) made the GIN index read every posting of each
  word and weigh the whole query for each of those items (0.6-0.8 s for a chat's four topics at a
  million items, against 0.15 s for the pairs alone), while the pairs without their order let
  through only a few more items, which the matcher refuses. So PostgreSQL finds at least the
  items FTS5 finds: the same for words and two-word phrases, a few more for longer phrases.
- A lexeme is cut to `MAX_LEXEME_BYTES` (PostgreSQL refuses longer ones): words that share that
  prefix then find each other, which only adds candidates; the matcher refuses them.
- Title and body are one sequence of positions with one left out between them, so no phrase or
  pair spans the two, as FTS5's separate columns (and the matcher) have it.

Clitics: Indonesian writes -nya, -lah, -kah and -pun onto a word ("banjirnya",
"rumahnyapun"), and the matcher (bot/matching/normalize.py) takes such a word for the word itself
too. Asking the index for each word with every clitic and pair of clitics cost 21 lookups a word,
and a topic widened into its word forms went over what a search may ask. So both engines index
the stripped word (SQLite's FTS5 the item's `search_words`, written by `index_text`; PostgreSQL
the tsvector) and both look the stripped topic word up once. The index strips every clitic
while MIN_STEM letters are left, with none of the matcher's exceptions ("masalah" is indexed as
"masa"): whatever the matcher strips, the index strips too, so the word the matcher finds is
always the word the index has; the exceptions only let more candidates through.

Limits: PostgreSQL refuses a tsvector over 1 MB, counts positions up to 16383 and keeps the
first 256 positions of a lexeme. Only the first MAX_TITLE_CHARS of a title and MAX_BODY_CHARS of
a body are read (the bot stores titles of at most 1000 characters and bodies of at most 4000),
so a document stays far below the first two. Searches read no positions: a phrase is found by
its pairs however often its words repeat.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

# What the index strips from a word's end, while at least MIN_STEM letters are left; at least
# what the matcher strips (bot/matching/normalize.py, tests/storage/test_fulltext.py checks).
CLITICS = ("nya", "lah", "kah", "pun")
MIN_STEM = 3
_CLITIC_LENGTH = 3
# What tsquery() gives when an expression can match nothing: a lexeme no document holds.
NO_MATCH = "'-1'"
# PostgreSQL skips longer words ("word is too long to be indexed").
MAX_LEXEME_BYTES = 2046
# PostgreSQL's limits on positions: the highest one, and how many one lexeme keeps.
MAX_POSITION = 16383
MAX_POSITIONS = 256
# The title and body read for the search words. PostgreSQL refuses a tsvector over 1 MB: a
# character costs at most about 30 bytes of it (a non-ASCII word's code points, in the word's
# lexeme and in two pairs', and its position), so these keep a document under a third of that,
# and its positions under MAX_POSITION.
MAX_TITLE_CHARS = 1000
MAX_BODY_CHARS = 10_000

# unicode61's separators above ASCII (hex code points): what Unicode 6.1 files under neither
# letters, numbers nor private use. Read from SQLite 3.40's FTS5; tests/storage/test_fulltext.py
# checks every code point against the SQLite at hand.
_SEPARATORS = (
    "80-a9 ab-b1 b4 b6-b8 bb bf d7 f7 2c2-2c5 2d2-2df 2e5-2eb 2ed 2ef-2ff 305 30d-30e 310 "
    "312-31a 31c-322 329-32c 32f 332-36f 375 37e 384-385 387 3f6 482-489 55a-55f 589-58a 58f "
    "591-5c7 5f3-5f4 600-604 606-61b 61e-61f 64b-65f 66a-66d 670 6d4 6d6-6e4 6e7-6ed 6fd-6fe "
    "700-70d 70f 711 730-74a 7a6-7b0 7eb-7f3 7f6-7f9 816-819 81b-823 825-827 829-82d 830-83e "
    "859-85b 85e 8e4-8fe 900-903 93a-93c 93e-94f 951-957 962-965 970 981-983 9bc 9be-9c4 "
    "9c7-9c8 9cb-9cd 9d7 9e2-9e3 9f2-9f3 9fa-9fb a01-a03 a3c a3e-a42 a47-a48 a4b-a4d a51 "
    "a70-a71 a75 a81-a83 abc abe-ac5 ac7-ac9 acb-acd ae2-ae3 af0-af1 b01-b03 b3c b3e-b44 "
    "b47-b48 b4b-b4d b56-b57 b62-b63 b70 b82 bbe-bc2 bc6-bc8 bca-bcd bd7 bf3-bfa c01-c03 "
    "c3e-c44 c46-c48 c4a-c4d c55-c56 c62-c63 c7f c82-c83 cbc cbe-cc4 cc6-cc8 cca-ccd cd5-cd6 "
    "ce2-ce3 d02-d03 d3e-d44 d46-d48 d4a-d4d d57 d62-d63 d79 d82-d83 dca dcf-dd4 dd6 dd8-ddf "
    "df2-df4 e31 e34-e3a e3f e47-e4f e5a-e5b eb1 eb4-eb9 ebb-ebc ec8-ecd f01-f1f f34-f3f "
    "f71-f87 f8d-f97 f99-fbc fbe-fcc fce-fda 102b-103e 104a-104f 1056-1059 105e-1060 "
    "1062-1064 1067-106d 1071-1074 1082-108d 108f 109a-109f 10fb 135d-1368 1390-1399 1400 "
    "166d-166e 1680 169b-169c 16eb-16ed 1712-1714 1732-1736 1752-1753 1772-1773 17b4-17d6 "
    "17d8-17db 17dd 1800-180e 18a9 1920-192b 1930-193b 1940 1944-1945 19b0-19c0 19c8-19c9 "
    "19de-19ff 1a17-1a1b 1a1e-1a1f 1a55-1a5e 1a60-1a7c 1a7f 1aa0-1aa6 1aa8-1aad 1b00-1b04 "
    "1b34-1b44 1b5a-1b7c 1b80-1b82 1ba1-1bad 1be6-1bf3 1bfc-1bff 1c24-1c37 1c3b-1c3f "
    "1c7e-1c7f 1cc0-1cc7 1cd0-1ce8 1ced 1cf2-1cf4 1dc0-1de6 1dfc-1dff 1fbd 1fbf-1fc1 "
    "1fcd-1fcf 1fdd-1fdf 1fed-1fef 1ffd-1ffe 2000-2064 206a-206f 207a-207e 208a-208e "
    "20a0-20b9 20d0-20f0 2100-2101 2103-2106 2108-2109 2114 2116-2118 211e-2123 2125 2127 "
    "2129 212e 213a-213b 2140-2144 214a-214d 214f 2190-23f3 2400-2426 2440-244a 249c-24e9 "
    "2500-26ff 2701-2775 2794-2b4c 2b50-2b59 2ce5-2cea 2cef-2cf1 2cf9-2cfc 2cfe-2cff 2d70 "
    "2d7f 2de0-2e2e 2e30-2e3b 2e80-2e99 2e9b-2ef3 2f00-2fd5 2ff0-2ffb 3000-3004 3008-3020 "
    "302a-3030 3036-3037 303d-303f 3099-309c 30a0 30fb 3190-3191 3196-319f 31c0-31e3 "
    "3200-321e 322a-3247 3250 3260-327f 328a-32b0 32c0-32fe 3300-33ff 4dc0-4dff a490-a4c6 "
    "a4fe-a4ff a60d-a60f a66f-a67e a69f a6f0-a6f7 a700-a716 a720-a721 a789-a78a a802 a806 "
    "a80b a823-a82b a836-a839 a874-a877 a880-a881 a8b4-a8c4 a8ce-a8cf a8e0-a8f1 a8f8-a8fa "
    "a926-a92f a947-a953 a95f a980-a983 a9b3-a9cd a9de-a9df aa29-aa36 aa43 aa4c-aa4d "
    "aa5c-aa5f aa77-aa79 aa7b aab0 aab2-aab4 aab7-aab8 aabe-aabf aac1 aade-aadf aaeb-aaf1 "
    "aaf5-aaf6 abe3-abed fb1e fb29 fbb2-fbc1 fd3e-fd3f fdfc-fdfd fe00-fe19 fe20-fe26 "
    "fe30-fe52 fe54-fe66 fe68-fe6b feff ff01-ff0f ff1a-ff20 ff3b-ff40 ff5b-ff65 ffe0-ffe6 "
    "ffe8-ffee fff9-ffff 10100-10102 10137-1013f 10179-10189 10190-1019b 101d0-101fd 1039f "
    "103d0 10857 1091f 1093f 10a01-10a03 10a05-10a06 10a0c-10a0f 10a38-10a3a 10a3f "
    "10a50-10a58 10a7f 10b39-10b3f 11000-11002 11038-1104d 11080-11082 110b0-110c1 "
    "11100-11102 11127-11134 11140-11143 11180-11182 111b3-111c0 111c5-111c8 116ab-116b7 "
    "12470-12473 16f51-16f7e 16f8f-16f92 1d000-1d0f5 1d100-1d126 1d129-1d1dd 1d200-1d245 "
    "1d300-1d356 1d6c1 1d6db 1d6fb 1d715 1d735 1d74f 1d76f 1d789 1d7a9 1d7c3 1eef0-1eef1 "
    "1f000-1f02b 1f030-1f093 1f0a0-1f0ae 1f0b1-1f0be 1f0c1-1f0cf 1f0d1-1f0df 1f110-1f12e "
    "1f130-1f16b 1f170-1f19a 1f1e6-1f202 1f210-1f23a 1f240-1f248 1f250-1f251 1f300-1f320 "
    "1f330-1f335 1f337-1f37c 1f380-1f393 1f3a0-1f3c4 1f3c6-1f3ca 1f3e0-1f3f0 1f400-1f43e "
    "1f440 1f442-1f4f7 1f4f9-1f4fc 1f500-1f53d 1f540-1f543 1f550-1f567 1f5fb-1f640 "
    "1f645-1f64f 1f680-1f6c5 1f700-1f773 e0001 e0020-e007f e0100-e01ef "
)
# Combining accents that continue a word (and are dropped) but never start one.
_ACCENTS = "300-304 306-30c 30f 311 31b 323-328 32d-32e 330-331"
# Letters Unicode 6.1 gives no case pair (Python's Unicode does) and "ǡ", which FTS5 keeps.
_KEPT = "1e1 37f 528-52e 13f8-13fd 1c80-1cbf 2c2f a698-a69a a796-a79e a7ab-a7f5 ab70-abbf"
# The only letters above the BMP that Unicode 6.1 folds: Deseret capitals.
_DESERET = range(0x10400, 0x10428)
_DESERET_OFFSET = 40
_ASCII_SEPARATORS = r"\x00-/:-@\[-`{-\x7f"
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
# Quoted strings, parentheses and operators; anything else (group 3) is refused.
_EXPRESSION_RE = re.compile(r'("(?:[^"]|"")*"\*?)|([()]|(?:AND|OR)(?![^\s"()]))|(\S)|\s+')


def search_document(title: str, body: str) -> str:
    """The item's `search` tsvector, as text: its words (with their positions, as FTS5 reads
    them) and each pair of adjacent words, title and body apart."""
    positions: dict[str, list[int]] = {}
    start = 0
    # What the bot stores is shorter (titles are cut when cleaned, bodies when stored): only
    # an item stored otherwise (an older Warta, a copied SQLite file) is cut here.
    for part in (title[:MAX_TITLE_CHARS], body[:MAX_BODY_CHARS]):
        found = [_lexeme(index_word(word)) for word in words(part)]
        for at, lexeme in enumerate(found, start=start + 1):
            positions.setdefault(lexeme, []).append(at)
        for at, pair in enumerate(itertools.pairwise(found), start=start + 1):
            positions.setdefault(_pair(*pair), []).append(at)
        start += len(found) + 1  # a position between title and body: no phrase spans the two
    # Lexemes hold ASCII letters, digits, dots and "+" only: nothing in them needs escaping.
    if start <= MAX_POSITION:
        return " ".join(f"'{lexeme}':{','.join(map(str, at))}" for lexeme, at in positions.items())
    return " ".join(
        f"'{lexeme}':{','.join(str(min(p, MAX_POSITION)) for p in at[:MAX_POSITIONS])}"
        for lexeme, at in positions.items()
    )


def index_word(word: str) -> str:
    """A word as the index holds it: without the clitics at its end ("rumahnyapun": "rumah")."""
    while word.endswith(CLITICS) and len(word) - _CLITIC_LENGTH >= MIN_STEM:
        word = word[:-_CLITIC_LENGTH]
    return word


def index_text(title: str, body: str) -> str:
    """The item's `search_words` for SQLite's FTS5: its words as the index holds them, the
    title's on the first line, the body's on the second."""
    return "\n".join(" ".join(map(index_word, words(part))) for part in (title, body))


def fts5_expression(expression: str) -> str:
    """The FTS5 expression bot/matching/fts.py builds, with its words as the index holds them
    (a prefix, "kirim"*, is left as it is: it is looked up among the index's words)."""
    return "".join(map(_indexed_token, _EXPRESSION_RE.finditer(expression)))


def _indexed_token(match: re.Match[str]) -> str:
    quoted = match[1]
    if quoted is None or quoted.endswith("*"):
        return match[0]
    found = words(quoted[1:-1].replace('""', '"'))
    return '"' + " ".join(map(index_word, found)) + '"'


def tsquery(expression: str) -> str:
    """The FTS5 expression bot/matching/fts.py builds, as a tsquery (to be cast, not parsed):
    phrases as their pairs (see _phrase), AND as &, OR as |, words as search_document has them.

    A phrase with no words matches nothing, as in FTS5; so does an expression left with none
    (NO_MATCH). ValueError for anything that is not such an expression.
    """
    parser = _Parser(expression)
    query = parser.any_of()
    parser.expect_end()
    return NO_MATCH if query is None else query


def words(text: str) -> list[str]:
    """The words of text as FTS5's unicode61 tokenizer (remove_diacritics 2) indexes them."""
    if not text.isascii() and max(text) > "\uffff":
        text = _ASTRAL_RE.sub(_astral_separator_as_space, text)
    return [
        word.lower() if word.isascii() else "".join(map(_fold, word))
        for word in _word_re().findall(text)
    ]


def _lexeme(word: str) -> str:
    """A word's lexeme: ASCII as is, anything else as its code points ("0.26085.26412")."""
    if word.isascii():
        return word if len(word) <= MAX_LEXEME_BYTES else word[:MAX_LEXEME_BYTES]
    spelled = "0"
    for char in word:
        code = f".{ord(char)}"
        if len(spelled) + len(code) > MAX_LEXEME_BYTES:
            break
        spelled += code
    return spelled


@functools.cache
def _word_re() -> re.Pattern[str]:
    # Separators above the BMP are spaces by now: a class within the BMP is a fast table.
    separators = _ASCII_SEPARATORS + _char_class(_SEPARATORS)
    accents = _char_class(_ACCENTS)
    return re.compile(f"[^{separators}{accents}][^{separators}]*")


def _astral_separator_as_space(match: re.Match[str]) -> str:
    return " " if ord(match[0]) in _code_points(_SEPARATORS) else match[0]


def _char_class(ranges: str) -> str:
    """The ranges ("300-304 30f") within the BMP as the inside of a character class."""
    parts = [[int(end, 16) for end in part.split("-")] for part in ranges.split()]
    return "".join("-".join(f"\\u{end:04x}" for end in ends) for ends in parts if ends[0] <= 0xFFFF)


@functools.cache
def _code_points(ranges: str) -> frozenset[int]:
    """Hex ranges ("300-304 30f") as the set of their code points."""
    points: set[int] = set()
    for part in ranges.split():
        first, _, last = part.partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(points)


@functools.cache
def _fold(char: str) -> str:
    """One character of a word as unicode61 folds it ("" for an accent)."""
    code = ord(char)
    if code > 0xFFFF:
        return chr(code + _DESERET_OFFSET) if code in _DESERET else char
    if code in _code_points(_ACCENTS):
        return ""
    if code in _code_points(_KEPT):
        return char
    folded = _single(char.casefold()) or _single(char.lower()) or char
    if ord(folded) in _code_points(_KEPT):
        return folded
    base = unicodedata.normalize("NFD", folded)
    if base[0].isascii() and all(unicodedata.combining(mark) for mark in base[1:]):
        return base[0].lower()  # a Latin letter with its accents: "é", "İ"
    return folded


def _single(text: str) -> str | None:
    return text if len(text) == 1 else None


class _Parser:
    """Reads an FTS5 expression: quoted strings (a word among them may be a prefix, "kirim"*),
    AND, OR (looser than AND) and parentheses."""

    def __init__(self, expression: str) -> None:
        self._expression = expression
        # (kind, text, offset): kind is '"' for a quoted string, else the token itself.
        found = (_token(match) for match in _EXPRESSION_RE.finditer(expression))
        self._tokens = [token for token in found if token[0]]
        self._at = 0

    def any_of(self) -> str | None:
        """OR: None when no part can match."""
        parts = [self.all_of()]
        while self._take("OR"):
            parts.append(self.all_of())
        return _joined(_distinct(parts), " | ")

    def all_of(self) -> str | None:
        """AND: None when some part cannot match."""
        parts = [self.primary()]
        while self._take("AND"):
            parts.append(self.primary())
        if None in parts:
            return None
        return _joined(_distinct(parts), " & ")

    def primary(self) -> str | None:
        """A quoted string (its words as a phrase) or an expression in parentheses."""
        if self._take('"'):
            quoted = self._tokens[self._at - 1][1]
            if quoted.endswith("*"):
                return _prefix(words(quoted[1:-2].replace('""', '"')))
            found = words(quoted[1:-1].replace('""', '"'))
            return _phrase([_lexeme(index_word(word)) for word in found])
        if self._take("("):
            inner = self.any_of()
            if not self._take(")"):
                raise self._error("')' expected")
            return inner
        raise self._error("a quoted string or '(' expected")

    def expect_end(self) -> None:
        """Refuse whatever follows a whole expression."""
        if self._at < len(self._tokens):
            raise self._error("end expected")

    def _take(self, kind: str) -> bool:
        if self._at < len(self._tokens) and self._tokens[self._at][0] == kind:
            self._at += 1
            return True
        return False

    def _error(self, what: str) -> ValueError:
        at = self._tokens[self._at][2] if self._at < len(self._tokens) else len(self._expression)
        return ValueError(f"FTS5 expression: {what} at {at}: {self._expression!r}")


def _token(match: re.Match[str]) -> tuple[str, str, int]:
    """One token of an expression; its kind is "" for spaces, "?" for what fts.py never writes."""
    if match[1] is not None:
        return ('"', match[1], match.start())
    return (match[2] or ("?" if match[3] else ""), match[0], match.start())


def _phrase(lexemes: list[str]) -> str | None:
    """Adjacent words: their pairs, which the GIN index answers alone (for more than two words,
    in any order: see the module's docstring)."""
    if len(lexemes) < 2:
        return _joined([_quoted(lexeme) for lexeme in lexemes], "")
    pairs = list(dict.fromkeys(_pair(a, b) for a, b in itertools.pairwise(lexemes)))
    return _joined([_quoted(pair) for pair in pairs], " & ")


def _prefix(found: list[str]) -> str | None:
    """A word and every word it begins ("kirim"* in FTS5): one word only, as fts.py writes it."""
    if len(found) != 1:
        raise ValueError(f"FTS5 expression: a prefix of one word expected: {found!r}")
    return _quoted(_lexeme(found[0])) + ":*"


def _pair(first: str, second: str) -> str:
    """The lexeme of two adjacent words ("+" is in no word's lexeme), cut as a word is."""
    return f"{first}+{second}"[:MAX_LEXEME_BYTES]


def _distinct(parts: list[str | None]) -> list[str]:
    return list(dict.fromkeys(part for part in parts if part is not None))


def _joined(parts: list[str], operator: str) -> str | None:
    """Parts joined by a tsquery operator, in parentheses when more than one; None for none."""
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + operator.join(parts) + ")"


def _quoted(lexeme: str) -> str:
    # Lexemes hold only ASCII letters, digits and dots; quoting keeps any other a single term.
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
