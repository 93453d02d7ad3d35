"""Logs: one line per event in text or JSON, and never the bot token or the webhook secret."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.ops.logs import JsonFormatter, RedactingFormatter
from bot.standin import FeedServer, TelegramStandIn
from tests.inprocess import running_bot
from tests.ops.helpers import operator_environment, start_warta

TOKEN = "123456:TEST-TOKEN"
SECRET = "webhook_Secret-42"
READER = 501


def record_with_traceback(message: str, *args: object) -> logging.LogRecord:
    """A log record carrying an exception whose text contains the token."""
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except ConnectionError:
        return logging.getLogger("httpx").makeRecord(
            "httpx", logging.ERROR, __file__, 1, message, args, sys.exc_info()
        )


def test_json_lines_carry_the_event_without_secrets() -> None:
    record = record_with_traceback(
        "request to %s with secret %s", f"/bot{quote(TOKEN, safe='')}/getMe", SECRET
    )
    line = JsonFormatter(TOKEN, [SECRET]).format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert set(event) == {"time", "level", "logger", "message", "exception"}
    assert (event["level"], event["logger"]) == ("ERROR", "httpx")
    assert event["message"] == "request to /bot<token>/getMe with secret <secret>"
    assert (
        "ConnectionError: POST https://api.telegram.org/bot<token>/sendMessage"
        in (event["exception"])
    )
    assert TOKEN not in line
    assert quote(TOKEN, safe="") not in line
    assert SECRET not in line


def test_text_lines_fold_tracebacks_into_the_event_line() -> None:
    line = RedactingFormatter(TOKEN).format(record_with_traceback("send failed"))
    assert "\n" not in line
    assert " ERROR httpx: send failed\\nTraceback (most recent call last):" in line
    assert TOKEN not in line


async def test_json_log_of_a_running_bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    env = operator_environment(
        tmp_path,
        telegram,
        feeds,
        {"WARTA_LOG_FORMAT": "json", "WARTA_LOG_LEVEL": "DEBUG", "WARTA_WEBHOOK_SECRET": SECRET},
    )
    log = tmp_path / "bot.log"
    process = await start_warta(["run"], env, tmp_path, log)
    try:
        await feeds.wait_for_hits("/banten.xml", 1, timeout=30)
        # The reply fails, so the error handler logs a traceback, then apologises.
        telegram.fail_next(status=400, description="Bad Request: can't parse entities")
        telegram.user_says(READER, "/start")
        await telegram.wait_for_messages(READER, 1, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0

    lines = log.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= event.keys() for event in events)
    messages = [event["message"] for event in events]
    assert any(message.startswith("started feeds=1") for message in messages)
    assert any(message.startswith("poll done") for message in messages)
    failures = [event for event in events if "exception" in event]
    assert any("BadRequest: Can't parse entities" in event["exception"] for event in failures)
    text = "\n".join(lines)
    assert telegram.token not in text
    assert quote(telegram.token, safe="") not in text
    assert SECRET not in text


async def test_the_database_password_is_never_logged(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    postgres_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The test server trusts local connections: the password is carried, never checked.
    url = postgres_url.replace("postgres:@", "postgres:rahasia-db-7@", 1)
    assert "rahasia-db-7" in url
    caplog.set_level(logging.DEBUG)
    feeds.publish("/banten.xml", [])
    async with running_bot(
        tmp_path, telegram, feeds, [("ANTARA Banten", "/banten.xml", "Banten")], database=url
    ) as bot:
        assert "/subscribe" in await bot.say(READER, "/start")
    assert "db=postgresql://postgres@" in caplog.text
    assert "rahasia" not in caplog.text


def test_a_short_secret_is_hidden_where_it_stands_never_inside_words() -> None:
    record = logging.getLogger("warta").makeRecord(
        "warta",
        logging.WARNING,
        __file__,
        1,
        "setWebhook secret_token=%s refused: port %s",
        ("p", 443),
        None,
    )
    line = RedactingFormatter(TOKEN, ["p"]).format(record)
    assert line.endswith("setWebhook secret_token=<secret> refused: port 443")
