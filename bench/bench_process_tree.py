"""Memory of the whole process tree: `warta run` and its parser and extraction processes.

The bot runs as a subprocess (`python -m bot run`, default settings: one parser process per
CPU up to 4, one extraction process per two CPUs) against the Telegram stand-in and loopback
feeds: every test document of the feedparser project (its tests/ folder), the hostile corpus of
tests/reliability/hostile_feeds.py, and beside them a gzip bomb, a 60 MB document, 4 MB of
nested elements, entity expansion, and a teaser-only feed whose new items link to hostile
article pages (a `<br>` flood, nested `div`s). The resident set of the bot and every process
it started is sampled from /proc every 20 ms, from start to the end of the article pages.

    python -m bench.bench_process_tree --feedparser-tests FEEDPARSER_CHECKOUT/tests

Without `--feedparser-tests` (as `python -m bench` runs it) the feedparser project's documents
are left out, and the result's conditions say so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
import time
from pathlib import Path

from bench.report import append_result
from bot.ops.memory import descendants
from bot.standin import FeedItem, FeedServer, TelegramStandIn
from tests.e2e.harness import BotProcess, bot_environment, write_feeds_file
from tests.reliability.hostile_feeds import (
    billion_laughs,
    compressed_zeros,
    corpus,
    filler_rss,
    item_xml,
    rss,
)

TARGET_MB = 400
SAMPLE_SECONDS = 0.02
START_TIMEOUT = 600.0
MIB = 1 << 20
ARTICLE_PAGES = {
    "br-flood": "<html><body><p>" + "<br>" * 500_000 + "</p></body></html>",
    "nested-div": "<html><body>" + "<div>" * 200_000 + "Banjir" + "</div>" * 200_000 + "</body>",
    "news": "<html><body><article>"
    + "<p>Banjir merendam rumah warga di Serang sejak Senin pagi.</p>" * 60
    + "</article></body></html>",
}


def feedparser_documents(folder: Path) -> list[bytes]:
    """The feedparser project's test documents (every .xml file under its tests folder)."""
    found = sorted(p for p in folder.rglob("*.xml") if p.is_file())
    return [path.read_bytes() for path in found]


def serve_hostile(server: FeedServer) -> list[str]:
    """The hostile documents on the server; their routes."""
    routes = []
    for hostile in corpus(server.base_url):
        if hostile.family != "slow":  # timeouts are not what is measured
            hostile.serve(server, hostile.path)
            routes.append(hostile.path)
    extra = {
        "/extra/gzip-bomb.xml": (compressed_zeros(1024 * MIB, 31), {"Content-Encoding": "gzip"}),
        "/extra/60mb.xml": (filler_rss(60 * MIB), {}),
        "/extra/deep.xml": (deep_nesting(4 * MIB), {}),
        "/extra/billion-laughs.xml": (billion_laughs(10).encode(), {}),
    }
    for route, (body, headers) in extra.items():
        server.set_raw(route, body, headers=headers)
        routes.append(route)
    return routes


def deep_nesting(size: int) -> bytes:
    """An RSS item whose description nests elements `size` bytes deep."""
    depth = size // 7
    return (
        rss(item_xml(description="x"), doctype="")
        .replace("<description>", "<description>" + "<a>" * depth + "</a>" * depth, 1)
        .encode()
    )


def teasers(server: FeedServer, count: int, stamp: str) -> list[FeedItem]:
    items = []
    for n in range(count):
        kind = list(ARTICLE_PAGES)[n % len(ARTICLE_PAGES)]
        route = f"/artikel/{stamp}-{n}-{kind}"
        server.set_html(route, ARTICLE_PAGES[kind])
        items.append(FeedItem(f"Banjir {stamp} {n}", server.url(route), description="Banjir."))
    return items


class Sampler:
    """The tree's resident set every SAMPLE_SECONDS, and how it was made up at its peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.at_peak: list[int] = []  # the main process's and each child's, at the peak
        self.children_seen: set[int] = set()

    async def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while True:
            children = sorted(descendants(self.pid))
            self.children_seen.update(children)
            each = [_pages(pid) * page for pid in (self.pid, *children)]
            if sum(each) > self.peak:
                self.peak, self.at_peak = sum(each), each
            await asyncio.sleep(SAMPLE_SECONDS)


def _pages(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError):
        return 0


async def measure(documents: list[bytes], folder: Path) -> tuple[Sampler, int, str, float]:
    async with TelegramStandIn() as telegram, FeedServer() as server:
        routes = [f"/feedparser/{n}.xml" for n in range(len(documents))]
        for route, body in zip(routes, documents, strict=True):
            server.set_raw(route, body)
        routes += serve_hostile(server)
        server.publish("/teasers.xml", teasers(server, 3, "lama"))
        entries = [(f"Uji {n}", route, "Banten") for n, route in enumerate(routes)]
        entries.append(("Teaser", "/teasers.xml", "Banten"))
        feeds_toml = write_feeds_file(folder / "feeds.toml", server, entries)
        env = bot_environment(folder, telegram, feeds_toml,
                              {"WARTA_POLL_SECONDS": "20", "WARTA_LOG_LEVEL": "INFO"})  # fmt: skip
        bot = BotProcess(folder, env, folder / "bot.log")
        started = time.monotonic()
        await bot.start()
        assert bot.process is not None
        sampler = Sampler(bot.process.pid)
        sampling = asyncio.create_task(sampler.run())
        try:
            for route in [*routes, "/teasers.xml"]:
                await server.wait_for_hits(route, 1, timeout=START_TIMEOUT)
            # The teaser feed is known now: its next items are news, their pages fetched.
            new = teasers(server, 9, "baru")
            for item in new:
                server.add_item("/teasers.xml", item)
            for item in new:
                await server.wait_for_hits(item.link.removeprefix(server.base_url), 1, 120)
            await asyncio.sleep(10)  # the pages' extraction, stopped at its limits
            pages = sum(1 for r in server.requests if r.path.startswith("/artikel/"))
        finally:
            sampling.cancel()
            stopped = await stop(bot)
    return sampler, pages, stopped, time.monotonic() - started


async def stop(bot: BotProcess) -> str:
    """How the bot stopped: on SIGTERM, or killed when it did not within a minute."""
    try:
        await bot.stop(signal.SIGTERM, timeout=60)
    except TimeoutError:
        await bot.stop(signal.SIGKILL)
        return "did not stop within 60 s of SIGTERM (killed)"
    return "stopped on SIGTERM"


def run(folder: Path | None) -> None:
    documents = feedparser_documents(folder) if folder is not None else []
    with tempfile.TemporaryDirectory() as work:
        sampler, pages, stopped, seconds = asyncio.run(measure(documents, Path(work)))
    peak = sampler.peak / MIB
    main, *children = (f"{size / MIB:.0f}" for size in sampler.at_peak)
    conditions = (
        f"`python -m bot run` with default parser and extraction processes "
        f"({len(sampler.children_seen)} child processes over the run, replacements included); "
        f"{len(documents)} feedparser test documents, the hostile corpus, a gzip bomb (1 GiB), "
        f"a 60 MB document, 4 MB of nested elements, billion laughs, {pages} article pages "
        f"(br flood, nested divs, news); sampled every {SAMPLE_SECONDS * 1000:.0f} ms for "
        f"{seconds:.0f} s; at the peak the main process {main} MB, its children "
        f"{' + '.join(children) or 'none'} MB; {stopped}"
    )
    print(f"process tree memory ({conditions}, {os.cpu_count()} cores)")
    print(f"  peak {peak:.0f} MB (target < {TARGET_MB} MB)")
    append_result(
        "memory, process tree under hostile feeds (bench/bench_process_tree.py)",
        f"peak {peak:.0f} MB",
        f"< {TARGET_MB} MB",
        conditions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feedparser-tests", type=Path, default=None)
    run(parser.parse_args().feedparser_tests)


if __name__ == "__main__":
    main()
