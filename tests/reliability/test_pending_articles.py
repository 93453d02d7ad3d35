"""Article pages off the polling path: a teaser-only feed's items are stored at once and wait
for their page in the database, so a slow page holds up no other feed and a crash while
waiting loses no alert and sends none twice."""

from __future__ import annotations

import asyncio
import signal
import time
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.matching import parse_topic
from bot.ops.heartbeat import PROCESS_TIMEOUT_SECONDS
from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from storage.models import FeedSeed, FullTextMode, PendingArticle
from tests.e2e.harness import started_bot
from tests.inprocess import FakeClock, alert_texts, running_bot
from tests.pipeline.test_full_text import RAPAT, news_page, teaser
from tests.reliability.test_several_pollers import CONFIG, beat, poller_process

# A page's budget that no test outlasts: the test's clock says when pages are given up.
PAGE_BUDGET = 3600.0

BUDI = 101
TEASERS = "/banten.xml"
OTHER = "/jabar.xml"
PAGE = "/rapat"
ALWAYS = FullTextMode.ALWAYS


async def test_a_held_article_page_holds_up_no_other_feed_and_its_word_still_alerts(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> None:
    feeds.publish(TEASERS, [])
    feeds.publish(OTHER, [])
    entries = [("Uji", TEASERS, "Banten"), ("Lain", OTHER, "Jawa Barat")]
    async with running_bot(
        tmp_path, telegram, feeds, entries, database=database, full_text={TEASERS: "always"}
    ) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe Nana Suryana")  # a name only the article has
        feeds.set_html(PAGE, news_page("Rapat banjir", "SERANG —", RAPAT))
        feeds.hold(PAGE)
        feeds.add_item(TEASERS, teaser("rapat", "Pemprov gelar rapat banjir", feeds.url(PAGE)))
        await warta.poll(articles=False)  # its page is held
        await feeds.wait_until_held(PAGE)
        other_polls = feeds.hits(OTHER)
        # The other feed is asked again while the article page is still unanswered.
        await warta.poll(articles=False)
        assert feeds.hits(OTHER) == other_polls + 1
        assert feeds.held(PAGE) == 1
        assert alert_texts(telegram, BUDI) == []
        feeds.release(PAGE)
        await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) >= 1, timeout=30)
        await warta.services.poller.wait_for_articles()
        await warta.settled()
        (alert,) = alert_texts(telegram, BUDI)
        assert "Pemprov gelar rapat banjir" in alert


async def teaser_feed_and_reader(
    database: Path | str, feeds: FeedServer, *, read_before: bool = False
) -> None:
    """The teaser-only feed (empty yet; read once before when read_before) and Budi, who
    follows "banjir"."""
    feeds.publish(TEASERS, [])
    storage = Storage(database)
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed(feeds.url(TEASERS), "Uji", "Banten", ALWAYS)])
        if read_before:
            (feed,) = await storage.list_feeds()
            await storage.record_feed_success(feed.id, None, None, time.time())
        await storage.register_chat(BUDI, "private", "", time.time())
        await storage.add_topic(BUDI, "banjir", parse_topic("banjir").key, time.time())
    finally:
        await storage.close()


async def test_a_dead_pollers_pending_article_alerts_once_through_another_poller(
    database: Path | str, feeds: FeedServer
) -> None:
    await teaser_feed_and_reader(database, feeds)
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        dying = await stack.enter_async_context(
            poller_process(database, clock, article_budget=PAGE_BUDGET)
        )
        other = await stack.enter_async_context(
            poller_process(database, clock, article_budget=PAGE_BUDGET)
        )
        await dying.poller.poll_once()  # the feed's first document: its back catalogue
        feeds.set_html(PAGE, news_page("Rapat banjir", "SERANG —", RAPAT))
        feeds.hold(PAGE)
        feeds.add_item(TEASERS, teaser("rapat", "Banjir di Serang", feeds.url(PAGE)))
        clock.advance(CONFIG.poll_seconds)
        await beat(clock, dying, other)
        await dying.poller.poll_once()
        await feeds.wait_until_held(PAGE)
        # Stored at once; no alert until its page is had or its time is up.
        assert "Banjir di Serang" in [item.title for item in await other.storage.latest_items(1)]
        assert await other.storage.outbox_backlog() == 0

        # Past its budget, but its poller is alive (still fetching it): left to that poller.
        clock.advance(3600.0 + 1)
        await beat(clock, dying, other)
        assert await other.poller.match_overdue_articles() == 0

        # Its poller dies with the page in hand; once its heartbeat lapses, another matches it.
        await dying.poller.close()
        clock.advance(PROCESS_TIMEOUT_SECONDS + 1)
        await beat(clock, other)
        assert await other.poller.match_overdue_articles() == 1
        assert await other.poller.match_overdue_articles() == 0
        assert await other.storage.outbox_backlog() == 1
        feeds.release(PAGE)


@pytest.mark.slow  # a killed poller's items wait for its heartbeat to lapse (20 s)
async def test_a_poller_killed_with_a_pending_article_alerts_it_once_after_restart(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> None:
    await teaser_feed_and_reader(database, feeds, read_before=True)
    toml = tmp_path / "feeds.toml"
    toml.write_text(
        f'[[feeds]]\nname = "Uji"\nurl = "{feeds.url(TEASERS)}"\nregion = "Banten"\n'
        'full_text = "always"\n',
        encoding="utf-8",
    )
    feeds.set_html(PAGE, news_page("Rapat banjir", "SERANG —", RAPAT))
    feeds.hold(PAGE)
    feeds.add_item(TEASERS, teaser("rapat", "Banjir di Serang", feeds.url(PAGE)))
    try:
        async with started_bot(tmp_path, telegram, toml, database=database) as bot:
            await feeds.wait_until_held(PAGE, timeout=60)
            # Stored while its page is still unanswered, waiting for it in the database.
            await _wait_for_stored(database, "Banjir di Serang")
            assert feeds.held(PAGE) == 1
            assert len(await _pending(database)) == 1
            assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
            await bot.start()
            await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) >= 1, timeout=120)
            assert await bot.stop(signal.SIGTERM) == 0
    finally:
        feeds.release(PAGE)
    (alert,) = alert_texts(telegram, BUDI)
    assert "Banjir di Serang" in alert
    assert await _pending(database) == []


async def _pending(database: Path | str) -> list[PendingArticle]:
    storage = Storage(database)
    await storage.open()
    try:
        # An hour on, every poller silent since: every pending article, whoever fetches it.
        later = time.time() + 3600
        return await storage.due_pending_articles(later, None, later, 10)
    finally:
        await storage.close()


async def _wait_for_stored(database: Path | str, title: str) -> None:
    storage = Storage(database)
    await storage.open()
    try:
        async with asyncio.timeout(60):
            # Another process stores it: its database is the only sign.
            while title not in [item.title for item in await storage.latest_items(5)]:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await storage.close()
