"""A running bot for every handler test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.inprocess import RunningBot, running_bot
from tests.standin import FeedServer, TelegramStandIn


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as standin:
        yield standin


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def warta(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[RunningBot]:
    feeds.publish("/banten.xml", [])
    async with running_bot(
        tmp_path, telegram, feeds, [("ANTARA Banten", "/banten.xml", "Banten")]
    ) as bot:
        yield bot
