"""Regions: follow every item of a province, or limit a topic to one."""

from __future__ import annotations

from tests.factories import news
from tests.inprocess import RunningBot, alert_titles

BUDI = 101


def button_labels(reader_bot: RunningBot, message_id: int) -> list[str]:
    edited = reader_bot.telegram.message(BUDI, message_id)
    assert edited is not None
    return [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]


async def test_region_buttons_list_national_then_every_province_and_follow_on_press(
    reader_bot: RunningBot,
) -> None:
    telegram = reader_bot.telegram
    await reader_bot.say(BUDI, "/wilayah")
    menu = telegram.messages_to(BUDI)[-1]
    shown = [b["text"] for b in menu.buttons]
    assert shown[0] == "Nasional"
    assert len(shown) == 1 + 38
    assert {"Banten", "Jawa Barat", "Maluku Utara", "Papua Selatan"} <= set(shown)
    banten = menu.callback_data[shown.index("Banten")]
    telegram.press_button(BUDI, menu.message_id, banten)
    await telegram.wait_for(lambda tg: len(tg.edits_in(BUDI)) == 1)
    page = button_labels(reader_bot, menu.message_id)
    assert page[0] == "Seluruh Banten"
    assert "Kota Serang" in page
    assert "Kabupaten Serang" in page
    edited = telegram.message(BUDI, menu.message_id)
    assert edited is not None
    whole = edited["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    telegram.press_button(BUDI, menu.message_id, whole)
    await telegram.wait_for(lambda tg: len(tg.edits_in(BUDI)) == 2)
    assert "✅ Seluruh Banten" in button_labels(reader_bot, menu.message_id)
    assert await reader_bot.services.storage.chat_regions(BUDI) == ["36"]


async def test_a_followed_region_brings_every_item_from_its_feeds(
    reader_bot: RunningBot,
) -> None:
    assert "Banten" in await reader_bot.say(BUDI, "/region banten")
    reader_bot.feeds.add_item("/banten.xml", news("b1", "Jalan Serang–Pandeglang diperbaiki"))
    reader_bot.feeds.add_item("/jabar.xml", news("j1", "Harga cabai di Bandung naik"))
    await reader_bot.poll()
    await reader_bot.telegram.wait_for(lambda tg: len(alert_titles(tg, BUDI)) == 1)
    (alert,) = [m for m in reader_bot.telegram.messages_to(BUDI) if "Jalan" in (m.plain_text or "")]
    # Banten's follower is told where in Banten (the road's first town).
    assert "Banten" in (alert.plain_text or "").split("\n")[0]
    assert "Wilayah yang Anda ikuti: Banten" in await reader_bot.say(BUDI, "/list")


async def test_unknown_region_is_refused_with_the_known_ones(reader_bot: RunningBot) -> None:
    reply = await reader_bot.say(BUDI, "/region Atlantis")
    assert "tidak dikenal" in reply
    assert "Jawa Barat" in reply
    assert await reader_bot.services.storage.chat_regions(BUDI) == []


async def test_a_topic_limited_to_a_region_ignores_other_regions(reader_bot: RunningBot) -> None:
    reply = await reader_bot.say(BUDI, "/subscribe banjir @Banten")
    assert "banjir @Banten" in reply
    reader_bot.feeds.add_item("/jabar.xml", news("j2", "Banjir rendam Bandung selatan"))
    reader_bot.feeds.add_item("/banten.xml", news("b2", "Banjir rendam Kota Serang"))
    await reader_bot.poll()
    await reader_bot.telegram.wait_for(lambda tg: len(alert_titles(tg, BUDI)) >= 1)
    await reader_bot.settled()
    assert alert_titles(reader_bot.telegram, BUDI) == ["Banjir rendam Kota Serang"]


async def test_unsubscribe_removes_regions_too(reader_bot: RunningBot) -> None:
    await reader_bot.say(BUDI, "/region Jawa Barat")
    await reader_bot.say(BUDI, "/subscribe gempa @Jawa Barat, gempa")
    assert "Berhenti" in await reader_bot.say(BUDI, "/unsubscribe jawa barat")
    assert "Berhenti" in await reader_bot.say(BUDI, "/unsubscribe gempa @jawa barat")
    storage = reader_bot.services.storage
    assert await storage.chat_regions(BUDI) == []
    assert [t.label for t in await storage.list_topics(BUDI)] == ["gempa"]


async def test_unknown_region_on_a_topic_is_refused(reader_bot: RunningBot) -> None:
    reply = await reader_bot.say(BUDI, "/subscribe banjir @Narnia")
    assert "Narnia" in reply
    assert "tidak dikenal" in reply
    assert await reader_bot.services.storage.list_topics(BUDI) == []


async def test_a_region_on_the_next_line_is_read_whole(reader_bot: RunningBot) -> None:
    assert "Jawa Barat" in await reader_bot.say(BUDI, "/region\nJawa Barat")
    assert await reader_bot.services.storage.chat_regions(BUDI) == ["32"]
