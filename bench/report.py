"""Append one benchmark figure to bench/results.md, next to its target."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("results.md")
HEADER = (
    "# Benchmark results\n\n"
    "Each line is one run on the machine named in it.\n\n"
    "| date (UTC) | benchmark | result | target | conditions |\n"
    "|---|---|---|---|---|\n"
)


def append_result(name: str, result: str, target: str, conditions: str) -> None:
    """Add a row to the results table, creating the file if needed."""
    if not RESULTS.exists():
        RESULTS.write_text(HEADER, encoding="utf-8")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write(f"| {stamp} | {name} | {result} | {target} | {conditions}; {machine} |\n")


def ms_at(values: Iterable[float], fraction: float) -> str:
    """The value (seconds) at a fraction of the way through the sorted values, in ms; "-" if
    there are none."""
    ordered = sorted(values)
    if not ordered:
        return "-"
    return f"{ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000:.1f} ms"
