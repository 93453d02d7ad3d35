"""A crash in the middle of a fan-out: after a restart nothing is lost, little is repeated."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.sender import SendLimits
from bot.matching import parse_topic
from bot.standin import FeedItem, FeedServer, TelegramStandIn
from storage import Storage
from storage.models import FeedSeed
from tests.e2e.harness import BotProcess, bot_environment, write_feeds_file

pytestmark = pytest.mark.slow  # 2,000 alerts at Telegram's pace: over a minute

CHATS = 500
HEADLINES = (
    "Banjir bandang terjang Lebak, jembatan gantung putus",
    "Warga Serang mengungsi setelah banjir setinggi dada",
    "BPBD Banten tetapkan status tanggap darurat banjir",
    "Banjir surut, warga Pandeglang mulai bersihkan lumpur",
)
FEED = "/banten.xml"


@pytest.fixture
async def prepared(tmp_path: Path, feeds: FeedServer, database: Path | str) -> Path:
    """A database where 500 readers follow "banjir" and the feed has been read before."""
    feeds.publish(FEED, [])
    storage = Storage(database)
    await storage.open()
    await storage.sync_feeds([FeedSeed(feeds.url(FEED), "ANTARA Banten", "Banten")])
    (feed,) = await storage.list_feeds()
    await storage.record_feed_success(feed.id, None, None, time.time())
    key = parse_topic("banjir").key
    for chat_id in range(1, CHATS + 1):
        await storage.register_chat(chat_id, "private", "", time.time())
        await storage.add_topic(chat_id, "banjir", key, time.time())
    await storage.close()
    return tmp_path


def accepted(telegram: TelegramStandIn) -> Counter[tuple[int, str]]:
    return Counter((m.chat_id, (m.plain_text or "").split("\n")[1]) for m in telegram.sent)


async def test_a_killed_bot_resumes_its_fan_out_losing_nothing(
    prepared: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> None:
    toml = write_feeds_file(prepared / "feeds.toml", feeds, [("ANTARA Banten", FEED, "Banten")])
    environment = bot_environment(prepared, telegram, toml, database=database)
    bot = BotProcess(prepared, environment, prepared / "bot.log")
    await bot.start()
    try:
        now = datetime.now(UTC)
        news = [
            FeedItem(
                title,
                f"https://berita.example/{n}",
                guid=f"urn:{n}",
                published=now - timedelta(minutes=10 - n),
            )
            for n, title in enumerate(HEADLINES)
        ]
        feeds.publish(FEED, news[::-1])  # newest first, as feeds list them
        expected = CHATS * len(HEADLINES)
        await telegram.wait_for(lambda tg: len(tg.sent) >= expected // 2, timeout=120)
        assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
        await bot.start()
        await telegram.wait_for(lambda tg: len(accepted(tg)) == expected, timeout=180)
    finally:
        if bot.process is not None:
            await bot.stop(signal.SIGTERM, timeout=30)
    counts = accepted(telegram)
    assert len(counts) == expected  # lost: none
    duplicates = sum(counts.values()) - expected
    assert duplicates <= SendLimits().max_in_flight, duplicates
    for chat_id in range(1, CHATS + 1):
        first_seen = list(dict.fromkeys(h for c, h in accepted(telegram) if c == chat_id))
        assert first_seen == list(HEADLINES), chat_id
