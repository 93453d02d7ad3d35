"""Article pages within their limits: a hostile page stops at its CPU or memory limit in a
process of its own, its item alerts on its teaser, and the bot answers all the while."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.feeds.articles import ArticleFetcher, ExtractionFailed
from bot.feeds.extraction import ARTICLE_MEMORY_BYTES, ArticleExtractors, ExtractionInThread
from bot.feeds.fetch import build_http_client
from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news
from tests.inprocess import LOOPBACK_FEEDS, RunningBot, alert_texts, running_bot
from tests.pipeline.test_full_text import RAPAT, news_page, teaser
from tests.pipeline.test_parse_workers import ended

BUDI = 101
MIB = 1024 * 1024
FEED = "/banten.xml"
# Half a million line breaks in one paragraph (2 MiB): trafilatura takes some 20 s of CPU and
# over 500 MB on it, far past a page's 2 s and 192 MiB.
BR_FLOOD = "<html><body><p>" + "<br>" * 500_000 + "</p></body></html>"


async def replaced(warta: RunningBot, old: int) -> int:
    """The extraction process that took the place of `old`, once it is ready."""
    async with asyncio.timeout(60):  # hung, not slow: a new interpreter starts
        # The process list is the condition: a replacement announces nothing.
        while (pids := warta.services.extractors.process_ids()) == [old] or not pids:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    (new,) = pids
    return new


async def test_a_page_past_its_limits_is_stopped_and_its_item_alerts_on_its_teaser(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish(FEED, [news("lama", "Banjir kemarin di Lebak")])
    async with running_bot(tmp_path, telegram, feeds, [("Uji", FEED, "Banten")]) as warta:
        await warta.poll()  # the back catalogue: /latest has it
        await warta.say(BUDI, "/subscribe banjir")
        await warta.services.extractors.start()  # as the first page would
        (extractor,) = warta.services.extractors.process_ids()
        feeds.set_html("/bom", BR_FLOOD)
        feeds.add_item(FEED, teaser("bom", "Banjir di Serang", feeds.url("/bom")))
        polling = asyncio.create_task(warta.poll())
        await feeds.wait_for_hits("/bom", 1)
        # The page has been fetched and goes to its extraction process: the bot answers meanwhile.
        assert "Banjir kemarin di Lebak" in await warta.say(BUDI, "/latest banjir")
        await polling
        (alert,) = await alerted(warta, 1)
        assert "Banjir di Serang" in alert
        (health,) = await warta.services.storage.article_health()
        assert health.failures == 1
        # Stopped at its CPU or memory limit, or at the batch's budget on a busy machine.
        assert (health.last_error or "").startswith(feeds.url("/bom"))
        # The process that held the page is gone; a fresh one extracts the next page.
        fresh = await replaced(warta, extractor)
        assert ended(extractor)
        feeds.set_html("/rapat", news_page("Rapat banjir", "SERANG —", RAPAT))
        feeds.add_item(FEED, teaser("rapat", "Rapat banjir di Pendopo", feeds.url("/rapat")))
        await warta.say(BUDI, "/subscribe Cibanten")
        await warta.poll()
        assert any("Rapat banjir di Pendopo" in text for text in await alerted(warta, 2))
        assert warta.services.extractors.process_ids() == [fresh]
        (health,) = await warta.services.storage.article_health()
        assert health.failures == 1  # the fresh process read the news page


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        # Only its CPU time stops the page: the kernel ends its process.
        ({"cpu_seconds": 2, "memory_bytes": 2048 * MIB}, "its process ended"),
        # Only its memory stops it: MemoryError in its process, which is replaced.
        ({"cpu_seconds": 600, "memory_bytes": ARTICLE_MEMORY_BYTES}, "needs more than 192 MiB"),
    ],
    ids=["cpu", "memory"],
)
async def test_a_page_is_stopped_at_its_limits_however_long_it_may_wait(
    limits: dict[str, int], reason: str
) -> None:
    extractors = ArticleExtractors(1, **limits)
    await extractors.start()
    try:
        (first,) = extractors.process_ids()
        # No budget here: the page's own limits stop it.
        with pytest.raises(ExtractionFailed, match=reason):
            await extractors.extract(BR_FLOOD.encode(), "https://berita.example/bom")
        page = news_page("Rapat banjir", "SERANG —", RAPAT).encode()
        text = await extractors.extract(page, "https://berita.example/rapat")
        assert "Cibanten" in text  # a fresh process took the next page
        assert first not in extractors.process_ids()
        assert ended(first)
    finally:
        await extractors.close()


async def test_a_page_still_extracting_when_the_budget_ends_has_its_process_killed(
    feeds: FeedServer,
) -> None:
    # Under 1 MiB (no process is replaced for its size), some 10 s of CPU for trafilatura.
    feeds.set_html("/bom", "<html><body><p>" + "<br>" * 250_000 + "</p></body></html>")
    # Limits far beyond the batch's budget: the budget is what stops this page.
    extractors = ArticleExtractors(1, cpu_seconds=600, memory_bytes=2048 * MIB)
    await extractors.start()
    try:
        (first,) = extractors.process_ids()
        async with build_http_client(30.0, LOOPBACK_FEEDS) as client:
            fetcher = ArticleFetcher(client, extractors, budget=2.0)
            batch = await fetcher.fetch([feeds.url("/bom")])
        (failure,) = batch.failures
        assert "not had within 2 s" in failure
        async with asyncio.timeout(60):  # hung, not slow
            while not ended(first):  # noqa: ASYNC110 (a process announces nothing when it ends)
                await asyncio.sleep(0.05)
    finally:
        await extractors.close()


async def alerted(warta: RunningBot, count: int) -> list[str]:
    """BUDI's alerts, once there are at least `count` of them."""
    await warta.telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) >= count, timeout=60)
    return alert_texts(warta.telegram, BUDI)


async def test_article_hosts_are_forgotten_once_idle_and_each_host_gets_two_requests_at_a_time(
    feeds: FeedServer,
) -> None:
    async def every_name_is_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    page = news_page("Rapat banjir", "SERANG —", RAPAT)
    port = urlsplit(feeds.base_url).port
    many = [f"http://situs{n}.berita.test:{port}/rapat/{n}" for n in range(30)]
    one_host = [f"http://satu.berita.test:{port}/lambat/{n}" for n in range(6)]
    for n in range(30):
        feeds.set_html(f"/rapat/{n}", page)
    for n in range(6):
        feeds.set_html(f"/lambat/{n}", page)
        feeds.set_delay(f"/lambat/{n}", 0.2)  # long enough for the requests to overlap
    extraction = ExtractionInThread()
    client = build_http_client(30.0, LOOPBACK_FEEDS, resolve=every_name_is_loopback)
    try:
        fetcher = ArticleFetcher(client, extraction, budget=60.0)
        batch = await fetcher.fetch(many)
        assert len(batch.texts) == 30
        assert fetcher.hosts_held() == 0  # thirty hosts seen, none of them held

        feeds.most_in_flight = 0
        fetching = asyncio.create_task(fetcher.fetch(one_host))
        await wait_until(lambda: feeds.in_flight > 0)
        assert fetcher.hosts_held() == 1  # in use
        batch = await fetching
        assert len(batch.texts) == 6
        assert feeds.most_in_flight <= 2
        assert fetcher.hosts_held() == 0
    finally:
        await client.aclose()
        extraction.close()


async def wait_until(condition: Callable[[], bool]) -> None:
    """Until the condition holds (a request under way announces nothing)."""
    async with asyncio.timeout(30):  # hung, not slow
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
