"""`warta run --webhook`: Telegram's calls are answered only when they carry the secret."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.standin import FeedServer, TelegramStandIn
from tests.ops.helpers import free_port, operator_environment, start_warta, wait_until_listening

SECRET = "s3cret_Webhook-token"
PUBLIC_URL = "https://warta.example/telegram/updates"
STRANGER, READER = 301, 302


def update_from(telegram: TelegramStandIn, chat_id: int, text: str) -> dict[str, Any]:
    """The update JSON Telegram would deliver for a user's message."""
    update_id = telegram.user_says(chat_id, text)
    return next(u for u in telegram.pending_updates if u["update_id"] == update_id)


async def test_webhook_processes_only_updates_with_the_secret(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    port = free_port()
    env = operator_environment(
        tmp_path,
        telegram,
        feeds,
        {
            "WARTA_WEBHOOK_URL": PUBLIC_URL,
            "WARTA_WEBHOOK_SECRET": SECRET,
            "WARTA_WEBHOOK_PORT": str(port),
        },
    )
    log = tmp_path / "bot.log"
    process = await start_warta(["run", "--webhook"], env, tmp_path, log)
    try:
        await telegram.wait_for(lambda tg: tg.webhook_url == PUBLIC_URL, timeout=30)
        (registration,) = telegram.requests_for("setWebhook")
        assert registration.params["secret_token"] == SECRET
        await wait_until_listening(port)

        hook = f"http://127.0.0.1:{port}/telegram/updates"
        stranger = update_from(telegram, STRANGER, "/start")
        async with httpx.AsyncClient(timeout=30) as client:
            unsigned = await client.post(hook, json=stranger)
            forged = await client.post(
                hook, json=stranger, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            elsewhere = await client.post(
                f"http://127.0.0.1:{port}/other",
                json=stranger,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            signed = await client.post(
                hook,
                json=update_from(telegram, READER, "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert (unsigned.status_code, forged.status_code) == (403, 403)
        assert elsewhere.status_code == 404
        assert signed.status_code == 200

        (welcome,) = await telegram.wait_for_messages(READER, 1, timeout=30)
        assert "Warta" in (welcome.plain_text or "")
        # Updates go through one queue in order: the refused ones came first and never ran.
        assert telegram.messages_to(STRANGER) == []
        assert telegram.requests_for("getUpdates") == []
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0
    text = log.read_text(encoding="utf-8")
    assert SECRET not in text
    assert telegram.token not in text


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({}, "WARTA_WEBHOOK_URL"),
        ({"WARTA_WEBHOOK_URL": PUBLIC_URL}, "WARTA_WEBHOOK_SECRET"),
        (
            {"WARTA_WEBHOOK_URL": "http://warta.example/hook", "WARTA_WEBHOOK_SECRET": SECRET},
            "WARTA_WEBHOOK_URL",
        ),
        (
            {"WARTA_WEBHOOK_URL": PUBLIC_URL, "WARTA_WEBHOOK_SECRET": "bad secret!"},
            "WARTA_WEBHOOK_SECRET",
        ),
    ],
)
def test_webhook_without_its_settings_stops_with_one_line(
    tmp_path: Path, environment: dict[str, str], named: str
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert named in lines[0]
    assert "bad secret!" not in lines[0]
