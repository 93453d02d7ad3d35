"""The locator against the labelled set: precision and recall per (text, place) pair.

Two files, scored apart: places_tune.toml (the locator was tuned on it) and places_heldout.toml
(set aside, committed before any locating code). Provinces and kabupaten/kota are scored apart.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.places.gazetteer import Gazetteer
from bot.places.locate import locate

DATA = Path(__file__).resolve().parent.parent / "data"
# The goals of the issue, for the held-out third; the tuning set is held to the same.
GOALS = {"province": (0.97, 0.90), "regency": (0.95, 0.85)}


@dataclass(frozen=True)
class Score:
    """Pairs found right, found wrong and missed, for one kind of place."""

    right: int
    wrong: int
    missed: int

    @property
    def precision(self) -> float:
        return self.right / (self.right + self.wrong) if self.right + self.wrong else 1.0

    @property
    def recall(self) -> float:
        return self.right / (self.right + self.missed) if self.right + self.missed else 1.0


def is_province(code: str) -> bool:
    return "." not in code


def score(gazetteer: Gazetteer, file: str) -> tuple[dict[str, Score], list[str]]:
    """The scores on one file, and one line per case the locator got wrong."""
    cases = tomllib.loads((DATA / file).read_text(encoding="utf-8"))["case"]
    counts = {kind: [0, 0, 0] for kind in GOALS}
    errors = []
    for case in cases:
        expected = set(case["places"])
        got = {found.code for found in locate(gazetteer, title=case["text"])}
        for code in expected | got:
            kind = "province" if is_province(code) else "regency"
            slot = 0 if code in expected and code in got else 1 if code in got else 2
            counts[kind][slot] += 1
        if expected != got:
            extra, missing = sorted(got - expected), sorted(expected - got)
            errors.append(f"{case['text']!r}: extra {extra}, missing {missing}")
    return {kind: Score(*values) for kind, values in counts.items()}, errors


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.mark.parametrize(
    "file",
    [
        "places_tune.toml",
        # Measured once when the locator was done (province precision 0.961, 5 wrong of 129:
        # under the 0.97 goal), and once after rules for the guide's traps were added from the
        # tuning set: 0.976 (3 wrong of 127), the other three figures meeting theirs too. Never
        # read or tuned on.
        "places_heldout.toml",
    ],
)
def test_locating_meets_the_goals(gazetteer: Gazetteer, file: str) -> None:
    scores, errors = score(gazetteer, file)
    print(f"\n{file}")
    for kind, result in scores.items():
        print(
            f"  {kind:9} precision {result.precision:.3f} recall {result.recall:.3f} "
            f"({result.right} right, {result.wrong} wrong, {result.missed} missed)"
        )
    for kind, (precision, recall) in GOALS.items():
        assert scores[kind].precision >= precision, (kind, errors)
        assert scores[kind].recall >= recall, (kind, errors)


def test_the_labelled_set_has_the_shape_asked_for(gazetteer: Gazetteer) -> None:
    # At least 400 texts, every province at least 8 times, at least 30 % traps or no place.
    cases = [
        case
        for file in ("places_tune.toml", "places_heldout.toml")
        for case in tomllib.loads((DATA / file).read_text(encoding="utf-8"))["case"]
    ]
    assert len(cases) >= 400
    assert sum(case.get("trap", False) for case in cases) >= 0.3 * len(cases)
    for province in gazetteer.provinces():
        assert sum(province.code in case["places"] for case in cases) >= 8, province.name
    known = {code for case in cases for code in case["places"]}
    assert all(gazetteer.by_code(code) is not None for code in known)
