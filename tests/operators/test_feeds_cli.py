"""`warta feeds export|import|check`: OPML round trip, hostile OPML, and the health table."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from rich.console import Console

from bot.cli import main
from bot.cli.feeds import check_table
from bot.feeds.check import check_feeds
from bot.feeds.feedlist import FeedListError, load_feed_list
from bot.feeds.fetch import build_http_client
from bot.feeds.opml import OpmlError, feeds_from_opml, feeds_to_opml
from bot.feeds.parse import ParsedEntry
from bot.feeds.workers import CleanText, WorkerPool
from bot.standin import FeedServer
from storage import Storage
from storage.models import FeedSeed, FullTextMode
from tests.factories import news
from tests.inprocess import LOOPBACK_FEEDS
from tests.postgres import PostgresServer, postgres_database

SEEDS = """
[[feeds]]
name = "ANTARA Banten"
url = "http://127.0.0.1:9/banten.xml"
region = "Banten"

[[feeds]]
name = "Kompas Nasional"
url = "http://127.0.0.1:9/nasional.xml"
region = "Nasional"
"""


def use_database(
    monkeypatch: pytest.MonkeyPatch, folder: Path, feeds_toml: str, database: str | None = None
) -> Path | str:
    """Point `warta` at a database (a file in folder unless given) and a feeds file."""
    folder.mkdir(exist_ok=True)
    (folder / "feeds.toml").write_text(feeds_toml, encoding="utf-8")
    monkeypatch.chdir(folder)
    location = database or folder / "warta.db"
    monkeypatch.setenv("WARTA_DB", str(location))
    monkeypatch.setenv("WARTA_FEEDS", str(folder / "feeds.toml"))
    return location


@pytest.fixture
def databases(
    database: Path | str, request: pytest.FixtureRequest
) -> Iterator[tuple[str | None, str | None]]:
    """Two databases on the test's engine: files made in their folders, or PostgreSQL URLs."""
    if isinstance(database, Path):
        yield None, None
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    with postgres_database(server) as other:
        yield database, other


async def stored_feeds(database: Path | str) -> set[tuple[str, str, str]]:
    """(url, name, region) of every feed the bot polls."""
    storage = Storage(database)
    await storage.open()
    try:
        return {(f.url, f.name, f.region) for f in await storage.list_feeds()}
    finally:
        await storage.close()


def feeds_in(database: Path | str) -> set[tuple[str, str, str]]:
    return asyncio.run(stored_feeds(database))


def create(database: Path | str) -> None:
    """The database as the bot's first start leaves it (`warta feeds` never makes one)."""

    async def first_start() -> None:
        storage = Storage(database)
        await storage.open()
        await storage.close()

    asyncio.run(first_start())


def change(database: Path | str) -> None:
    """What operators did with the chat commands: one feed added, one removed."""

    async def edit() -> None:
        storage = Storage(database)
        await storage.open()
        try:
            added = FeedSeed(
                "http://127.0.0.1:9/jabar.xml?a=1&b=2", "Pikiran & Rakyat", "Jawa Barat"
            )
            await storage.add_feed(added, 900001, time.time())
            odd = FeedSeed(
                "http://127.0.0.1:9/babel.xml", "Babel Pos", "Kepulauan Bangka, Belitung"
            )
            await storage.add_feed(odd, 900001, time.time())
            kompas = next(f for f in await storage.list_feeds() if "nasional" in f.url)
            await storage.remove_feed(kompas.id, time.time())
        finally:
            await storage.close()

    asyncio.run(edit())


def test_opml_round_trip_keeps_url_name_and_region(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    databases: tuple[str | None, str | None],
) -> None:
    first, second = databases
    source = use_database(monkeypatch, tmp_path / "lama", SEEDS, first)
    create(source)
    assert main(["feeds", "export", str(tmp_path / "ekspor.opml")]) == 0  # seeds the database
    change(source)
    assert main(["feeds", "export", str(tmp_path / "ekspor.opml")]) == 0
    expected = feeds_in(source)
    assert len(expected) == 3
    assert ("http://127.0.0.1:9/babel.xml", "Babel Pos", "Kepulauan Bangka, Belitung") in expected

    fresh = use_database(monkeypatch, tmp_path / "baru", "", second)
    create(fresh)
    capsys.readouterr()
    assert main(["feeds", "import", str(tmp_path / "ekspor.opml")]) == 0
    assert "3 new" in capsys.readouterr().out
    assert feeds_in(fresh) == expected
    # Importing again changes nothing; to standard output it is the same document.
    assert main(["feeds", "import", str(tmp_path / "ekspor.opml")]) == 0
    assert feeds_in(fresh) == expected
    capsys.readouterr()
    assert main(["feeds", "export"]) == 0
    assert {
        (f.url, f.name, f.region) for f in feeds_from_opml(capsys.readouterr().out.encode())
    } == expected


def test_opml_from_other_readers_takes_regions_from_folders_and_categories() -> None:
    document = b"""<?xml version="1.0"?>
    <opml version="1.0"><head><title>Langganan</title></head><body>
      <outline text="Banten">
        <outline type="rss" text="Radar Banten" xmlUrl="https://radarbanten.example/feed"/>
      </outline>
      <outline type="rss" title="Tempo" xmlUrl="https://tempo.example/rss"
               category="/Nasional,Politik"/>
      <outline type="rss" text="Bukan http" xmlUrl="ftp://tempo.example/rss"/>
    </body></opml>"""
    assert feeds_from_opml(document) == [
        FeedSeed("https://radarbanten.example/feed", "Radar Banten", "Banten"),
        FeedSeed("https://tempo.example/rss", "Tempo", "Nasional"),
    ]


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>',
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml version="2.0"><body><outline text="&x;" xmlUrl="https://x.example/"/></body></opml>',
        b"<html><body>bukan OPML</body></html>",
        b"<opml><body><outline",
    ],
)
def test_hostile_or_broken_opml_is_refused(document: bytes) -> None:
    with pytest.raises(OpmlError):
        feeds_from_opml(document)


def test_import_of_a_bad_file_says_why_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = use_database(monkeypatch, tmp_path, SEEDS)
    assert isinstance(database, Path)
    bomb = tmp_path / "bom.opml"
    bomb.write_bytes(b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "x">]><opml><body/></opml>')
    assert main(["feeds", "import", str(bomb)]) == 2
    # One plain line naming the file and what to change in it, not defusedxml's repr.
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"warta feeds: {bomb}: ")
    assert "DTD" in line
    assert "Forbidden(" not in line
    assert main(["feeds", "import", str(tmp_path / "tidak-ada.opml")]) == 2
    assert not database.exists() or len(feeds_in(database)) == 2


def test_without_a_database_export_and_import_refuse_and_make_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = use_database(monkeypatch, tmp_path, SEEDS)
    listing = tmp_path / "daftar.opml"
    listing.write_bytes(feeds_to_opml([FeedSeed("https://a.example/rss", "A", "Banten")], "W"))
    capsys.readouterr()
    for command in (
        ["export"],
        ["export", str(tmp_path / "ekspor.opml")],
        ["import", str(listing)],
    ):
        assert main(["feeds", *command]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"warta feeds: no database at {database} (WARTA_DB)")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["daftar.opml", "feeds.toml"]


def test_a_bad_feeds_file_given_to_check_is_named_not_warta_feeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_database(monkeypatch, tmp_path, SEEDS)
    listing = tmp_path / "cek.toml"
    listing.write_text('[[feeds]]\nname = "Tanpa alamat"\n', encoding="utf-8")
    assert main(["feeds", "check", str(listing)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"warta feeds: {listing}: feed #1 has no http(s) url"


def test_export_writes_the_region_both_ways() -> None:
    document = feeds_to_opml([FeedSeed("https://a.example/rss", "A", "Banten")], "Warta")
    assert b'category="Banten"' in document
    assert b'warta:region="Banten"' in document
    assert b'xmlns:warta="' in document


async def test_feeds_check_prints_a_table_of_every_feed(
    tmp_path: Path, feeds: FeedServer, internal: FeedServer
) -> None:
    internal.publish("/rahasia.xml", [news("5", "Berita 5", hours_ago=1)])
    ages = {"1": 2, "2": 5, "3": 30}
    feeds.publish("/banten.xml", [news(n, f"Berita {n}", hours_ago=age) for n, age in ages.items()])
    feeds.publish("/jabar.xml", [news("4", "Berita 4", hours_ago=50)], kind="atom")
    feeds.set_html("/halaman.html", "<html><body>bukan feed</body></html>")
    feeds.set_delay("/banten.xml", 0.3)
    listing = tmp_path / "cek.toml"
    listing.write_text(
        "".join(
            f'[[feeds]]\nname = "{name}"\nurl = "{feeds.url(path)}"\nregion = "{region}"\n'
            for name, path, region in [
                ("ANTARA Banten", "/banten.xml", "Banten"),
                ("Pikiran Rakyat", "/jabar.xml", "Jawa Barat"),
                ("Halaman Biasa", "/halaman.html", ""),
                ("Hilang", "/hilang.xml", ""),
            ]
        )
        + f'[[feeds]]\nname = "Internal"\nurl = "{internal.url("/rahasia.xml")}"\n',
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WARTA_", "TELEGRAM_"))}
    environment["WARTA_DB"] = str(tmp_path / "warta.db")
    environment["WARTA_ALLOW_PRIVATE_FEEDS"] = "127.0.0.1"  # the feed server; not 127.0.0.2
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "feeds",
        "check",
        str(listing),
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    table = out.decode()
    assert process.returncode == 1, table  # three of the five fail
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if line.count("│") > 5}
    assert "OK" in rows["ANTARA Banten"]
    assert "│     3 │" in rows["ANTARA Banten"]
    assert "2 detik" not in rows["ANTARA Banten"]  # the operator's table is in English
    assert "2 h" in rows["ANTARA Banten"]  # age of the newest item
    assert "OK" in rows["Pikiran Rakyat"]
    assert "2 d 2 h" in rows["Pikiran Rakyat"]
    assert "not a feed" in rows["Halaman Biasa"]
    assert "HTTP 404" in rows["Hilang"]
    assert "address not allowed: 127.0.0.2" in rows["Internal"]
    seconds = float(rows["ANTARA Banten"].split("│")[-2].strip().removesuffix(" s"))
    assert seconds >= 0.3
    assert "2 of 5 feeds OK, 3 failing" in table
    for path in ("/banten.xml", "/jabar.xml", "/halaman.html", "/hilang.xml"):
        assert feeds.hits(path) == 1
    assert internal.requests == []


async def test_feeds_check_without_a_file_checks_the_feeds_in_the_database(
    tmp_path: Path, feeds: FeedServer, database: Path | str
) -> None:
    feeds.publish("/banten.xml", [news("1", "Berita 1", hours_ago=3)])
    listing = tmp_path / "feeds.toml"
    listing.write_text(
        f'[[feeds]]\nname = "ANTARA Banten"\nurl = "{feeds.url("/banten.xml")}"\n'
        f'[[feeds]]\nname = "Hilang"\nurl = "{feeds.url("/hilang.xml")}"\n',
        encoding="utf-8",
    )
    storage = Storage(database)  # the bot has polled ANTARA Banten: its interval is known
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed(feeds.url("/banten.xml"), "ANTARA Banten", "")])
        (polled,) = await storage.list_feeds()
        await storage.record_feed_success(polled.id, None, None, time.time(), interval=(60, "rate"))
    finally:
        await storage.close()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WARTA_", "TELEGRAM_"))}
    environment["WARTA_DB"] = str(database)
    environment["WARTA_FEEDS"] = str(listing)
    environment["WARTA_ALLOW_PRIVATE_FEEDS"] = "127.0.0.1"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "feeds", "check",
        cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, errors = await asyncio.wait_for(process.communicate(), 60)
    table = out.decode()
    assert process.returncode == 1, errors.decode()
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if line.count("│") > 5}
    assert "OK" in rows["ANTARA Banten"]
    assert "HTTP 404" in rows["Hilang"]
    assert "1 of 2 feeds OK, 1 failing" in table
    assert "1 min 0 s (its publishing rate)" in rows["ANTARA Banten"]
    assert "│ - " in rows["Hilang"]  # not polled yet
    # The database was seeded from WARTA_FEEDS, as `warta run` would have done.
    assert {name for _, name, _ in await stored_feeds(database)} == {"ANTARA Banten", "Hilang"}


async def test_feeds_check_without_a_database_checks_the_feeds_file_and_makes_none(
    tmp_path: Path, feeds: FeedServer
) -> None:
    feeds.publish("/banten.xml", [news("1", "Berita 1", hours_ago=3)])
    listing = tmp_path / "feeds.toml"
    listing.write_text(
        f'[[feeds]]\nname = "ANTARA Banten"\nurl = "{feeds.url("/banten.xml")}"\n', encoding="utf-8"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WARTA_", "TELEGRAM_"))}
    environment["WARTA_DB"] = str(tmp_path / "warta.db")
    environment["WARTA_FEEDS"] = str(listing)
    environment["WARTA_ALLOW_PRIVATE_FEEDS"] = "127.0.0.1"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "feeds", "check",
        cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, errors.decode()
    assert "1 of 1 feeds OK, 0 failing" in out.decode()
    assert os.listdir(tmp_path) == ["feeds.toml"]  # no database made


def test_full_text_is_read_from_the_feeds_file_and_kept_through_opml(tmp_path: Path) -> None:
    listing = tmp_path / "feeds.toml"
    listing.write_text(
        SEEDS.replace('region = "Banten"', 'region = "Banten"\nfull_text = "always"', 1)
        + '\n[[feeds]]\nurl = "http://127.0.0.1:9/lengkap.xml"\nfull_text = "never"\n',
        encoding="utf-8",
    )
    seeds = load_feed_list(listing)
    assert [seed.full_text for seed in seeds] == [
        FullTextMode.ALWAYS,
        FullTextMode.AUTO,
        FullTextMode.NEVER,
    ]
    assert feeds_from_opml(feeds_to_opml(seeds, "Warta")) == seeds


def test_an_unknown_full_text_setting_is_refused_with_the_choices(tmp_path: Path) -> None:
    listing = tmp_path / "feeds.toml"
    listing.write_text(SEEDS.replace('region = "Banten"', 'full_text = "kadang"', 1))
    with pytest.raises(FeedListError, match=r'feed #1 has full_text .kadang., not "auto"'):
        load_feed_list(listing)


class AnnouncedParsing:
    """The check's parser processes, announcing each document as it is handed to one."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.handed = asyncio.Event()

    async def parse(self, body: bytes, headers: Mapping[str, str]) -> list[ParsedEntry]:
        """The document's entries, from a parser process."""
        self.handed.set()  # the pool hands it over in this same step, before the test runs
        return await self.pool.parse(body, headers)

    async def clean(self, entries: Sequence[ParsedEntry]) -> list[CleanText]:
        """Not used by a check."""
        return await self.pool.clean(entries)


async def test_feeds_check_shows_a_document_that_kills_its_parser_and_checks_the_rest(
    feeds: FeedServer,
) -> None:
    feeds.publish("/maut.xml", [news("1", "Gempa di Pandeglang")])
    feeds.publish("/banten.xml", [news("2", "Banjir di Lebak")])
    listing = [FeedSeed(feeds.url("/maut.xml"), "Maut", ""),
               FeedSeed(feeds.url("/banten.xml"), "ANTARA Banten", "")]  # fmt: skip
    pool = WorkerPool(1)
    await pool.start()
    try:
        parsing = AnnouncedParsing(pool)
        (parser,) = pool.process_ids()
        # Held, then killed with the first document in hand, as a document that kills it would.
        os.kill(parser, signal.SIGSTOP)
        try:
            async with build_http_client(30.0, LOOPBACK_FEEDS) as client:
                check = check_feeds(
                    client, listing, max_bytes=1 << 20, timeout=30.0, concurrency=1,
                    workers=parsing,
                )  # fmt: skip
                checking = asyncio.create_task(check)
                async with asyncio.timeout(30):  # hung, not slow
                    await parsing.handed.wait()
                os.kill(parser, signal.SIGKILL)
                killer, other = await checking
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(parser, signal.SIGKILL)
    finally:
        await pool.close()
    table = Console(width=200, record=True)
    table.print(check_table([killer, other], time.time()))
    rows = {line.split("│")[1].strip(): line for line in table.export_text().splitlines()
            if line.count("│") > 5}  # fmt: skip
    assert "the parser process died reading this feed (signal 9)" in rows["Maut"]
    assert "OK" in rows["ANTARA Banten"]  # read by the process that replaced it
