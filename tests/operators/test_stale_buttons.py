"""Buttons pressed on a message that is gone: a short answer, never the error handler."""

from __future__ import annotations

import logging

import pytest

from bot.standin import SentMessage, TelegramStandIn
from tests.inprocess import ADMIN_ID, RunningBot, confirmation

READER = 101


async def press_on_deleted(
    telegram: TelegramStandIn, message: SentMessage, data: str, chat_id: int = ADMIN_ID
) -> str:
    """Delete the message, press one of its buttons, and return the answer's text."""
    telegram.message_deleted(chat_id, message.message_id)
    answered = len(telegram.callback_answers)
    telegram.press_button(chat_id, message.message_id, data)
    await telegram.wait_for(lambda tg: len(tg.callback_answers) > answered)
    return telegram.callback_answers[-1].text or ""


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def test_feed_pages_on_a_deleted_message_say_it_is_outdated(
    operator_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = operator_bot.telegram
    await operator_bot.say(ADMIN_ID, "/feeds")
    listing = telegram.messages_to(ADMIN_ID)[-1]
    assert "usang" in await press_on_deleted(telegram, listing, "feeds:page:0")
    assert errors(caplog) == []


async def test_a_feed_removed_from_a_deleted_message_says_both(
    operator_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = operator_bot.telegram
    await operator_bot.say(ADMIN_ID, "/removefeed")
    prompt = await confirmation(telegram)
    answer = await press_on_deleted(telegram, prompt, prompt.callback_data[0])
    assert "ANTARA Banten" in answer
    assert "usang" in answer
    assert await operator_bot.services.storage.list_feeds() == []
    assert errors(caplog) == []


async def test_a_broadcast_discarded_from_a_deleted_message_is_answered(
    warta: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = warta.telegram
    await warta.say(ADMIN_ID, "/broadcast Server pindah malam ini")
    confirm = await confirmation(telegram)
    assert "usang" in await press_on_deleted(telegram, confirm, confirm.callback_data[1])
    assert errors(caplog) == []


async def test_reader_menus_on_a_deleted_message_say_they_are_outdated(
    warta: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = warta.telegram
    await warta.say(READER, "/settings")
    menu = telegram.messages_to(READER)[-1]
    assert "usang" in await press_on_deleted(telegram, menu, "set:silent", READER)
    await warta.say(READER, "/region")
    regions = telegram.messages_to(READER)[-1]
    assert "usang" in await press_on_deleted(telegram, regions, regions.callback_data[0], READER)
    # A province's button opens its page rather than following: follow one to remove it.
    await warta.say(READER, "/region Banten")
    await warta.say(READER, "/unsubscribe")
    removal = telegram.messages_to(READER)[-1]
    assert "usang" in await press_on_deleted(telegram, removal, removal.callback_data[0], READER)
    assert await warta.services.storage.chat_regions(READER) == []
    assert errors(caplog) == []
    # None of them apologised with the generic error either.
    assert not any("Maaf" in (m.plain_text or "") for m in telegram.messages_to(READER))
