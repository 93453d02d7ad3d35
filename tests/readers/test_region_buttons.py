"""Region buttons with long names, and buttons sent before they carried short ids."""

from __future__ import annotations

from pathlib import Path

from bot.feeds.feedlist import MAX_REGION_BYTES
from bot.feeds.opml import WARTA_NS, feeds_from_opml
from bot.standin import FeedServer, TelegramStandIn
from tests.inprocess import RunningBot, running_bot

BUDI = 101
# 79 bytes in UTF-8: the cut at 60 falls inside the "é", leaving 59 bytes (too long for a
# name-based button's callback data).
LONG_REGION = "Kepulauan Bangka Belitung, Belitung Timur — Pulau Kecil Kélok dan Sekitarnya"
CALLBACK_DATA_BYTES = 64


def labels(telegram: TelegramStandIn, chat_id: int, message_id: int) -> list[str]:
    stored = telegram.message(chat_id, message_id) or {}
    rows = stored.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def assert_capped(region: str) -> None:
    """Cut at a character boundary, at most one character short of the cap."""
    assert LONG_REGION.startswith(region)
    assert MAX_REGION_BYTES - 2 <= len(region.encode()) <= MAX_REGION_BYTES


async def test_a_long_region_gets_working_buttons_everywhere(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/babel.xml", [])
    feeds.publish("/banten.xml", [])
    entries = [("ANTARA Babel", "/babel.xml", LONG_REGION), ("ANTARA", "/banten.xml", "Banten")]
    async with running_bot(tmp_path, telegram, feeds, entries) as bot:
        storage = bot.services.storage
        (region,) = [name for name in await storage.known_regions() if name != "Banten"]
        assert_capped(region)
        await bot.say(BUDI, "/start")
        start = telegram.messages_to(BUDI)[-1]
        assert f"📍 {region}" in [button["text"] for button in start.buttons]
        (pressed,) = [b["callback_data"] for b in start.buttons if region in b["text"]]
        telegram.press_button(BUDI, start.message_id, pressed)
        await telegram.wait_for(lambda tg: len(tg.callback_answers) == 1)
        assert await storage.chat_regions(BUDI) == [region]
        await bot.say(BUDI, "/region")
        menu = telegram.messages_to(BUDI)[-1]
        assert f"✅ {region}" in labels(telegram, BUDI, menu.message_id)
        await bot.say(BUDI, "/unsubscribe")
        prompt = telegram.messages_to(BUDI)[-1]
        assert prompt.buttons[0]["text"] == f"❌ 📍 {region}"
        telegram.press_button(BUDI, prompt.message_id, prompt.callback_data[0])
        await telegram.wait_for(lambda tg: len(tg.callback_answers) == 2)
        assert await storage.chat_regions(BUDI) == []
        sent = [data for m in telegram.sent for data in m.callback_data]
        assert sent
        assert all(len(data.encode()) <= CALLBACK_DATA_BYTES for data in sent)


async def test_buttons_sent_with_names_still_work_or_say_they_are_outdated(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    storage = reader_bot.services.storage
    await reader_bot.say(BUDI, "/start")
    start = telegram.messages_to(BUDI)[-1].message_id
    for number, data in enumerate(["reg:Banten", "sub:Korea Utara"], start=1):
        telegram.press_button(BUDI, start, data)
        await telegram.wait_for(lambda tg, n=number: len(tg.callback_answers) == n)
    assert await storage.chat_regions(BUDI) == ["36"]  # Banten, by its code
    assert [t.text for t in await storage.list_topics(BUDI)] == ["Korea Utara"]
    telegram.press_button(BUDI, start, "unreg:Banten")
    await telegram.wait_for(lambda tg: len(tg.callback_answers) == 3)
    assert await storage.chat_regions(BUDI) == []
    telegram.press_button(BUDI, start, "reg:Atlantis")
    await telegram.wait_for(lambda tg: len(tg.callback_answers) == 4)
    assert "usang" in (telegram.callback_answers[-1].text or "")
    assert await storage.chat_regions(BUDI) == []


def test_opml_regions_are_capped_at_a_character_boundary() -> None:
    document = (
        f'<opml version="2.0" xmlns:warta="{WARTA_NS}"><body>'
        '<outline type="rss" text="Babel" xmlUrl="https://babel.example/rss" '
        f'warta:region="{LONG_REGION}"/></body></opml>'
    ).encode()
    (seed,) = feeds_from_opml(document)
    assert_capped(seed.region)
