"""The settings menu, pause and resume, languages, and onboarding."""

from __future__ import annotations

from bot.standin import TelegramStandIn
from tests.factories import news
from tests.inprocess import FakeClock, RunningBot

BUDI, CITRA = 101, 102


async def press(bot: RunningBot, chat_id: int, data: str) -> None:
    telegram = bot.telegram
    menu = [m for m in telegram.messages_to(chat_id) if m.callback_data][-1]
    answers = len(telegram.callback_answers)
    telegram.press_button(chat_id, menu.message_id, data)
    await telegram.wait_for(lambda tg: len(tg.callback_answers) > answers)


async def test_the_menu_edits_itself_and_stores_each_choice(reader_bot: RunningBot) -> None:
    telegram = reader_bot.telegram
    await reader_bot.say(BUDI, "/settings")
    menu = telegram.messages_to(BUDI)[-1]
    for action in ("set:link_previews", "set:silent", "set:quiet", "set:quiet_start:+1"):
        await press(reader_bot, BUDI, action)
    chat = await reader_bot.services.storage.get_chat(BUDI)
    assert chat is not None
    assert (chat.link_previews, chat.silent, chat.quiet_start, chat.quiet_end) == (
        True,
        True,
        23,
        6,
    )
    await telegram.wait_for(
        lambda tg: "23:00–06:00 WIB" in (tg.message(BUDI, menu.message_id) or {}).get("text", "")
    )
    assert len(telegram.messages_to(BUDI)) == 1  # the menu, edited in place


async def test_silent_and_previews_reach_the_alert(reader_bot: RunningBot) -> None:
    await reader_bot.say(BUDI, "/subscribe banjir")
    await reader_bot.say(BUDI, "/settings")
    await press(reader_bot, BUDI, "set:silent")
    await press(reader_bot, BUDI, "set:link_previews")
    reader_bot.feeds.add_item("/banten.xml", news("s1", "Banjir rendam Ciruas"))
    await reader_bot.poll()
    await reader_bot.telegram.wait_for(
        lambda tg: any("Ciruas" in (m.plain_text or "") for m in tg.messages_to(BUDI))
    )
    alert = reader_bot.telegram.messages_to(BUDI)[-1]
    assert alert.disable_notification
    assert alert.link_preview_options is not None
    assert not alert.link_preview_options.get("is_disabled")


async def test_pause_keeps_topics_and_resume_brings_alerts_back(reader_bot: RunningBot) -> None:
    await reader_bot.say(BUDI, "/subscribe banjir")
    assert "dijeda" in await reader_bot.say(BUDI, "/pause")
    reader_bot.feeds.add_item("/banten.xml", news("p1", "Banjir rendam Kramatwatu"))
    await reader_bot.poll()
    assert await reader_bot.services.storage.outbox_backlog() == 0
    assert "banjir" in await reader_bot.say(BUDI, "/list")
    assert "dilanjutkan" in await reader_bot.say(BUDI, "/resume")
    reader_bot.feeds.add_item("/banten.xml", news("p2", "Banjir rendam Bojonegara"))
    await reader_bot.poll()
    await reader_bot.telegram.wait_for(
        lambda tg: any("Bojonegara" in (m.plain_text or "") for m in tg.messages_to(BUDI))
    )
    assert not any(
        "Kramatwatu" in (m.plain_text or "") for m in reader_bot.telegram.messages_to(BUDI)
    )


async def test_english_speakers_get_english_and_anyone_can_switch(reader_bot: RunningBot) -> None:
    telegram = reader_bot.telegram
    before = len(telegram.messages_to(202))
    telegram.user_says(202, "/start", language_code="en")
    (welcome,) = (await telegram.wait_for_messages(202, before + 1))[before:]
    assert "Welcome to Warta" in (welcome.plain_text or "")
    assert "Bahasa diubah" in await reader_bot.say(202, "/language id")
    assert "Selamat datang" in await reader_bot.say(202, "/start")
    assert "English" in await reader_bot.say(BUDI, "/bahasa en")
    assert "See all your topics" in await reader_bot.say(BUDI, "/subscribe tsunami")


async def test_onboarding_subscribes_in_two_taps(reader_bot: RunningBot) -> None:
    telegram = reader_bot.telegram
    await reader_bot.say(BUDI, "/start")
    welcome = telegram.messages_to(BUDI)[-1]
    assert "/subscribe Korea Utara" in (welcome.plain_text or "")
    pick = {button["text"]: button["callback_data"] for button in welcome.buttons}
    telegram.press_button(BUDI, welcome.message_id, pick["✚ Korea Utara"])
    telegram.press_button(BUDI, welcome.message_id, pick["📍 Banten"])
    await telegram.wait_for(lambda tg: len(tg.callback_answers) == 2)
    storage = reader_bot.services.storage
    assert [t.text for t in await storage.list_topics(BUDI)] == ["Korea Utara"]
    assert await storage.chat_regions(BUDI) == ["36"]  # Banten, by its code


async def test_help_fits_on_one_screen(reader_bot: RunningBot) -> None:
    reply = await reader_bot.say(BUDI, "/help")
    assert len(reply.splitlines()) <= 16
    for command in ("/subscribe", "/region", "/settings", "/pause", "/language", "/channel"):
        assert command in reply


async def test_an_alert_queued_before_pause_waits_for_resume(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    await reader_bot.say(BUDI, "/subscribe banjir")
    await reader_bot.say(CITRA, "/subscribe gempa")
    # Telegram asks to wait: the alert is queued again for a moment later.
    telegram.fail_next(status=429, retry_after=1, chat_id=BUDI)
    reader_bot.feeds.add_item("/banten.xml", news("k1", "Banjir rendam Kramatwatu"))
    await reader_bot.poll()
    await telegram.wait_for(lambda tg: any(r.status == 429 for r in tg.requests))
    assert "dijeda" in await reader_bot.say(BUDI, "/pause")
    clock.advance(60)  # its retry is due
    reader_bot.feeds.add_item("/banten.xml", news("g1", "Gempa kecil di Lebak"))
    await reader_bot.poll()
    # Queued after it, and sent: the sender has looked at the paused reader's alert too.
    await telegram.wait_for(lambda tg: received(tg, CITRA, "Gempa kecil di Lebak"))
    await reader_bot.settled()
    assert not received(telegram, BUDI, "Kramatwatu")
    assert "dilanjutkan" in await reader_bot.say(BUDI, "/resume")
    await telegram.wait_for(lambda tg: received(tg, BUDI, "Kramatwatu"), timeout=30)


def received(telegram: TelegramStandIn, chat_id: int, words: str) -> bool:
    return any(words in (m.plain_text or "") for m in telegram.messages_to(chat_id))
