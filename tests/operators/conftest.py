"""The running bot with feeds reachable on loopback, as the operators' tests name it."""

from __future__ import annotations

import pytest

from tests.inprocess import RunningBot


@pytest.fixture
async def operator_bot(warta: RunningBot) -> RunningBot:
    """The bot as tests run it, with WARTA_ALLOW_PRIVATE_FEEDS=127.0.0.1 (the feed server's)."""
    return warta
