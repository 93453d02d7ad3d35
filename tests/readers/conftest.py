"""A running bot with feeds from three regions and a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery.sender import SendLimits
from bot.standin import FeedServer, TelegramStandIn
from tests.inprocess import FakeClock, RunningBot, running_bot

FEEDS = [
    ("ANTARA Banten", "/banten.xml", "Banten"),
    ("Pikiran Rakyat", "/jabar.xml", "Jawa Barat"),
    ("ANTARA Terkini", "/nasional.xml", "Nasional"),
]


@pytest.fixture
def clock() -> FakeClock:
    """Wall time the test controls."""
    return FakeClock()


@pytest.fixture
async def reader_bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, clock: FakeClock
) -> AsyncIterator[RunningBot]:
    """The bot after its first poll of three empty regional feeds."""
    for _, route, _ in FEEDS:
        feeds.publish(route, [])
    limits = SendLimits(group_chat_interval=0.2, private_chat_interval=0.05, max_backoff=0.5)
    async with running_bot(
        tmp_path, telegram, feeds, FEEDS, clock=clock, send_limits=limits
    ) as bot:
        await bot.poll()
        yield bot
