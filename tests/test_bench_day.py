"""The day-of-news benchmark's quick mode runs through: real processes, alerts delivered once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HUNG = 600  # seconds: the quick mode takes about one minute


@pytest.mark.slow
def test_quick_day_delivers_every_alert_once(tmp_path: Path) -> None:
    figures = tmp_path / "day.json"
    subprocess.run(
        [sys.executable, "-m", "bench.bench_day", "--quick", "--no-record", "--json", figures],
        cwd=ROOT,
        check=True,
        timeout=HUNG,
    )
    (day,) = json.loads(figures.read_text(encoding="utf-8"))
    assert day["published"] > 0
    assert day["fetched"] == day["published"]  # every item the sites published was stored
    assert day["sent"] > 0
    assert day["sent"] == day["queued"] == day["received"]
    assert day["lost"] == 0
    assert day["duplicated"] == 0
