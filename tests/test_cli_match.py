"""`warta match`: the bot's own cleaning and matching, on one article, from the shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ARTICLE = """<html><body><article>
<p>SERANG, (ANTARA) - Banjir merendam ratusan rumah di Kota Serang setelah hujan deras.</p>
<p>Warga mengungsi ke masjid terdekat.</p>
<p>Baca Juga: Gempa magnitudo 5 guncang Lebak</p>
</article></body></html>"""


def warta_match(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "match", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_match_prints_the_words_and_exits_0(tmp_path: Path) -> None:
    article = tmp_path / "artikel.html"
    article.write_text(ARTICLE, encoding="utf-8")
    result = warta_match("banjir AND Serang", str(article))
    assert result.returncode == 0
    assert "banjir" in result.stdout
    assert "serang" in result.stdout.lower()


def test_no_match_exits_1_and_related_article_lines_do_not_count() -> None:
    # "Gempa" appears only in a "Baca Juga" line, which ingestion removes before matching.
    result = warta_match("gempa", stdin=ARTICLE)
    assert result.returncode == 1
    assert "no match" in result.stdout


def test_serang_is_not_serangan() -> None:
    assert warta_match("Serang", stdin="Serangan udara di Gaza berlanjut.").returncode == 1


def test_an_invalid_topic_exits_2_with_the_reason() -> None:
    result = warta_match('"Korea Utara', stdin=ARTICLE)
    assert result.returncode == 2
    assert "Korea Utara" in result.stderr
    assert "kutip" in result.stderr


def test_a_missing_file_exits_2_with_the_reason(tmp_path: Path) -> None:
    result = warta_match("banjir", str(tmp_path / "tidak-ada.html"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_match_loads_none_of_the_bots_network_or_database_libraries(tmp_path: Path) -> None:
    # Importing every subcommand's libraries made each `warta match` take seconds.
    article = tmp_path / "artikel.html"
    article.write_text(ARTICLE, encoding="utf-8")
    heavy = ["telegram", "feedparser", "httpx", "psycopg", "aiosqlite"]
    script = (
        "import sys\n"
        "from bot.cli import main\n"
        f"code = main(['match', 'banjir AND Serang', {str(article)!r}])\n"
        f"print(code, [name for name in {heavy!r} if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr


def test_help_still_lists_every_subcommand() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    for name in ("run", "match", "backup", "demo", "feeds", "migrate-db"):
        assert name in result.stdout


def test_the_feeds_region_reads_a_headline_about_its_place() -> None:
    headline = "Serang Diguyur Hujan Deras, Sejumlah Ruas Jalan Tergenang"
    assert warta_match("Serang", stdin=headline).returncode == 1
    result = warta_match("Serang", "--region", "Banten", stdin=headline)
    assert result.returncode == 0
    assert "serang" in result.stdout.lower()
    assert "§" not in result.stdout
