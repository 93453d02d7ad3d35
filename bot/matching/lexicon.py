"""The attested Indonesian word list (bot/data/words-id.txt) as a lookup of word to frequency,
with the words a root dictionary lists as roots (bot/data/roots-id.txt)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

WORD_LIST = "words-id.txt"
ROOT_LIST = "roots-id.txt"


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """Words seen in real Indonesian text, each with its Zipf frequency."""

    zipf: Mapping[str, float]
    # Words that are roots of their own, whatever affix they seem to carry ("beras", "pemuda").
    roots: frozenset[str] = frozenset()

    def __contains__(self, word: object) -> bool:
        return word in self.zipf

    def __len__(self) -> int:
        return len(self.zipf)


def parse_lexicon(lines: Iterable[str], root_lines: Iterable[str] = ()) -> Lexicon:
    """Read the word list's lines (comments start with '#', then `word<TAB>zipf`) and the root
    list's (a word a line)."""
    zipf: dict[str, float] = {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        word, _, frequency = line.rstrip("\n").partition("\t")
        zipf[word] = float(frequency)
    roots = frozenset(line.strip() for line in root_lines if line.strip() and line[0] != "#")
    return Lexicon(zipf=zipf, roots=roots)


@functools.cache
def load_lexicon() -> Lexicon:
    """Load the shipped word and root lists once, on first use."""
    data = resources.files("bot") / "data"
    words = (data / WORD_LIST).read_text(encoding="utf-8")
    roots = (data / ROOT_LIST).read_text(encoding="utf-8")
    return parse_lexicon(words.splitlines(), roots.splitlines())
