"""A broadcast killed half-way (SIGKILL) resumes after a restart: nobody skipped."""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from tests.e2e.harness import ADMIN_ID, BotProcess, started_bot, write_feeds_file
from tests.inprocess import confirmation, current_text, received

READERS = list(range(700_001, 700_301))
ANNOUNCEMENT = "Layanan Warta dipindahkan ke server baru malam ini"
MAX_IN_FLIGHT = 16  # SendLimits.max_in_flight: the most that can be sent twice


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[BotProcess]:
    feeds.publish("/banten.xml", [])
    storage = Storage(tmp_path / "warta.db")
    await storage.open()
    for chat_id in READERS:
        await storage.register_chat(chat_id, "private", "Pembaca", time.time())
    await storage.close()
    feeds_toml = write_feeds_file(tmp_path / "feeds.toml", feeds, [("Banten", "/banten.xml", "")])
    async with started_bot(
        tmp_path, telegram, feeds_toml, {"WARTA_POLL_SECONDS": "3600"}
    ) as process:
        yield process


async def test_a_broadcast_killed_half_way_resumes_after_restart(
    bot: BotProcess, telegram: TelegramStandIn
) -> None:
    # Telegram's own limit makes 300 messages take about ten seconds: the kill lands mid-way.
    telegram.enforce_limits(per_second=30)
    telegram.user_says(ADMIN_ID, f"/broadcast {ANNOUNCEMENT}")
    confirm = await confirmation(telegram)
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])

    def delivered(tg: TelegramStandIn) -> int:
        return sum(count > 0 for count in received(tg, READERS, ANNOUNCEMENT).values())

    await telegram.wait_for(lambda tg: delivered(tg) >= 100, timeout=30)
    assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
    before_restart = delivered(telegram)
    assert before_restart < len(READERS), "the kill came too late to test resuming"

    await bot.start()
    await telegram.wait_for(lambda tg: delivered(tg) == len(READERS), timeout=40)
    counts = received(telegram, READERS, ANNOUNCEMENT)
    repeats = sum(counts.values()) - len(READERS)
    assert repeats <= MAX_IN_FLIGHT, f"{repeats} repeated messages"
    # The same progress message, followed by the restarted bot, ends as the summary.
    await telegram.wait_for(lambda tg: "selesai" in current_text(tg, confirm), timeout=30)
    assert "Terkirim: 301" in current_text(telegram, confirm)  # the readers and the admin
