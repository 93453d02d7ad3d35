"""Following places end to end: `warta run` locates a national desk's story and alerts the
followers of where it happens, and nobody else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FeedServer, TelegramStandIn
from tests.e2e.harness import NATIONAL_FEED, BotProcess, national_desk_bot
from tests.e2e.test_alert_pipeline import say, wait_for_poll
from tests.factories import news
from tests.inprocess import alert_texts, alert_titles

# A real `warta run` process on each engine: a longer scenario. The same story is followed
# in-process on both engines in the default run (tests/readers/test_places.py).
pytestmark = pytest.mark.slow

JABAR, GARUT, BANDUNG, JATENG = 301, 302, 303, 304


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> AsyncIterator[BotProcess]:
    async with national_desk_bot(tmp_path, telegram, feeds, database) as process:
        yield process


async def test_a_national_story_reaches_the_followers_of_where_it_happens(
    telegram: TelegramStandIn, feeds: FeedServer, bot: BotProcess
) -> None:
    await wait_for_poll(feeds, NATIONAL_FEED)
    assert "Jawa Barat" in await say(telegram, JABAR, "/region Jawa Barat")
    assert "Garut" in await say(telegram, GARUT, "/wilayah Garut")
    assert "Kota Bandung" in await say(telegram, BANDUNG, "/region Kota Bandung")
    assert "Jawa Tengah" in await say(telegram, JATENG, "/region Jateng")

    feeds.add_item(NATIONAL_FEED, news("garut", "Longsor di Garut, puluhan rumah tertimbun"))
    await telegram.wait_for(
        lambda tg: bool(alert_texts(tg, JABAR)) and bool(alert_texts(tg, GARUT)), timeout=30
    )
    # Later stories for the other two: once they arrive, the Garut story had its turn.
    feeds.add_item(NATIONAL_FEED, news("bdg", "Harga cabai turun di Kota Bandung"))
    feeds.add_item(NATIONAL_FEED, news("smg", "Rob genangi pesisir Kota Semarang"))
    await telegram.wait_for(
        lambda tg: bool(alert_texts(tg, BANDUNG)) and bool(alert_texts(tg, JATENG)), timeout=30
    )
    for chat_id in (JABAR, GARUT):
        assert "📍 Garut, Jawa Barat" in alert_texts(telegram, chat_id)[0]
    assert alert_titles(telegram, BANDUNG) == ["Harga cabai turun di Kota Bandung"]
    assert alert_titles(telegram, JATENG) == ["Rob genangi pesisir Kota Semarang"]
    assert "📍 Kota Semarang, Jawa Tengah" in alert_texts(telegram, JATENG)[0]
