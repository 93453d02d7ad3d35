"""Rebuild bot/data/words-id.txt, the attested Indonesian word list, from its upstream package.

The upstream is wordfreq's Indonesian list (words seen at a frequency of at least one in a
million in Wikipedia, subtitles and Twitter). Run with the pinned package installed:

    pip install wordfreq==3.1.1 && python -m bot.matching.lexicon_refresh

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


def target() -> Path:
    """Where the shipped list lives in the source tree."""
    return Path(str(resources.files("bot") / "data" / "words-id.txt"))


def main() -> int:
    """Write the list from the installed upstream package, refusing another version."""
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
