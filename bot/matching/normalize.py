"""Word normalisation shared by topics and news items."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

# A phrase or form: normalised words in order.
Words = tuple[str, ...]

CLITICS = ("nya", "lah", "kah", "pun")
# Marks on a topic word that only the item's text can confirm (bot/matching/readings.py,
# expansion.py): the place of that name, a word in its literal sense, or a name written with a
# capital. None can appear in a word of text.
PLACE_MARK = "§"
SENSE_MARK = "+"
# A spelling of a name (bot/matching/spellings.py) that counts only where the text capitalises it.
NAME_MARK = "^"
MARKS = PLACE_MARK + SENSE_MARK + NAME_MARK
MIN_STEM = 3

# Words that merely end in a clitic-like syllable; stripping them would invent a different
# word ("masalah" is not "masa" + "-lah", "daulah" is not the district Dau + "-lah").
NOT_CLITIC = frozenset(
    {
        "abdullah",
        "alhamdulillah",
        "atikah",
        "baitullah",
        "barakah",
        "berkah",
        "bismillah",
        "daulah",
        "fadilah",
        "fathullah",
        "habibullah",
        "himpun",
        "hizbullah",
        "insyaallah",
        "istilah",
        "jamilah",
        "jumlah",
        "langkah",
        "majalah",
        "makkah",
        "malikah",
        "masalah",
        "masyaallah",
        "muamalah",
        "mubarakah",
        "nabilah",
        "nafkah",
        "nasrullah",
        "ramallah",
        "risalah",
        "rumpun",
        "saifullah",
        "sedekah",
        "sekolah",
        "serumpun",
        "subhanallah",
        "tingkah",
        "ubaidillah",
        "wasilah",
    }
)

# Letters and digits; everything else (punctuation, hyphens, underscores) separates words.
_WORD_RE = re.compile(r"[^\W_]+")


def strip_marks(text: str) -> str:
    """Decompose `text` and drop its combining marks (accents)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_word(word: str) -> str:
    """Case-fold one word and drop any accents the folding introduced."""
    folded = word.casefold()
    return folded if folded.isascii() else strip_marks(folded)


def base_text(text: str) -> str:
    """Apply NFKC and accent removal, keeping case and punctuation."""
    base = unicodedata.normalize("NFKC", text)
    return base if base.isascii() else strip_marks(base)


def raw_words(text: str) -> list[str]:
    """Split `text` into words after NFKC and accent removal, keeping their case."""
    return split_base(base_text(text))


def split_base(base: str) -> list[str]:
    """Split text already through `base_text` into words."""
    return _WORD_RE.findall(base)


def word_spans(base: str) -> list[tuple[int, int]]:
    """Where each word of `split_base(base)` starts and ends in `base`."""
    return [match.span() for match in _WORD_RE.finditer(base)]


def fold(text: str) -> str:
    """Normalise `text` to space-separated folded words."""
    return " ".join(fold_word(word) for word in raw_words(text))


def stem_chain(word: str) -> tuple[str, ...]:
    """Return `word` followed by the stems left after stripping clitics one at a time."""
    chain = [word]
    while word.endswith(CLITICS) and word not in NOT_CLITIC:
        stem = word[:-3]
        if len(stem) < MIN_STEM:
            break
        chain.append(stem)
        word = stem
    return tuple(chain)


def canonical(token: str) -> str:
    """Return the clitic-free lowercase form used to find candidate phrases."""
    return stem_chain(token.lstrip(MARKS).lower())[-1]


def document_tokens(text: str, marked: Collection[str]) -> list[tuple[str, ...]]:
    """Return, per word position of `text`, every form the word matches (canonical last)."""
    return word_forms(raw_words(text), marked)


def word_forms(raws: list[str], marked: Collection[str]) -> list[tuple[str, ...]]:
    """Return, per word, every form the word matches (canonical last)."""
    positions: list[tuple[str, ...]] = []
    for raw in raws:
        forms = stem_chain(fold_word(raw))
        # A case-sensitive form ("AS") adds its marker so only capitalised text matches it;
        # the marker goes first because the last form is the canonical one.
        positions.append((raw, *forms) if raw in marked else forms)
    return positions


def topic_tokens(text: str, marked: Collection[str]) -> tuple[str, ...]:
    """Return the words of a topic phrase as they must appear in an item."""
    return tuple(raw if raw in marked else fold_word(raw) for raw in raw_words(text))
