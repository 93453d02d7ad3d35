"""The bundled feed list: every address traced to a public list, every province accounted for."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from bot.feeds.feedlist import load_feed_list

README = Path(__file__).resolve().parents[1] / "README.md"
NATIONAL = "Nasional"
PROVINCES = (
    "Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Jambi", "Sumatera Selatan", "Bengkulu",
    "Lampung", "Kepulauan Bangka Belitung", "Kepulauan Riau", "DKI Jakarta", "Jawa Barat",
    "Jawa Tengah", "DI Yogyakarta", "Jawa Timur", "Banten", "Bali", "Nusa Tenggara Barat",
    "Nusa Tenggara Timur", "Kalimantan Barat", "Kalimantan Tengah", "Kalimantan Selatan",
    "Kalimantan Timur", "Kalimantan Utara", "Sulawesi Utara", "Sulawesi Tengah",
    "Sulawesi Selatan", "Sulawesi Tenggara", "Gorontalo", "Sulawesi Barat", "Maluku",
    "Maluku Utara", "Papua", "Papua Barat", "Papua Selatan", "Papua Tengah", "Papua Pegunungan",
    "Papua Barat Daya",
)  # fmt: skip

# Entries older than recorded sources, whose public list had not been traced again. Every one
# has been since; the set stays so that it can only shrink: an entry given a `source` leaves it.
UNTRACED: frozenset[str] = frozenset()

REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
COMMIT = re.compile(r"[0-9a-f]{40}")
COVERAGE = re.compile(r"\*\*(Covered|Not yet covered)\*\* \((\d+)\): (.+)\.")


def bundled_entries() -> list[dict[str, Any]]:
    """The [[feeds]] tables of the bundled list, with every key as written."""
    text = resources.files("bot").joinpath("data", "feeds-id.toml").read_text("utf-8")
    entries: list[dict[str, Any]] = tomllib.loads(text)["feeds"]
    return entries


def readme_coverage() -> dict[str, list[str]]:
    """The provinces the README lists as covered and as not yet covered."""
    heading = "### Which provinces have a feed"
    readme = README.read_text("utf-8")
    assert heading in readme, "README has no coverage section"
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    found: dict[str, list[str]] = {}
    for paragraph in section.split("\n\n"):
        listing = COVERAGE.fullmatch(" ".join(paragraph.split()))
        if listing is None:
            continue
        kind, count, names = listing.groups()
        provinces = [name.strip() for name in names.split(",")]
        assert len(provinces) == int(count), f"the README counts {count} {kind} provinces"
        found[kind] = provinces
    assert set(found) == {"Covered", "Not yet covered"}, "README lacks a coverage list"
    return found


def test_every_bundled_feed_records_the_public_list_that_names_its_address() -> None:
    entries = bundled_entries()
    for entry in entries:
        source = entry.get("source")
        if entry["url"] in UNTRACED:
            assert source is None, f"{entry['url']} has a source now: take it out of UNTRACED"
            continue
        assert isinstance(source, dict), f"{entry['url']} records no source"
        assert REPOSITORY.fullmatch(source.get("repo", "")), f"{entry['url']}: repo not owner/name"
        path = source.get("path", "")
        assert path, f"{entry['url']}: no path"
        assert not path.startswith("/"), f"{entry['url']}: path not inside the repository"
        assert ".." not in path.split("/"), f"{entry['url']}: path not inside the repository"
        assert COMMIT.fullmatch(source.get("commit", "")), f"{entry['url']}: commit not 40 hex"
    listed = {entry["url"] for entry in entries}
    assert listed >= UNTRACED, "UNTRACED names a feed no longer listed"


def test_the_readme_calls_a_province_covered_exactly_when_a_traced_feed_is_its_own() -> None:
    coverage = readme_coverage()
    covered, uncovered = coverage["Covered"], coverage["Not yet covered"]
    assert sorted(covered + uncovered) == sorted(PROVINCES)
    # Regions are followed by name: official province names (or Nasional), one name per place.
    assert {seed.region for seed in load_feed_list(None)} <= {*PROVINCES, NATIONAL}
    traced = {entry["region"] for entry in bundled_entries() if "source" in entry}
    assert set(covered) == traced - {NATIONAL}
    assert not traced & set(uncovered)
