"""Precision and recall of topic matching over a labelled set of Indonesian news items."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.matching import TopicIndex, parse_topic, prepare_document
from bot.places.follow import covering_names, names_by_place
from bot.places.gazetteer import Gazetteer
from bot.places.locate import locate
from bot.topics.registry import plain_name

EVAL_SET = Path(__file__).resolve().parents[1] / "data" / "match_eval.toml"
MIN_CASES = 300
MIN_SCORE = 0.99
# Cases without a group test the documented word rules; the others are labelled by reader intent.
RULES = "rules"
READER_GROUPS = ("places", "forms", "regions", "spellings", "clitics")
MIN_GROUP_CASES = 20
MIN_GROUP_SCORE = 0.9


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled pair of item text and topic."""

    text: str
    topic: str
    expected: bool
    group: str = RULES


@dataclass(frozen=True, slots=True)
class Score:
    """Confusion counts and the figures derived from them."""

    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0


def load_cases() -> list[Case]:
    """Read the labelled cases."""
    data = tomllib.loads(EVAL_SET.read_text(encoding="utf-8"))
    return [Case(c["text"], c["topic"], c["expected"], c.get("group", RULES)) for c in data["case"]]


def score(cases: list[Case], predicted: list[bool]) -> Score:
    """Count agreement between labels and predictions."""
    pairs = list(zip((case.expected for case in cases), predicted, strict=True))
    return Score(
        true_positive=pairs.count((True, True)),
        false_positive=pairs.count((False, True)),
        false_negative=pairs.count((True, False)),
        true_negative=pairs.count((False, False)),
    )


def group_table(cases: list[Case], predicted: list[bool]) -> dict[str, Score]:
    """Score each group of cases on its own."""
    table: dict[str, Score] = {}
    for group in dict.fromkeys(case.group for case in cases):
        members = [n for n, case in enumerate(cases) if case.group == group]
        table[group] = score([cases[n] for n in members], [predicted[n] for n in members])
    return table


def format_table(table: dict[str, Score]) -> str:
    """Render per-group figures as a Markdown table."""
    lines = ["| group | cases | precision | recall |", "|---|---|---|---|"]
    for group, result in table.items():
        count = (
            result.true_positive
            + result.false_positive
            + result.false_negative
            + result.true_negative
        )
        lines.append(f"| {group} | {count} | {result.precision:.2f} | {result.recall:.2f} |")
    return "\n".join(lines)


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


def located_names(cases: list[Case]) -> dict[str, frozenset[str]]:
    """For each text, the names (folded) of the places the locator finds in it."""
    gazetteer = Gazetteer.load()
    by_place = names_by_place(gazetteer)
    return {
        case.text: covering_names(
            by_place, [place.code for place in locate(gazetteer, title="", teaser=case.text)]
        )
        for case in cases
    }


def predict(cases: list[Case]) -> list[bool]:
    """What the bot answers: the topic's words, or, for a topic that is a place's name, the
    text located in that place (as the bot's registry adds the located items)."""
    placed = located_names(cases)
    return [
        parse_topic(case.topic).matches(prepare_document("", case.text))
        or plain_name(case.topic) in placed[case.text]
        for case in cases
    ]


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


def test_eval_set_is_large_enough(cases: list[Case]) -> None:
    assert len(cases) >= MIN_CASES
    assert len({(case.text, case.topic) for case in cases}) == len(cases)
    for group in READER_GROUPS:
        members = [case for case in cases if case.group == group]
        assert len(members) >= MIN_GROUP_CASES, group
        assert any(case.expected for case in members), group
        assert not all(case.expected for case in members), group


def test_precision_and_recall(cases: list[Case]) -> None:
    predicted = predict(cases)
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
    table = group_table(cases, predicted)
    print(format_table(table))
    rules = table[RULES]
    assert rules.precision >= MIN_SCORE, misses
    assert rules.recall >= MIN_SCORE, misses
    for group in READER_GROUPS:
        assert table[group].precision >= MIN_GROUP_SCORE, (group, misses)
        assert table[group].recall >= MIN_GROUP_SCORE, (group, misses)


def test_index_gives_the_same_answers(cases: list[Case]) -> None:
    direct = [parse_topic(c.topic).matches(prepare_document("", c.text)) for c in cases]
    assert predict_with_index(cases) == direct
