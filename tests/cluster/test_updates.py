"""Several `updates` processes behind a load balancer (webhook mode): any of them handles any
update, whichever one got the updates before it (menus, buttons, drafts live in the database).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.standin import FeedServer, TelegramStandIn
from tests.e2e.harness import ADMIN_ID
from tests.ops.helpers import free_port, operator_environment, start_warta, wait_until_listening

HUNG = 60.0
SECRET = "balancer_secret"
PUBLIC_URL = "https://warta.example/telegram/updates"
READER = 611


class Balancer:
    """Hands each update to the webhook of the process the test names, as a load balancer."""

    def __init__(self, telegram: TelegramStandIn, ports: list[int]) -> None:
        self.telegram = telegram
        self.ports = ports

    async def deliver(self, update_id: int, to: int) -> None:
        """POST a queued update to process number `to`."""
        update = next(u for u in self.telegram.pending_updates if u["update_id"] == update_id)
        async with httpx.AsyncClient(timeout=HUNG) as client:
            response = await client.post(
                f"http://127.0.0.1:{self.ports[to]}/telegram/updates",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert response.status_code == 200

    async def say(self, chat_id: int, text: str, to: int) -> Any:
        """A user's message, handled by process `to`; the bot's reply."""
        before = len(self.telegram.messages_to(chat_id))
        await self.deliver(self.telegram.user_says(chat_id, text, language_code="en"), to)
        replies = await self.telegram.wait_for_messages(chat_id, before + 1, timeout=HUNG)
        return replies[before]

    async def press(self, chat_id: int, message_id: int, data: str, to: int) -> str:
        """A button pressed, handled by process `to`; the message's text after its edit."""
        edits = len(self.telegram.edits_in(chat_id))
        await self.deliver(self.telegram.press_button(chat_id, message_id, data), to)
        await self.telegram.wait_for(lambda tg: len(tg.edits_in(chat_id)) > edits, timeout=HUNG)
        return self.telegram.edits_in(chat_id)[-1].plain_text or ""


@pytest.fixture
async def balancer(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[Balancer]:
    ports = [free_port(), free_port()]
    processes = []
    for number, port in enumerate(ports):
        env = operator_environment(
            tmp_path,
            telegram,
            feeds,
            {"WARTA_WEBHOOK_URL": PUBLIC_URL, "WARTA_WEBHOOK_SECRET": SECRET},
        ) | {"WARTA_WEBHOOK_PORT": str(port)}
        arguments = ["run", "--webhook", "--role", "updates"]
        log = tmp_path / f"updates-{number}.log"
        processes.append(await start_warta(arguments, env, tmp_path, log))
    try:
        await asyncio.gather(*(wait_until_listening(port, HUNG) for port in ports))
        yield Balancer(telegram, ports)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(process.wait(), HUNG) for process in processes]
    assert codes == [0, 0]


async def test_any_updates_process_handles_any_update(
    balancer: Balancer, telegram: TelegramStandIn
) -> None:
    await balancer.say(READER, "/start", to=0)
    added = await balancer.say(READER, "/subscribe banjir, Korea Utara", to=1)
    assert "Korea Utara" in (added.plain_text or "")
    listed = await balancer.say(READER, "/list", to=0)
    assert "banjir" in (listed.plain_text or "")

    # A menu opened through one process, its buttons pressed through the other.
    menu = await balancer.say(READER, "/unsubscribe", to=1)
    (korea,) = [data for data, button in zip(menu.callback_data, menu.buttons, strict=True)
                if "Korea Utara" in button["text"]]  # fmt: skip
    after = await balancer.press(READER, menu.message_id, korea, to=0)
    assert "Korea Utara" in after
    listed = await balancer.say(READER, "/list", to=1)
    assert "Korea Utara" not in (listed.plain_text or "")

    # An announcement drafted through one process and cancelled through the other.
    await balancer.say(ADMIN_ID, "/broadcast Server pindah malam ini", to=0)
    # The announcement as readers will see it, then the question with its buttons.
    (_, preview) = await telegram.wait_for_messages(ADMIN_ID, 2, timeout=HUNG)
    (cancel,) = [data for data in preview.callback_data if ":cancel:" in data]
    discarded = await balancer.press(ADMIN_ID, preview.message_id, cancel, to=1)
    assert "Server pindah" not in discarded

    # Sent through an updates process that has no sender: queued for the senders, wherever.
    await balancer.say(ADMIN_ID, "/broadcast Jadwal baru berlaku besok", to=1)
    (_, _, _, preview) = await telegram.wait_for_messages(ADMIN_ID, 4, timeout=HUNG)
    (send,) = [data for data in preview.callback_data if ":send:" in data]
    await balancer.press(ADMIN_ID, preview.message_id, send, to=0)
    progress = telegram.edits_in(ADMIN_ID)[-1]
    assert [data for data in progress.callback_data if ":stop:" in data]  # still to be sent
    # /latest reads the database: an updates process alone answers it.
    latest = await balancer.say(READER, "/latest banjir", to=0)
    assert latest.plain_text
