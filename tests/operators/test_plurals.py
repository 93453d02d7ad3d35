"""English counts agree with their nouns: "1 chat", "2 chats"."""

from __future__ import annotations

from bot.standin import SentMessage, TelegramStandIn
from tests.factories import register_readers
from tests.inprocess import ADMIN_ID, RunningBot, confirmation


async def test_broadcast_buttons_count_chats_in_good_english(warta: RunningBot) -> None:
    telegram = warta.telegram
    await warta.say(ADMIN_ID, "/broadcast Server moves tonight", language_code="en")
    alone = await confirmation(telegram)
    assert "It goes to 1 active chat. Send it?" in (alone.plain_text or "")
    assert alone.buttons[0]["text"] == "✅ Send to 1 chat"
    await register_readers(warta.services.storage, 5000, 1)
    await warta.say(ADMIN_ID, "/broadcast Server moves tonight", language_code="en")
    await telegram.wait_for(
        lambda tg: len([m for m in tg.messages_to(ADMIN_ID) if m.callback_data]) == 2
    )
    two = await confirmation(telegram)
    assert two.buttons[0]["text"] == "✅ Send to 2 chats"


async def test_export_counts_feeds_in_good_english(warta: RunningBot) -> None:
    telegram = warta.telegram
    telegram.user_says(ADMIN_ID, "/export", language_code="en")

    def documents(tg: TelegramStandIn) -> list[SentMessage]:
        return [m for m in tg.messages_to(ADMIN_ID) if m.method == "sendDocument"]

    await telegram.wait_for(lambda tg: bool(documents(tg)))
    (document,) = documents(telegram)
    assert (document.plain_text or "").startswith("📤 1 feed as OPML. Import it with")
