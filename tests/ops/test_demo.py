"""`warta demo`: the real bot, no token, no network, a reader's chat, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.demo.scenario import TOPICS, expected_alerts, load_demo_news

ROOT = Path(__file__).resolve().parents[2]


def test_demo_shows_a_reader_getting_alerts_and_cleans_up(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    scratch = tmp_path / "tmp"
    workdir.mkdir()
    scratch.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "WARTA_", "HTTP_", "HTTPS_", "http_", "https_"))
    }
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(scratch), COLUMNS="100")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # hung, not slow
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Only problems are logged: a clean demo logs nothing (it once warned about article pages
    # of its invented news site, which it can never fetch).
    assert [
        line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line
    ] == []
    output = result.stdout
    # The reader's side of the chat, as typed and as answered.
    assert "Siti ▸ /langganan banjir, gempa, Korea Utara" in output
    assert "🔔 banjir" in output
    assert "Banjir rendam ratusan rumah di Kecamatan Kasemen, Serang" in output
    assert "🔔 Korea Utara" in output  # matched through "Korut" in the headline
    # Links are shown with their address; Telegram's HTML tags are not.
    assert "(https://berita.example/banten/banjir-rendam-kasemen-serang)" in output
    assert "<b>" not in output
    assert "<a href" not in output
    # Not followed, so never alerted; found on request.
    assert "🔔 harga beras" not in output
    assert "Bulog gelar operasi pasar untuk tekan harga beras jelang Ramadan" in output
    assert list(workdir.iterdir()) == []
    assert list(scratch.iterdir()) == []


def test_sample_news_gives_the_reader_some_alerts_and_some_silence() -> None:
    feeds, items = load_demo_news()
    assert {feed.region for feed in feeds} == {"Banten", "Jawa Barat", "Nasional"}
    fresh = [item for item in items if item.phase == "during"]
    alerted = expected_alerts(fresh, TOPICS)
    assert 0 < len(alerted) < len(fresh)
    assert {item.feed for item in items} == {feed.key for feed in feeds}
