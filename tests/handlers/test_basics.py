"""/start, /help, unknown commands and the admin broadcast."""

from __future__ import annotations

from tests.inprocess import ADMIN_ID, RunningBot

BUDI, SITI = 101, 102


async def test_start_registers_the_chat_and_explains_subscribing(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, "/start")
    assert "/subscribe Korea Utara" in reply
    assert await warta.services.storage.active_chat_ids() == [BUDI]


async def test_help_lists_the_commands_and_admin_ones_only_to_admins(warta: RunningBot) -> None:
    reply = await warta.say(BUDI, "/help")
    for command in ("/subscribe", "/unsubscribe", "/list", "/latest"):
        assert command in reply
    assert "/broadcast" not in reply
    assert "/broadcast" in await warta.say(ADMIN_ID, "/help")


async def test_an_unknown_command_points_to_help(warta: RunningBot) -> None:
    assert "/help" in await warta.say(BUDI, "/cuaca")


async def test_bot_menu_lists_the_commands(warta: RunningBot) -> None:
    commands = [entry["command"] for entry in warta.telegram.commands_for()]
    assert {"subscribe", "unsubscribe", "list", "latest", "help"} <= set(commands)


async def test_broadcast_is_refused_to_non_admins_and_sends_nothing(warta: RunningBot) -> None:
    await warta.say(SITI, "/start")
    assert "hanya untuk admin" in await warta.say(BUDI, "/broadcast Halo semua")
    assert len(warta.telegram.messages_to(SITI)) == 1


async def test_broadcast_reaches_every_active_chat_and_reports(warta: RunningBot) -> None:
    telegram = warta.telegram
    for chat in (BUDI, SITI, 103):
        await warta.say(chat, "/start")
    telegram.block(103)
    await warta.say(ADMIN_ID, "/broadcast <b>Pemeliharaan</b> malam ini & besok")
    await telegram.wait_for(lambda tg: bool(tg.messages_to(ADMIN_ID)[-1].callback_data))
    confirm = telegram.messages_to(ADMIN_ID)[-1]
    assert "4 chat" in (confirm.plain_text or "")  # three readers and the admin's own chat
    telegram.press_button(ADMIN_ID, confirm.message_id, confirm.callback_data[0])
    await telegram.wait_for(
        lambda tg: any("selesai" in (m.plain_text or "") for m in tg.messages_to(ADMIN_ID))
    )
    report = telegram.messages_to(ADMIN_ID)[-1].plain_text or ""
    assert "3 terkirim, 1 gagal" in report
    for chat in (BUDI, SITI):
        announcement = telegram.messages_to(chat)[-1]
        assert announcement.plain_text == "<b>Pemeliharaan</b> malam ini & besok"
