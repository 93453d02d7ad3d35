"""Every operators' command and button refuses a reader, and does nothing else."""

from __future__ import annotations

import pytest

from bot.i18n import text
from handlers.replies import plain_text
from tests.inprocess import ADMIN_ID, RunningBot

READER = 101
REFUSAL = "hanya untuk admin"
COMMANDS = (
    "/feeds",
    "/addfeed https://example.com/rss.xml",
    "/removefeed",
    "/export",
    "/broadcast Halo semua",
    "/broadcast_cancel",
    "/stats",
)


async def all_handled(warta: RunningBot, chat_id: int) -> None:
    """Ask for /help and wait for it: every update sent before has been handled by then."""
    help_text = plain_text(text("help"))
    warta.telegram.user_says(chat_id, "/help")
    await warta.telegram.wait_for(
        lambda tg: any(m.plain_text == help_text for m in tg.messages_to(chat_id))
    )


@pytest.mark.parametrize("command", COMMANDS)
async def test_a_reader_gets_only_the_refusal(warta: RunningBot, command: str) -> None:
    feeds_before = await warta.services.storage.list_feeds()
    assert REFUSAL in await warta.say(READER, command)
    await all_handled(warta, READER)
    assert len(warta.telegram.messages_to(READER)) == 2  # the refusal and the help
    assert await warta.services.storage.list_feeds() == feeds_before
    assert await warta.services.storage.audience_size() == 1  # the reader, registered by asking


async def test_a_reader_pressing_an_operators_button_changes_nothing(warta: RunningBot) -> None:
    storage = warta.services.storage
    feed = (await storage.list_feeds())[0]
    await warta.say(ADMIN_ID, "/broadcast Halo semua")
    telegram = warta.telegram
    for data in (f"rmfeed:del:{feed.id}:0", "feeds:page:1", "bcast:send:1", "bcast:stop:1"):
        answered = len(telegram.callback_answers)
        telegram.press_button(READER, 1, data, user_id=READER)
        await telegram.wait_for(lambda tg, seen=answered: len(tg.callback_answers) > seen)
        answer = telegram.callback_answers[-1]
        assert answer.show_alert
        assert REFUSAL in (answer.text or "")
    await all_handled(warta, READER)
    assert len(telegram.messages_to(READER)) == 1  # the help alone
    assert (await storage.list_feeds())[0] == feed
    assert await storage.sending_broadcasts() == []
