"""Spellings of names by rule: the usual other ways news writes a capitalised name.

"Soeharto" is also "Suharto", "Al-Azhar" also "Al Azhar", "Riyadh" also "Riyad", "Dnipro" also
"Dnepr": old Indonesian spellings (oe/u, dj/j, tj/c, ch/kh, sj/sy), separators and apostrophes,
doubled letters, and the common transliteration pairs of Arabic and Slavic names. Only these
pairs, at most `MAX_VARIANTS` a name, so that names that merely look alike stay apart ("Iran" is
not "Irak", "Rina" is not "Rini"). Ordinary (lower-case) words get no variants.

Pure: no storage, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.matching.normalize import fold_word, raw_words

MAX_VARIANTS = 16
VOWELS = "aeiou"
# One sound written two ways. Each rule is (where the letters are, how the other spelling
# writes them): the older or transliterated spelling is written back to the usual one anywhere;
# the way back only where names have it ("Ahmad" -> "Achmad", not "Hasan" -> "Chasan").
# Order is priority: the variants a name has room for come from the first rules first.
SOUND_RULES = (
    (r"oe", "u"),
    (r"u", "oe"),
    (r"dj", "j"),
    (r"(?:^|(?<=[aeiou]))j", "dj"),
    (r"tj", "c"),
    (r"c(?!h)", "tj"),
    (r"sj", "sy"),
    (r"sy", "sj"),
    (r"ch", "kh"),
    (r"kh", "ch"),
    (r"ch", "h"),
    (r"kh", "h"),
    (r"(?<=[aeiou])h(?=[^aeiou]|$)", "kh"),
    (r"(?<=[aeiou])h(?=[^aeiou]|$)", "ch"),
    (r"q", "k"),
    (r"^k(?!h)|k$", "q"),
    (r"dh", "d"),
    (r"d(?=[aeiou]|$)", "dh"),
    (r"zh", "z"),
    (r"^z(?!h)", "zh"),
    (r"iy", "y"),
    (r"(?<=[bcdfgjklmpqrtvz])y(?=[aeiou])", "iy"),
)
# Arabic and Slavic name patterns where vowels differ between transliterations.
NAME_PATTERNS = (
    (r"^moh", "muh"),
    (r"med$", "mad"),
    (r"^ky", "ki"),
    (r"iv$", "ov"),
    (r"kiev$", "kyiv"),
    (r"ipro$", "epr"),
)
# Vowels, and consonants names never double or that belong to a pair of letters.
_NOT_DOUBLED = frozenset("aeiouhywqj")
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_SEPARATORS = re.compile(r"[\s\-]+")
_ARTICLE = re.compile(r"^(al|el|as|ad|ar|an)(?=[a-z]{3})")


def spelling_key(name: str) -> str:
    """A name folded as every variant of it is compared: lower case, no apostrophes."""
    return _SEPARATORS.sub(" ", _APOSTROPHES.sub("", name.casefold())).strip()


def is_name(word: str) -> bool:
    """Tell whether a topic word is written as a name (capitalised)."""
    return word[:1].isupper()


def name_variants(name: str) -> tuple[str, ...]:
    """The name's key first, then its usual other spellings, at most `MAX_VARIANTS` in all."""
    key = spelling_key(name)
    if not is_name(name.strip()):
        return (key,)
    found = dict.fromkeys([key, *_separator_variants(key)])
    frontier = list(found)
    while frontier and len(found) < MAX_VARIANTS:
        following: list[str] = []
        for variant in frontier:
            for changed in _one_change(variant):
                if changed not in found and len(found) < MAX_VARIANTS:
                    found[changed] = None
                    following.append(changed)
        frontier = following
    return tuple(found)


def _separator_variants(key: str) -> list[str]:
    """ "al azhar" <-> "al-azhar" <-> "alazhar" (hyphens are spaces in a key)."""
    variants = []
    if " " in key:
        variants.append(key.replace(" ", ""))
    else:
        article = _ARTICLE.match(key)
        if article is not None:
            variants.append(key[: article.end()] + " " + key[article.end() :])
    return variants


def _one_change(variant: str) -> Iterable[str]:
    """The spellings one rule away from `variant`."""
    for pattern, replacement in SOUND_RULES:
        for found in re.finditer(pattern, variant):
            yield variant[: found.start()] + replacement + variant[found.end() :]
    for pattern, replacement in NAME_PATTERNS:
        yield re.sub(pattern, replacement, variant)
        back = pattern.replace("^", "").replace("$", "")
        anchored = ("^" if pattern.startswith("^") else "") + replacement
        anchored += "$" if pattern.endswith("$") else ""
        yield re.sub(anchored, back, variant)
    yield from _doubling(variant)


def _doubling(variant: str) -> Iterable[str]:
    """`variant` with one doubled letter written once, or one consonant between vowels doubled."""
    for number in range(1, len(variant)):
        char = variant[number]
        if char == variant[number - 1] and char.isalpha():
            yield variant[:number] + variant[number + 1 :]
        elif (
            char.isalpha()
            and char not in _NOT_DOUBLED
            and variant[number - 1] in VOWELS
            and variant[number + 1 : number + 2] in tuple(VOWELS)
        ):
            yield variant[:number] + char + variant[number:]
    if variant.endswith("y") and not variant.endswith("yy"):
        yield variant + "y"


def name_in_text(variants: Sequence[str], text: str) -> bool:
    """Tell whether the text names one of the variants in capitalised words."""
    raws = raw_words(_APOSTROPHES.sub("", text))
    folded = [fold_word(raw) for raw in raws]
    for variant in variants:
        words = variant.split(" ")
        for start in range(len(raws) - len(words) + 1):
            if folded[start : start + len(words)] == words and all(
                raw[:1].isupper() for raw in raws[start : start + len(words)]
            ):
                return True
    return False
