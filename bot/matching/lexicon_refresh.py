"""Rebuild bot/data/words-id.txt, the attested Indonesian word list, from its upstream package,
and bot/data/roots-id.txt, the words of that list that a dictionary of roots lists as roots.

The upstream of the words is wordfreq's Indonesian list (words seen at a frequency of at least
one in a million in Wikipedia, subtitles and Twitter); that of the roots, the root dictionary
PySastrawi ships (kata-dasar.txt). Run with the pinned packages installed:

    pip install wordfreq==3.1.1 && python -m bot.matching.lexicon_refresh
    pip install pysastrawi==1.2.1 && python -m bot.matching.lexicon_refresh roots

The list is data, not code: it is never edited by hand; a new upstream version is taken by
changing `UPSTREAM_VERSION` and running this again.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata, resources
from pathlib import Path

from bot.matching.lexicon import parse_lexicon

UPSTREAM = "wordfreq"
UPSTREAM_VERSION = "3.1.1"
LANGUAGE = "id"
WORDLIST = "small"
# Words only: wordfreq also lists numbers, symbols, emoji and English contractions.
_WORD = re.compile(r"[a-z]{2,}")
HEADER = """\
# Attested Indonesian words: every word form of two or more letters a-z that wordfreq's
# Indonesian list holds, with its Zipf frequency (log10 of occurrences per billion words).
# Word forms of topics are only ever taken from here (bot/matching/wordforms.py).
#
# source:  {upstream} {version} (PyPI), wordlist "{language}" / "{wordlist}"
# licence: wordfreq's code is Apache-2.0; its word lists are CC BY-SA 4.0, built from
#          Wikipedia, OpenSubtitles and Twitter, as credited in wordfreq's README.
#          This file is a derived list under CC BY-SA 4.0, attributed here.
# refresh: pip install {upstream}=={version} && python -m bot.matching.lexicon_refresh
# words:   {count}
"""


def render(version: str, buckets: Sequence[Iterable[str]]) -> str:
    """The word list file from wordfreq's buckets (bucket n holds frequency 10^(-n/100))."""
    zipf: dict[str, float] = {}
    for number, bucket in enumerate(buckets):
        for word in bucket:
            if _WORD.fullmatch(word) and word not in zipf:
                zipf[word] = 9 - number / 100
    lines = [f"{word}\t{zipf[word]:.2f}" for word in sorted(zipf)]
    header = HEADER.format(
        upstream=UPSTREAM,
        version=version,
        language=LANGUAGE,
        wordlist=WORDLIST,
        count=len(lines),
    )
    return header + "\n".join(lines) + "\n"


ROOTS_UPSTREAM = "pysastrawi"
ROOTS_VERSION = "1.2.1"
ROOTS_HEADER = """\
# Indonesian roots: the words of words-id.txt that PySastrawi's dictionary of root words
# (kata-dasar.txt) lists. A listed root is a word of its own: "beras" is not "ber-" + "ras",
# "keras" not a form of "ras", "pemuda" not of "muda" (bot/matching/wordforms.py).
#
# source:  {upstream} {version} (PyPI), Sastrawi/Stemmer/data/kata-dasar.txt
# licence: PySastrawi is MIT-licensed (Copyright (c) 2016 Hanif Amal Robbani); its word list is
#          used here under that licence, attributed here.
# refresh: pip install {upstream}=={version} && python -m bot.matching.lexicon_refresh roots
# roots:   {count}
"""


def render_roots(version: str, roots: Iterable[str], words: Iterable[str]) -> str:
    """The roots file: the dictionary's roots that the attested word list holds, sorted."""
    attested = set(words)
    kept = sorted({root.strip() for root in roots} & attested)
    header = ROOTS_HEADER.format(upstream=ROOTS_UPSTREAM, version=version, count=len(kept))
    return header + "\n".join(kept) + "\n"


def target(name: str = "words-id.txt") -> Path:
    """Where a shipped list lives in the source tree."""
    return Path(str(resources.files("bot") / "data" / name))


def _refresh_roots() -> int:
    version = metadata.version(ROOTS_UPSTREAM)
    if version != ROOTS_VERSION:
        print(f"{ROOTS_UPSTREAM} {version} installed, {ROOTS_VERSION} pinned", file=sys.stderr)
        return 1
    dictionary = resources.files("Sastrawi") / "Stemmer" / "data" / "kata-dasar.txt"
    roots = dictionary.read_text(encoding="utf-8").splitlines()
    words = parse_lexicon(target().read_text(encoding="utf-8").splitlines()).zipf
    target("roots-id.txt").write_text(render_roots(version, roots, words), encoding="utf-8")
    return 0


def main() -> int:
    """Write a list from its installed upstream package, refusing another version."""
    if sys.argv[1:] == ["roots"]:
        return _refresh_roots()
    version = metadata.version(UPSTREAM)
    if version != UPSTREAM_VERSION:
        print(f"{UPSTREAM} {version} installed, {UPSTREAM_VERSION} pinned", file=sys.stderr)
        return 1
    wordfreq = importlib.import_module(UPSTREAM)
    buckets = wordfreq.get_frequency_list(LANGUAGE, WORDLIST)
    target().write_text(render(version, buckets), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
