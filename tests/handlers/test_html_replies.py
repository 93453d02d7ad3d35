"""Every message the bot writes is Telegram HTML, set once for the whole application."""

from __future__ import annotations

from tests.inprocess import ADMIN_ID, RunningBot

BUDI = 101
WRITING = ("sendMessage", "editMessageText", "sendPhoto", "sendDocument")


async def test_replies_edits_and_captions_are_parsed_as_html_without_link_previews(
    warta: RunningBot,
) -> None:
    telegram = warta.telegram
    await warta.say(BUDI, "/start")
    assert "<b>" not in await warta.say(BUDI, "/subscribe Banjir, https://contoh.id")
    await warta.say(BUDI, "/settings")
    menu = telegram.messages_to(BUDI)[-1]
    telegram.press_button(BUDI, menu.message_id, "set:silent")
    await telegram.wait_for(lambda tg: bool(tg.requests_for("editMessageText")))
    await warta.say(ADMIN_ID, "/stats")
    await warta.say(ADMIN_ID, "/export")
    written = [r for r in telegram.requests if r.method in WRITING]
    assert {r.method for r in written} == set(WRITING)
    assert all(r.params.get("parse_mode") == "HTML" for r in written)
    texts = [r for r in written if r.method in {"sendMessage", "editMessageText"}]
    assert all(r.params.get("link_preview_options") == {"is_disabled": True} for r in texts)
