"""The attested Indonesian word list (bot/data/words-id.txt) as a lookup of word to frequency."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

WORD_LIST = "words-id.txt"


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """Words seen in real Indonesian text, each with its Zipf frequency."""

    zipf: Mapping[str, float]

    def __contains__(self, word: object) -> bool:
        return word in self.zipf

    def __len__(self) -> int:
        return len(self.zipf)


def parse_lexicon(lines: Iterable[str]) -> Lexicon:
    """Read the word list's lines: comments start with '#', then `word<TAB>zipf`."""
    zipf: dict[str, float] = {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        word, _, frequency = line.rstrip("\n").partition("\t")
        zipf[word] = float(frequency)
    return Lexicon(zipf=zipf)


@functools.cache
def load_lexicon() -> Lexicon:
    """Load the shipped word list once, on first use."""
    text = (resources.files("bot") / "data" / WORD_LIST).read_text(encoding="utf-8")
    return parse_lexicon(text.splitlines())
