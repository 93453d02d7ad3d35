"""`warta match`: the bot's own cleaning and matching, on one article, from the shell."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.standin import FeedServer
from tests.pipeline.test_full_text import RAPAT, news_page

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
    # In the command line's language, English, as the rest of its output.
    assert "quotation mark is not closed" in result.stderr
    assert "kutip" not in result.stderr


def test_a_missing_file_exits_2_with_the_reason(tmp_path: Path) -> None:
    result = warta_match("banjir", str(tmp_path / "tidak-ada.html"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


@pytest.mark.parametrize(
    ("content", "loaded"),
    [
        ("SERANG - Banjir merendam ratusan rumah di Kota Serang.", "[]"),
        # A page needs the article extractor, and nothing else.
        (ARTICLE, "['trafilatura']"),
    ],
)
def test_match_loads_none_of_the_bots_network_or_database_libraries(
    tmp_path: Path, content: str, loaded: str
) -> None:
    # Importing every subcommand's libraries made each `warta match` take seconds.
    article = tmp_path / "artikel.html"
    article.write_text(content, encoding="utf-8")
    heavy = ["telegram", "feedparser", "httpx", "psycopg", "aiosqlite", "trafilatura"]
    script = (
        "import sys\n"
        "from bot.cli import main\n"
        f"code = main(['match', 'banjir AND Serang', {str(article)!r}])\n"
        f"print(code, [name for name in {heavy!r} if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip().splitlines()[-1] == f"0 {loaded}", result.stderr


# The page's title and headline name the outlet, and its menu comes before the dateline too.
OUTLET_PAGE = news_page("Kompas", "SERANG, KOMPAS.com —", RAPAT)


def test_an_html_page_is_read_as_the_bot_reads_an_article_page(tmp_path: Path) -> None:
    page = tmp_path / "artikel.html"
    page.write_text(OUTLET_PAGE, encoding="utf-8")
    # The dateline's outlet is not news, its place is; the title and the menu are not the article.
    result = warta_match("-v", "Kompas", str(page))
    assert result.returncode == 1, result.stdout
    assert "Beranda" not in result.stdout
    assert "Cibanten" in result.stdout
    assert warta_match("Suryana AND Serang", str(page)).returncode == 0
    # From standard input too.
    assert warta_match("Suryana AND Serang", stdin=OUTLET_PAGE).returncode == 0


async def test_a_saved_page_matches_as_the_same_page_fetched(
    tmp_path: Path, feeds: FeedServer
) -> None:
    page = tmp_path / "artikel.html"
    page.write_text(OUTLET_PAGE, encoding="utf-8")
    feeds.set_html("/kompas", OUTLET_PAGE)
    for topic in ("Kompas", "Suryana AND Serang", "Beranda"):
        fetched = await warta_match_async("-v", topic, feeds.url("/kompas"), allow="127.0.0.1")
        saved = await warta_match_async("-v", topic, str(page))
        assert saved == fetched


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


async def warta_match_async(*args: str, allow: str = "") -> tuple[int, str, str]:
    """Run `warta match` without blocking the loop that serves its article page."""
    env = {**os.environ, "WARTA_ALLOW_PRIVATE_FEEDS": allow, "TELEGRAM_BOT_TOKEN": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "match", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_url_is_fetched_and_extracted_as_the_bot_would(feeds: FeedServer) -> None:
    feeds.set_html("/rapat", news_page("Rapat banjir", "SERANG, KOMPAS.com —", RAPAT))
    code, out, _ = await warta_match_async(
        "Suryana AND Serang", feeds.url("/rapat"), "-v", allow="127.0.0.1"
    )
    assert code == 0
    assert "Cibanten" in out  # -v shows the article text it matched against
    assert "Baca juga" not in out
    assert "KOMPAS.com" not in out
    code, out, _ = await warta_match_async("gempa", feeds.url("/rapat"), allow="127.0.0.1")
    assert code == 1


async def test_a_url_on_a_private_address_is_refused(feeds: FeedServer) -> None:
    feeds.set_html("/rapat", news_page("Rapat banjir", "SERANG —", RAPAT))
    code, _, err = await warta_match_async("Suryana", feeds.url("/rapat"))
    assert code == 2
    assert "not public" in err
    assert feeds.requests == []


def test_where_prints_each_place_with_its_cue_and_the_names_not_taken(tmp_path: Path) -> None:
    article = tmp_path / "artikel.html"
    article.write_text(
        "<html><body><article><p>SORONG, ANTARA - Warga asal Garut ditemukan selamat di"
        " Raja Ampat setelah kapalnya tenggelam.</p></article></body></html>",
        encoding="utf-8",
    )
    result = warta_match("--where", str(article))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert "Kota Sorong (96.71): dateline, 'SORONG'" in lines
    assert "Kabupaten Raja Ampat (96.03): name, 'Raja Ampat'" in lines
    assert "not taken: 'Garut': a person's origin" in lines
    assert not any(line.startswith("Kabupaten Garut") for line in lines)


def test_where_without_a_place_exits_1() -> None:
    result = warta_match("--where", stdin="Rusia Serang Kyiv dengan Ratusan Drone")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "no place",
        "not taken: 'Serang': also a word or a name: no cue says it is the place",
    ]
