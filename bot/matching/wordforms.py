"""Word forms by rule: the attested affixed forms of an Indonesian topic word.

A topic word is widened to the forms Indonesian morphology builds from its root: the prefixes
me-/di-/ter-/ber-/pe-/per-/ke-, the suffixes -an/-kan/-i, the confixes ke-...-an, pe-...-an and
per-...-an, with the nasal sound changes of me- and pe- (tulis -> menulis, penulisan; sapu ->
menyapu; pakai -> memakai; kirim -> mengirim). Only forms in the attested word list
(bot/data/words-id.txt) are kept, and none that bot/data/wordform-senses.toml says changed the
sense. A derived topic word widens back to its root where it keeps the root's sense.

Pure: no storage, no I/O beyond loading the shipped data once.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from bot.matching.lexicon import Lexicon, load_lexicon
from bot.matching.normalize import fold_word, raw_words, stem_chain

VOWELS = frozenset("aeiou")
SUFFIXES = ("", "an", "kan", "i")
MIN_ROOT = 3
# Words either side of a form in which a figurative cue counts.
FIGURATIVE_WINDOW = 2
NUMBER_CUE = "#"
# Prefixes as they appear before a root, with the root's first letter they may have absorbed
# (me- + tulis -> menulis): read back by `_roots_of`.
_NASAL_BACK = (
    ("meny", ("s",)),
    ("peny", ("s",)),
    ("meng", ("", "k")),
    ("peng", ("", "k")),
    ("menge", ("",)),
    ("penge", ("",)),
    ("mem", ("", "p")),
    ("pem", ("", "p")),
    ("men", ("", "t")),
    ("pen", ("", "t")),
    ("me", ("",)),
    ("pe", ("",)),
)
_VERB_PREFIXES = ("me", "di", "ber", "be")
_PLAIN_PREFIXES = (
    "memper", "diper", "keter", "ke", "di", "ter", "te", "ber", "be", "per",
)  # fmt: skip


def nasal(base: str, root: str) -> list[str]:
    """The root after me-/pe- (`base`) with the nasal sound change, and its loanword variant."""
    first, second = root[0], root[1:2]
    clustered = second not in VOWELS
    if first in VOWELS or first in "gh":
        forms = [base + "ng" + root]
    elif first == "k":
        forms = [base + "ng" + root] if clustered else [base + "ng" + root[1:], base + "ng" + root]
    elif first in "bfv":
        forms = [base + "m" + root]
    elif first == "p":
        forms = [base + "m" + root] if clustered else [base + "m" + root[1:], base + "m" + root]
    elif first in "dcjz":
        forms = [base + "n" + root]
    elif first == "t":
        forms = [base + "n" + root] if clustered else [base + "n" + root[1:]]
    elif first == "s":
        forms = [base + "n" + root] if clustered else [base + "ny" + root[1:]]
    else:
        forms = [base + root]
    if _syllables(root) == 1:
        forms.append(base + "nge" + root)
    return forms


def _syllables(word: str) -> int:
    """Vowel groups in `word`, a count of its syllables."""
    groups = 0
    previous = False
    for char in word:
        vowel = char in VOWELS
        groups += vowel and not previous
        previous = vowel
    return groups


# Reading a topic word generates the forms of each root it may come from, and of each form's
# rivals: a bot's topics share most roots, so they are generated once.
@functools.lru_cache(maxsize=16384)
def generate(root: str) -> frozenset[str]:
    """Every form the affix rules build from `root`, attested or not."""
    # ber-, ter- and per- lose their r before an r and before a first syllable in -er
    # (beternak, bekerja, terasa).
    before_r = root.startswith("r") or (
        root[1:3] == "er" and root[3:4] != "" and root[3] not in VOWELS
    )
    ber, ter, per = ("be", "te", "pe") if before_r else ("ber", "ter", "per")
    forms: set[str] = {root + suffix for suffix in SUFFIXES if suffix}
    for me in nasal("me", root):
        forms.update(me + suffix for suffix in SUFFIXES)
    for pe in nasal("pe", root):
        forms.update((pe, pe + "an"))
    for suffix in SUFFIXES:
        forms.update(("di" + root + suffix, ter + root + suffix, "memper" + root + suffix))
        forms.add("diper" + root + suffix)
    forms.update((ber + root, ber + root + "an", ber + root + "kan"))
    forms.update(("pe" + root, "pe" + root + "an", per + root + "an"))
    forms.update(("ke" + root, "ke" + root + "an", "keter" + root + "an"))
    forms.discard(root)
    return frozenset(forms)


@dataclass(frozen=True, slots=True, eq=False)
class WordForms:
    """The affix rules over the attested word list, with the derivations that change sense."""

    lexicon: Lexicon
    # Derived word -> roots whose sense it does not keep.
    sense_changed: Mapping[str, frozenset[str]]
    # Root -> words that make its forms figurative nearby.
    figurative: Mapping[str, frozenset[str]]

    def forms(self, word: str) -> tuple[str, ...]:
        """The topic word first, then the attested forms of its root that keep its sense."""
        root = self.root_of(word)
        found = [word]
        if root != word:
            found.append(root)
        found.extend(sorted(self._forms_of(root) - {word, root}))
        return tuple(found)

    def root_of(self, word: str) -> str:
        """The root a derived word keeps the sense of, or the word itself."""
        if word in self.sense_changed or word in self.lexicon.roots or self._is_root(word):
            return word
        roots = [root for root in self._roots_of(word) if self._keeps_sense(word, root)]
        if not roots:
            return word
        # The deepest root: "penulisan" is "penulis" + -an, and both are forms of "tulis".
        return min(roots, key=lambda root: (len(root), -self.lexicon.zipf[root]))

    def _is_root(self, word: str) -> bool:
        """Tell whether the word list holds verbs built on `word`, as it does for roots.

        "ternak" has "beternak": it is a root, not "ter-" + "nak".
        """
        return any(
            form.startswith(_VERB_PREFIXES) and not form.startswith(word)
            for form in self._forms_of(word)
        )

    def _roots_of(self, word: str) -> list[str]:
        """Attested roots that the affix rules turn into `word`."""
        stems: set[str] = set()
        for suffix in SUFFIXES:
            if suffix and not word.endswith(suffix):
                continue
            bare = word[: len(word) - len(suffix)] if suffix else word
            stems.add(bare)
            for prefix, restored in _NASAL_BACK:
                if bare.startswith(prefix):
                    stems.update(first + bare[len(prefix) :] for first in restored)
            stems.update(bare[len(p) :] for p in _PLAIN_PREFIXES if bare.startswith(p))
            if bare.startswith("ke") and bare.endswith("an"):
                stems.add(bare[2:-2])
        return sorted(
            stem
            for stem in stems
            if len(stem) >= MIN_ROOT
            and stem != word
            and stem in self.lexicon
            and word in generate(stem)
        )

    def _keeps_sense(self, form: str, root: str) -> bool:
        """Tell whether `form`, built from `root`, still means what the root means."""
        if root in self.sense_changed.get(form, frozenset()):
            return False
        return not self._belongs_elsewhere(form, root)

    def _belongs_elsewhere(self, form: str, root: str) -> bool:
        """Tell whether a prefixed `form` reads first as another word plus a suffix.

        "berikan" is "beri" + -kan before it is "ber-" + "ikan": suffixes are taken off first,
        as Indonesian stemmers do.
        """
        if form.startswith(root):
            return False
        related = generate(root) | {root}
        for suffix in ("kan", "an", "i"):
            stem = form[: -len(suffix)]
            if form.endswith(suffix) and stem in self.lexicon and stem not in related:
                return len(stem) >= MIN_ROOT
        return False

    @functools.lru_cache(maxsize=4096)  # noqa: B019 -- the rules are built once and kept
    def _forms_of(self, root: str) -> frozenset[str]:
        """The attested forms of `root` that keep its sense."""
        # A form the root dictionary lists as a root is a word of its own: "keras" is not
        # "ke-" + "ras", "pemuda" not "pe-" + "muda".
        return frozenset(
            form
            for form in generate(root)
            if form in self.lexicon
            and form not in self.lexicon.roots
            and self._keeps_sense(form, root)
        )

    def in_text(self, word: str, text: str) -> bool:
        """Tell whether the text holds a form of the topic word in its literal sense."""
        forms = frozenset(self.forms(word))
        root = self.root_of(word)
        chains = [stem_chain(fold_word(raw)) for raw in raw_words(text)]
        canonical = [chain[-1] for chain in chains]
        return any(
            not forms.isdisjoint(chain) and self.is_literal(root, canonical, number)
            for number, chain in enumerate(chains)
        )

    def is_literal(self, root: str, words: Sequence[str], number: int) -> bool:
        """Tell whether no figurative cue of `root` surrounds the word at `number`."""
        cues = self.figurative.get(root)
        if not cues:
            return True
        start = max(0, number - FIGURATIVE_WINDOW)
        around = [*words[start:number], *words[number + 1 : number + 1 + FIGURATIVE_WINDOW]]
        if NUMBER_CUE in cues and any(word[:1].isdigit() for word in around[-2:]):
            return False
        return cues.isdisjoint(around)


def build_word_forms(lexicon: Lexicon, senses: Mapping[str, Any]) -> WordForms:
    """The rules from a word list and the parsed bot/data/wordform-senses.toml."""
    changed: Mapping[str, list[str]] = senses.get("sense_changed", {})
    figures: Mapping[str, list[str]] = senses.get("figurative", {})
    return WordForms(
        lexicon=lexicon,
        sense_changed={form: frozenset(roots) for form, roots in changed.items()},
        figurative={root: frozenset(cues) for root, cues in figures.items()},
    )


@functools.cache
def load_word_forms() -> WordForms:
    """Load the shipped word list and sense data once, on first use."""
    data = resources.files("bot") / "data" / "wordform-senses.toml"
    return build_word_forms(load_lexicon(), tomllib.loads(data.read_text(encoding="utf-8")))


@functools.cache
def load_figures() -> Mapping[str, str]:
    """Every attested form of a root that has figurative cues, with that root."""
    rules = load_word_forms()
    return {form: root for root in rules.figurative for form in rules.forms(root)}
