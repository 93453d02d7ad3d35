"""Precision and recall of topic matching over a labelled set of Indonesian news items."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.matching import TopicIndex, parse_topic, prepare_document

EVAL_SET = Path(__file__).resolve().parents[1] / "data" / "match_eval.toml"
MIN_CASES = 300
MIN_SCORE = 0.97


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled pair of item text and topic."""

    text: str
    topic: str
    expected: bool


@dataclass(frozen=True, slots=True)
class Score:
    """Confusion counts and the figures derived from them."""

    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int

    @property
    def precision(self) -> float:
        return self.true_positive / (self.true_positive + self.false_positive)

    @property
    def recall(self) -> float:
        return self.true_positive / (self.true_positive + self.false_negative)


def load_cases() -> list[Case]:
    """Read the labelled cases."""
    data = tomllib.loads(EVAL_SET.read_text(encoding="utf-8"))
    return [Case(c["text"], c["topic"], c["expected"]) for c in data["case"]]


def score(cases: list[Case], predicted: list[bool]) -> Score:
    """Count agreement between labels and predictions."""
    pairs = list(zip((case.expected for case in cases), predicted, strict=True))
    return Score(
        true_positive=pairs.count((True, True)),
        false_positive=pairs.count((False, True)),
        false_negative=pairs.count((True, False)),
        true_negative=pairs.count((False, False)),
    )


def predict_with_index(cases: list[Case]) -> list[bool]:
    """Match every case through one shared index, as the bot does."""
    index = TopicIndex()
    for number, case in enumerate(cases):
        index.add(number, parse_topic(case.topic))
    matched_by_text: dict[str, set[int]] = {}
    for case in cases:
        if case.text not in matched_by_text:
            matched_by_text[case.text] = index.match(prepare_document("", case.text))
    return [number in matched_by_text[case.text] for number, case in enumerate(cases)]


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


def test_eval_set_is_large_enough(cases: list[Case]) -> None:
    assert len(cases) >= MIN_CASES
    assert len({(case.text, case.topic) for case in cases}) == len(cases)


def test_precision_and_recall(cases: list[Case]) -> None:
    predicted = [parse_topic(c.topic).matches(prepare_document("", c.text)) for c in cases]
    result = score(cases, predicted)
    misses = [
        f"{'FP' if got else 'FN'} {case.topic!r} in {case.text[:70]!r}"
        for case, got in zip(cases, predicted, strict=True)
        if got != case.expected
    ]
    print(
        f"\nmatch_eval: {len(cases)} cases, precision {result.precision:.3f}, "
        f"recall {result.recall:.3f} ({result})"
    )
    print("\n".join(misses))
    assert result.precision >= MIN_SCORE, misses
    assert result.recall >= MIN_SCORE, misses


def test_index_gives_the_same_answers(cases: list[Case]) -> None:
    direct = [parse_topic(c.topic).matches(prepare_document("", c.text)) for c in cases]
    assert predict_with_index(cases) == direct
