"""Groups (administrators decide), supergroup upgrades, removal, and channels."""

from __future__ import annotations

from bot.standin import CallbackAnswer, SentMessage
from storage.models import Chat
from tests.factories import news
from tests.inprocess import FakeClock, RunningBot

GROUP, SUPERGROUP = -2001, -1002001
ADMIN, MEMBER = 555, 777
CHANNEL = -1003003


async def group_says(bot: RunningBot, text: str, user_id: int) -> str:
    telegram = bot.telegram
    before = len(telegram.messages_to(GROUP))
    telegram.user_says(GROUP, text, user_id=user_id, chat_type="group", chat_title="Warga Serang")
    messages = await telegram.wait_for_messages(GROUP, before + 1)
    return messages[before].plain_text or ""


async def test_only_group_administrators_change_the_group(reader_bot: RunningBot) -> None:
    reader_bot.telegram.member_status[GROUP] = {ADMIN: "administrator", MEMBER: "member"}
    refused = await group_says(reader_bot, "/subscribe banjir", MEMBER)
    assert "admin grup" in refused
    assert await reader_bot.services.storage.list_topics(GROUP) == []
    added = await group_says(reader_bot, "/subscribe@warta_test_bot banjir", ADMIN)
    assert "banjir" in added
    assert "admin grup" in await group_says(reader_bot, "/settings", MEMBER)
    # Reading is for everyone.
    assert "banjir" in await group_says(reader_bot, "/list", MEMBER)
    calls = reader_bot.telegram.requests_for("getChatMember")
    assert {call.params["user_id"] for call in calls} == {ADMIN, MEMBER}


async def test_a_member_pressing_settings_buttons_changes_nothing(reader_bot: RunningBot) -> None:
    telegram = reader_bot.telegram
    telegram.member_status[GROUP] = {ADMIN: "creator", MEMBER: "member"}
    await group_says(reader_bot, "/settings", ADMIN)
    menu = telegram.messages_to(GROUP)[-1]
    telegram.press_button(GROUP, menu.message_id, "set:paused", user_id=MEMBER)
    await telegram.wait_for(lambda tg: len(tg.callback_answers) == 1)
    assert telegram.callback_answers[0].show_alert
    chat = await reader_bot.services.storage.get_chat(GROUP)
    assert chat is not None
    assert not chat.paused


async def test_an_upgraded_group_keeps_its_subscriptions(reader_bot: RunningBot) -> None:
    telegram = reader_bot.telegram
    telegram.member_status[GROUP] = {ADMIN: "administrator"}
    await group_says(reader_bot, "/subscribe banjir", ADMIN)
    telegram.group_migrated(GROUP, SUPERGROUP, user_id=ADMIN)
    storage = reader_bot.services.storage
    await telegram.wait_for(lambda tg: True)  # let the bot take the update
    reader_bot.feeds.add_item("/banten.xml", news("g1", "Banjir rendam Kasemen"))
    await reader_bot.poll()
    await telegram.wait_for(lambda tg: len(tg.messages_to(SUPERGROUP)) == 1)
    assert [t.text for t in await storage.list_topics(SUPERGROUP)] == ["banjir"]
    assert await storage.get_chat(GROUP) is None


async def test_a_group_upgraded_unseen_keeps_matching_at_its_new_id(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    telegram.member_status[GROUP] = {ADMIN: "administrator"}
    await group_says(reader_bot, "/subscribe banjir", ADMIN)
    telegram.migrate_chat(GROUP, SUPERGROUP)  # only the refused send tells the bot
    reader_bot.feeds.add_item("/banten.xml", news("u1", "Banjir rendam Kasemen"))
    await reader_bot.poll()
    await telegram.wait_for(lambda tg: len(tg.messages_to(SUPERGROUP)) == 1)
    await reader_bot.settled()
    reader_bot.feeds.add_item("/banten.xml", news("u2", "Banjir rendam Walantaka"))
    await reader_bot.poll()
    await telegram.wait_for(lambda tg: len(tg.messages_to(SUPERGROUP)) == 2)
    assert "Walantaka" in (telegram.messages_to(SUPERGROUP)[1].plain_text or "")


async def test_a_chat_that_removed_the_bot_is_deactivated(reader_bot: RunningBot) -> None:
    telegram = reader_bot.telegram
    telegram.member_status[GROUP] = {ADMIN: "administrator"}
    await group_says(reader_bot, "/subscribe banjir", ADMIN)
    telegram.bot_removed_from(GROUP)
    storage = reader_bot.services.storage
    await telegram.wait_for(lambda tg: not tg.pending_updates)
    reader_bot.feeds.add_item("/banten.xml", news("g2", "Banjir rendam Walantaka"))
    await reader_bot.poll()
    chat = await storage.get_chat(GROUP)
    assert chat is not None
    assert not chat.active
    assert await storage.outbox_backlog() == 0


async def test_a_linked_channel_is_managed_from_private_chat_and_alerted(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    linked = await reader_bot.say(ADMIN, "/channel @beritaserang")
    assert "Berita Serang" in linked
    added = await reader_bot.say(ADMIN, "/subscribe banjir")
    assert "Berita Serang" in added
    storage = reader_bot.services.storage
    assert [t.text for t in await storage.list_topics(CHANNEL)] == ["banjir"]
    assert await storage.list_topics(ADMIN) == []
    reader_bot.feeds.add_item("/banten.xml", news("c1", "Banjir rendam Taktakan"))
    await reader_bot.poll()
    (post,) = await telegram.wait_for_messages(CHANNEL, 1)
    assert "Banjir rendam Taktakan" in (post.plain_text or "")
    assert "kembali" in await reader_bot.say(ADMIN, "/channel off")
    await reader_bot.say(ADMIN, "/subscribe gempa")
    assert [t.text for t in await storage.list_topics(ADMIN)] == ["gempa"]


async def test_only_channel_administrators_may_link_it(reader_bot: RunningBot) -> None:
    reader_bot.telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    refused = await reader_bot.say(MEMBER, "/channel @beritaserang")
    assert "Hanya admin" in refused
    assert "tidak ditemukan" in await reader_bot.say(MEMBER, "/channel @tidakada")
    chat = await reader_bot.services.storage.get_chat(MEMBER)
    assert chat is not None
    assert chat.managing is None


async def test_a_demoted_administrator_no_longer_controls_the_channel(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    storage = reader_bot.services.storage
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await reader_bot.say(ADMIN, "/channel @beritaserang")
    await reader_bot.say(ADMIN, "/subscribe banjir")
    await reader_bot.say(ADMIN, "/settings")
    menu = telegram.messages_to(ADMIN)[-1]
    telegram.member_changed(CHANNEL, ADMIN, "member")
    clock.advance(61)  # past the minute an administrator check is remembered
    telegram.press_button(ADMIN, menu.message_id, "set:paused")
    await telegram.wait_for(lambda tg: len(tg.callback_answers) == 1)
    refusal = telegram.callback_answers[0]
    assert refusal.show_alert
    assert "Berita Serang" in (refusal.text or "")
    assert "bukan lagi admin" in (refusal.text or "")
    channel = await storage.get_chat(CHANNEL)
    assert channel is not None
    assert not channel.paused
    # Unlinked: commands here change this private chat again, and the channel keeps its topics.
    await reader_bot.say(ADMIN, "/subscribe gempa")
    assert [t.text for t in await storage.list_topics(CHANNEL)] == ["banjir"]
    assert [t.text for t in await storage.list_topics(ADMIN)] == ["gempa"]


async def test_a_removed_administrator_is_told_why_and_unlinked(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    storage = reader_bot.services.storage
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await reader_bot.say(ADMIN, "/channel @beritaserang")
    await reader_bot.say(ADMIN, "/subscribe banjir")
    telegram.member_changed(CHANNEL, ADMIN, "left")
    clock.advance(61)
    refused = await reader_bot.say(ADMIN, "/pause")
    assert "Berita Serang" in refused
    assert "bukan lagi admin" in refused
    channel = await storage.get_chat(CHANNEL)
    admin = await storage.get_chat(ADMIN)
    assert channel is not None
    assert admin is not None
    assert not channel.paused
    assert not admin.paused
    assert admin.managing is None
    assert "Berita Serang" not in await reader_bot.say(ADMIN, "/list")


async def test_administrator_checks_are_remembered_for_a_minute(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await reader_bot.say(ADMIN, "/channel @beritaserang")

    def checks() -> int:
        calls = telegram.requests_for("getChatMember")
        return sum(1 for call in calls if call.params == {"chat_id": CHANNEL, "user_id": ADMIN})

    assert checks() == 1  # linking asks Telegram
    await reader_bot.say(ADMIN, "/subscribe banjir")
    clock.advance(59)
    await reader_bot.say(ADMIN, "/subscribe gempa")
    assert checks() == 1
    clock.advance(2)
    await reader_bot.say(ADMIN, "/subscribe tsunami")
    assert checks() == 2


# A channel's id as long as Telegram makes them: every menu button must still fit in 64 bytes.
LONG_CHANNEL = -1009876543210
OTHER_CHAT = "Menu ini untuk chat lain"


async def open_menu(bot: RunningBot, command: str) -> SentMessage:
    """Send a command from the administrator's private chat; the menu it answers with."""
    await bot.say(ADMIN, command)
    menu = bot.telegram.messages_to(ADMIN)[-1]
    assert menu.callback_data, f"{command} answered without buttons"
    return menu


def data_of(menu: SentMessage, start: str) -> str:
    """The data of the menu's (first) button whose data starts so."""
    return next(data for data in menu.callback_data if data.startswith(start))


async def press_on(bot: RunningBot, menu: SentMessage, data: str) -> CallbackAnswer:
    """Press a button on a menu in the administrator's private chat; the bot's answer."""
    telegram = bot.telegram
    answers = len(telegram.callback_answers)
    telegram.press_button(ADMIN, menu.message_id, data)
    await telegram.wait_for(lambda tg: len(tg.callback_answers) > answers)
    return telegram.callback_answers[answers]


async def stored(bot: RunningBot, chat_id: int) -> Chat:
    chat = await bot.services.storage.get_chat(chat_id)
    assert chat is not None
    return chat


async def test_a_channel_menu_pressed_after_unlinking_changes_nothing(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    storage = reader_bot.services.storage
    telegram.add_channel(LONG_CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await reader_bot.say(ADMIN, "/channel @beritaserang")
    await reader_bot.say(ADMIN, "/subscribe banjir")
    await reader_bot.say(ADMIN, "/region Banten")
    settings = await open_menu(reader_bot, "/settings")
    regions = await open_menu(reader_bot, "/region")
    removal = await open_menu(reader_bot, "/unsubscribe")
    sent = [data for message in telegram.sent for data in message.callback_data]
    assert all(len(data.encode()) <= 64 for data in sent)
    await press_on(reader_bot, settings, data_of(settings, "set:silent"))
    assert (await stored(reader_bot, LONG_CHANNEL)).silent  # while linked, presses change it
    assert "kembali" in await reader_bot.say(ADMIN, "/channel off")
    for menu, data in (
        (settings, data_of(settings, "set:paused")),
        (regions, data_of(regions, "region:")),
        (removal, data_of(removal, "unsub:")),
    ):
        answer = await press_on(reader_bot, menu, data)
        assert OTHER_CHAT in (answer.text or "")
    channel, private = await stored(reader_bot, LONG_CHANNEL), await stored(reader_bot, ADMIN)
    assert not channel.paused
    assert not private.paused
    assert [t.text for t in await storage.list_topics(LONG_CHANNEL)] == ["banjir"]
    assert await storage.chat_regions(LONG_CHANNEL) == ["36"]  # Banten
    assert await storage.chat_regions(ADMIN) == []


async def test_a_private_menu_pressed_after_linking_a_channel_changes_nothing(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    storage = reader_bot.services.storage
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    settings = await open_menu(reader_bot, "/settings")
    regions = await open_menu(reader_bot, "/region")
    await reader_bot.say(ADMIN, "/channel @beritaserang")
    answer = await press_on(reader_bot, settings, data_of(settings, "set:paused"))
    assert OTHER_CHAT in (answer.text or "")
    answer = await press_on(reader_bot, regions, data_of(regions, "region:"))
    assert OTHER_CHAT in (answer.text or "")
    assert not (await stored(reader_bot, CHANNEL)).paused
    assert not (await stored(reader_bot, ADMIN)).paused
    assert await storage.chat_regions(CHANNEL) == []
    assert await storage.chat_regions(ADMIN) == []
    fresh = await open_menu(reader_bot, "/settings")
    await press_on(reader_bot, fresh, data_of(fresh, "set:paused"))
    assert (await stored(reader_bot, CHANNEL)).paused


async def test_a_channel_menu_pressed_after_losing_the_channel_changes_nothing(
    reader_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = reader_bot.telegram
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await reader_bot.say(ADMIN, "/channel @beritaserang")
    settings = await open_menu(reader_bot, "/settings")
    telegram.member_changed(CHANNEL, ADMIN, "member")
    clock.advance(61)  # past the minute an administrator check is remembered
    paused = data_of(settings, "set:paused")
    refusal = await press_on(reader_bot, settings, paused)
    assert refusal.show_alert
    assert "bukan lagi admin" in (refusal.text or "")
    answer = await press_on(reader_bot, settings, paused)  # now unlinked: not the private chat
    assert OTHER_CHAT in (answer.text or "")
    assert not (await stored(reader_bot, CHANNEL)).paused
    assert not (await stored(reader_bot, ADMIN)).paused


async def test_buttons_sent_before_they_named_their_chat_change_the_configured_chat(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await reader_bot.say(ADMIN, "/channel @beritaserang")
    settings = await open_menu(reader_bot, "/settings")
    answer = await press_on(reader_bot, settings, "set:paused")
    assert OTHER_CHAT not in (answer.text or "")
    assert (await stored(reader_bot, CHANNEL)).paused
    assert "kembali" in await reader_bot.say(ADMIN, "/channel off")
    await press_on(reader_bot, settings, "set:silent")
    assert (await stored(reader_bot, ADMIN)).silent
    assert not (await stored(reader_bot, CHANNEL)).silent


async def test_language_buttons_change_the_chat_they_are_pressed_in_like_the_command(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await reader_bot.say(ADMIN, "/channel @beritaserang")
    prompt = await open_menu(reader_bot, "/language")
    await press_on(reader_bot, prompt, data_of(prompt, "lang:en"))
    # The reader's own chat speaks English now; the channel's readers keep Indonesian.
    assert (await stored(reader_bot, ADMIN)).language == "en"
    assert (await stored(reader_bot, CHANNEL)).language == "id"
    shown = telegram.message(ADMIN, prompt.message_id) or {}
    assert "English" in str(shown.get("text", ""))
    assert "reply_markup" not in shown  # the prompt became the answer, not a settings menu
    assert "now English" in await reader_bot.say(ADMIN, "/language en")
    assert (await stored(reader_bot, CHANNEL)).language == "id"
