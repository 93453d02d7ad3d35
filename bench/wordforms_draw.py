"""Draw again the roots of the word-form labelled set (tests/data/wordforms_*.toml).

Run: pip install spacy-lookups-data==1.0.5 && python -m bench.wordforms_draw
(with the test extras, for PySastrawi's root dictionary)

Prints the 130 roots drawn with random.Random(20261207) from the attested word list: words
that are roots in PySastrawi's dictionary, 4-9 letters, Zipf 3.3-5.6, in no word family and
no one-word place, with at least two derived forms in the list by spaCy's Indonesian lemma
table (spacy-lookups-data 1.0.5, MIT; about 100 MB, so not a dependency). The set's cases were
written and labelled by hand for these roots; the lemma table only suggested forms.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import tomllib
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.matching.lexicon import load_lexicon
from bot.matching.readings import load_readings

SEED = 20261207
COUNT = 130
CLITICS = ("nya", "ku", "mu", "lah", "kah", "pun")


def sastrawi_roots() -> set[str]:
    """PySastrawi's root dictionary."""
    data = resources.files("Sastrawi") / "Stemmer" / "data" / "kata-dasar.txt"
    return set(data.read_text(encoding="utf-8").split())


def lemmas() -> dict[str, str]:
    """spaCy's Indonesian lemma table: word form -> lemma."""
    data = resources.files("spacy_lookups_data") / "data" / "id_lemma_lookup.json.gz"
    table: dict[str, str] = json.loads(gzip.decompress(data.read_bytes()))
    return table


def main() -> int:
    lexicon = load_lexicon()
    roots = sastrawi_roots()
    families_file = resources.files("bot") / "data" / "wordforms.toml"
    families = tomllib.loads(families_file.read_text(encoding="utf-8"))["family"]
    in_family = {form for family in families for form in family["forms"]}
    places = {words[0] for words in load_readings().places if len(words) == 1}
    derived: dict[str, int] = {}
    for form, lemma in lemmas().items():
        if form in lexicon and form != lemma and not form.endswith(CLITICS):
            derived[lemma] = derived.get(lemma, 0) + 1
    candidates = sorted(
        word
        for word, zipf in lexicon.zipf.items()
        if word in roots
        and 4 <= len(word) <= 9
        and 3.3 <= zipf <= 5.6
        and word not in in_family
        and word not in places
        and derived.get(word, 0) >= 2
    )
    for root in random.Random(SEED).sample(candidates, COUNT):
        print(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
