"""Another process holds the database's write lock for ten seconds: the bot waits, then
finishes what it was doing, losing nothing."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.standin import FeedItem, FeedServer, TelegramStandIn
from tests.inprocess import running_bot

pytestmark = pytest.mark.slow  # the lock itself lasts ten seconds

LOCK_SECONDS = 10
BUDI, SITI = 101, 102
HOLD_THE_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


async def test_a_long_write_lock_delays_the_bot_but_loses_nothing(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds.publish("/banten.xml", [])
    async with running_bot(
        tmp_path, telegram, feeds, [("ANTARA Banten", "/banten.xml", "Banten")]
    ) as warta:
        await warta.poll()  # the feed's first fetch: what comes next is news
        await warta.say(BUDI, "/subscribe gempa")
        await warta.services.storage.make_feeds_due()  # the next poll asks the feed again
        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_THE_LOCK, str(tmp_path / "warta.db"), str(LOCK_SECONDS),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert holder.stdout is not None
        assert await holder.stdout.readline() == b"locked\n"
        locked_at = time.monotonic()

        feeds.add_item(
            "/banten.xml",
            FeedItem(
                "Gempa magnitudo 5,1 guncang Lebak",
                "https://berita.example/gempa",
                guid="urn:gempa",
                published=datetime.now(UTC),
            ),
        )
        polling = asyncio.create_task(warta.services.poller.poll_once())
        telegram.user_says(SITI, "/subscribe banjir")
        assert await holder.wait() == 0
        released_at = time.monotonic()

        summary = await asyncio.wait_for(polling, timeout=30)
        replies = await telegram.wait_for_messages(SITI, 1, timeout=30)
        alerts = await telegram.wait_for_messages(BUDI, 2, timeout=30)
        topics = [topic.text for topic in await warta.services.storage.list_topics(SITI)]

    assert released_at - locked_at >= LOCK_SECONDS - 0.5
    assert summary.new_items == 1
    assert "Gempa magnitudo 5,1 guncang Lebak" in (alerts[1].plain_text or "")
    assert "banjir" in (replies[0].plain_text or "")
    assert replies[0].timestamp >= released_at - 0.5  # it waited for the lock, then went on
    assert topics == ["banjir"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
