"""Benchmark word forms by rule against a stemmer: precision, recall and cost.

Run: python -m bench.bench_wordforms [--rounds N]

The rules (bot/matching/wordforms.py, bot/matching/spellings.py) widen a topic word into its
attested forms once, when the topic is read; the stemmer (PySastrawi, a maintained Indonesian
stemmer with a root dictionary) is used the other way round: every word of the item's text is
stemmed and compared with the topic word's stem. "exact" is the word itself and its clitic
forms, what a topic without a family finds today. Scored on the labelled set of
tests/data/wordforms_*.toml; cost is CPU time, median of the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import append_result
from bot.matching.lexicon import load_lexicon
from bot.matching.normalize import fold_word, raw_words, stem_chain
from bot.matching.spellings import is_name, name_in_text, name_variants
from bot.matching.wordforms import WordForms, load_word_forms

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FILES = ("wordforms_tune.toml", "wordforms_heldout.toml")
Case = tuple[str, str, str, bool]
Predictor = Callable[[str, str], bool]


def load(file: str) -> list[Case]:
    cases = tomllib.loads((DATA / file).read_text(encoding="utf-8"))["case"]
    return [(c["group"], c["topic"], c["text"], c["expected"]) for c in cases]


def text_words(text: str) -> list[str]:
    return [stem_chain(fold_word(raw))[-1] for raw in raw_words(text)]


def exact(topic: str, text: str) -> bool:
    words = [fold_word(word) for word in raw_words(topic)]
    folded = text_words(text)
    return any(folded[n : n + len(words)] == words for n in range(len(folded)))


def by_rules(rules: WordForms) -> Predictor:
    def predict(topic: str, text: str) -> bool:
        if is_name(topic) or " " in topic or "'" in topic:
            return name_in_text(name_variants(topic), text)
        return rules.in_text(fold_word(topic), text)

    return predict


def by_stemmer(stem: Callable[[str], str]) -> Predictor:
    def predict(topic: str, text: str) -> bool:
        if is_name(topic) or " " in topic or "'" in topic:
            return exact(topic, text)
        root = stem(fold_word(topic))
        return any(stem(word) == root for word in text_words(text))

    return predict


def figures(cases: list[Case], predict: Predictor) -> tuple[float, float]:
    right = wrong = missed = 0
    for _group, topic, text, expected in cases:
        got = predict(topic, text)
        right += got and expected
        wrong += got and not expected
        missed += expected and not got
    precision = right / (right + wrong) if right + wrong else 1.0
    recall = right / (right + missed) if right + missed else 1.0
    return precision, recall


def cpu_us(work: Callable[[], object], count: int, rounds: int) -> float:
    """Median CPU microseconds per unit of `work` (which does `count` units)."""
    times = []
    for _ in range(rounds):
        started = time.process_time()
        work()
        times.append((time.process_time() - started) / count * 1e6)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stemmer = StemmerFactory().create_stemmer()
    uncached = stemmer.delegatedStemmer.stem
    started = time.process_time()
    load_lexicon()
    rules = load_word_forms()
    load_ms = (time.process_time() - started) * 1000
    predictors = {"exact": exact, "rules": by_rules(rules), "sastrawi": by_stemmer(uncached)}
    print("| file | group | approach | precision | recall |\n|---|---|---|---|---|")
    scores = {}
    for file in FILES:
        cases = load(file)
        for group in ("forms", "names"):
            members = [case for case in cases if case[0] == group]
            for name, predict in predictors.items():
                precision, recall = figures(members, predict)
                scores[file, group, name] = (precision, recall)
                print(f"| {file} | {group} | {name} | {precision:.3f} | {recall:.3f} |")
    cases = [case for file in FILES for case in load(file)]
    topics = sorted({fold_word(case[1]) for case in cases if case[0] == "forms"})
    words = [word for case in cases for word in text_words(case[2])]

    def expand() -> None:
        fresh = WordForms(rules.lexicon, rules.sense_changed, rules.figurative)
        for topic in topics:
            fresh.forms(topic)

    expand_us = cpu_us(expand, len(topics), rounds)
    stem_us = cpu_us(lambda: [uncached(word) for word in words], len(words), rounds)
    widened = {topic: frozenset(rules.forms(topic)) for topic in topics}
    lookup_us = cpu_us(
        lambda: [word in widened[topic] for topic in topics[:20] for word in words],
        20 * len(words),
        rounds,
    )
    variant_us = cpu_us(
        lambda: [name_variants(case[1]) for case in cases if case[0] == "names"],
        sum(case[0] == "names" for case in cases),
        rounds,
    )
    print(
        f"\nlexicon and senses loaded in {load_ms:.0f} ms CPU; widening a topic word "
        f"{expand_us:.0f} µs; a name's variants {variant_us:.0f} µs; looking a text word up "
        f"in a widened topic {lookup_us:.2f} µs; Sastrawi stemming a text word "
        f"{stem_us:.0f} µs (uncached)"
    )
    held = [scores["wordforms_heldout.toml", group, "rules"] for group in ("forms", "names")]
    append_result(
        "word forms by rule vs Sastrawi (bench/bench_wordforms.py)",
        f"held out: forms {held[0][0]:.3f} / {held[0][1]:.3f}, names {held[1][0]:.3f} / "
        f"{held[1][1]:.3f}; widen {expand_us:.0f} µs a topic word, Sastrawi "
        f"{stem_us:.0f} µs a text word",
        "precision >= 0.97, recall >= 0.90 per group",
        f"{len(cases)} labelled cases, {len(topics)} topic words, {len(words)} text words, "
        f"median of {rounds} rounds",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
