"""Where a reader finds the Mini App: the menu button and a button on /start, /list, /settings."""

from __future__ import annotations

from pathlib import Path

from bot.standin import FeedServer, SentMessage, TelegramStandIn
from tests.inprocess import ADMIN_ID, RunningBot
from tests.webapp.helpers import READER, mini_app

PAGE = "https://warta.example/app/"


def web_app_urls(message: SentMessage) -> list[str]:
    """The Mini App addresses a message's buttons open."""
    return [button["web_app"]["url"] for button in message.buttons if "web_app" in button]


async def test_private_chats_get_the_mini_app_from_the_menu_start_list_and_settings(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    async with mini_app(tmp_path, telegram, feeds) as (warta, _):
        assert telegram.menu_buttons[None]["web_app"]["url"] == PAGE
        await warta.say(READER, "/start", language_code="en")
        assert web_app_urls(telegram.messages_to(READER)[-1]) == [PAGE]
        await telegram.wait_for(lambda tg: READER in tg.menu_buttons)
        own = telegram.menu_buttons[READER]
        assert (own["type"], own["text"], own["web_app"]["url"]) == ("web_app", "Warta", PAGE)
        await warta.say(READER, "/subscribe banjir")
        for command in ("/list", "/settings"):
            await warta.say(READER, command)
            assert web_app_urls(telegram.messages_to(READER)[-1]) == [PAGE], command
        # Telegram allows Web App buttons in private chats only.
        group = -4001
        telegram.user_says(group, "/list", user_id=READER, chat_type="group", chat_title="RT 5")
        replies = await telegram.wait_for_messages(group, 1)
        assert web_app_urls(replies[0]) == []


async def test_without_an_address_there_is_no_button_and_start_tells_the_operator(
    warta: RunningBot,
) -> None:
    await warta.say(ADMIN_ID, "/start")
    sent = warta.telegram.messages_to(ADMIN_ID)[-1]
    assert web_app_urls(sent) == []
    assert "WARTA_WEBAPP_URL" in (sent.plain_text or "")
    assert warta.telegram.menu_buttons == {}
    await warta.say(READER, "/start")
    assert "WARTA_WEBAPP_URL" not in (warta.telegram.messages_to(READER)[-1].plain_text or "")
