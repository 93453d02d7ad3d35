"""Following places: a national desk's story reaches the followers of where it happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.feeds.placing import locate_backlog
from bot.feeds.poller import PREPARE_BATCH
from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news
from tests.inprocess import RunningBot, alert_texts, alert_titles, running_bot

JABAR, GARUT, BANDUNG, JATENG, MALUT = 201, 202, 203, 204, 205
NASIONAL = "/nasional.xml"
CALLBACK_DATA_BYTES = 64
# Only a national feed and Jawa Barat's: no feed is filed under Maluku Utara or Jawa Tengah.
FEEDS = [("ANTARA Terkini", NASIONAL, "Nasional"), ("Pikiran Rakyat", "/jabar.xml", "Jawa Barat")]


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> AsyncIterator[RunningBot]:
    """The bot, on either engine, after its first poll of two empty feeds."""
    for _, route, _ in FEEDS:
        feeds.publish(route, [])
    async with running_bot(tmp_path, telegram, feeds, FEEDS, database=database) as running:
        await running.poll()
        yield running


def keyboard(bot: RunningBot, chat_id: int, message_id: int) -> list[dict[str, str]]:
    """The buttons a message shows now (after its edits)."""
    stored = bot.telegram.message(chat_id, message_id)
    assert stored is not None
    return [b for row in stored["reply_markup"]["inline_keyboard"] for b in row]


async def press(bot: RunningBot, chat_id: int, message_id: int, label: str) -> None:
    """Press the button with this label and wait for the press to be answered."""
    (data,) = [b["callback_data"] for b in keyboard(bot, chat_id, message_id) if b["text"] == label]
    answered = len(bot.telegram.callback_answers)
    bot.telegram.press_button(chat_id, message_id, data)
    await bot.telegram.wait_for(lambda tg: len(tg.callback_answers) > answered)


async def test_a_national_story_reaches_its_province_and_city_and_nobody_else(
    bot: RunningBot,
) -> None:
    for chat_id, place in [
        (JABAR, "Jabar"),
        (GARUT, "Garut"),
        (BANDUNG, "Kota Bandung"),
        (JATENG, "Jawa Tengah"),
    ]:
        assert "📍" in await bot.say(chat_id, f"/region {place}")
    bot.feeds.add_item(NASIONAL, news("garut", "Longsor di Garut, puluhan rumah tertimbun"))
    await bot.poll()
    await bot.telegram.wait_for(
        lambda tg: bool(alert_titles(tg, JABAR)) and bool(alert_titles(tg, GARUT))
    )
    await bot.settled()
    for chat_id in (JABAR, GARUT):
        (alert,) = alert_texts(bot.telegram, chat_id)
        assert "📍 Garut, Jawa Barat" in alert
        assert "Longsor di Garut" in alert
    assert alert_titles(bot.telegram, BANDUNG) == []
    assert alert_titles(bot.telegram, JATENG) == []
    storage = bot.services.storage
    (item,) = await storage.latest_items(1)
    assert await storage.item_places(item.id) == ["32", "32.05"]


async def test_a_province_without_a_feed_can_be_followed(bot: RunningBot) -> None:
    reply = await bot.say(MALUT, "/region Malut")
    assert "Maluku Utara" in reply
    bot.feeds.add_item(NASIONAL, news("ternate", "Banjir rendam puluhan rumah di Kota Ternate"))
    await bot.poll()
    await bot.telegram.wait_for(lambda tg: bool(alert_titles(tg, MALUT)))
    (alert,) = alert_texts(bot.telegram, MALUT)
    assert "📍 Kota Ternate, Maluku Utara" in alert
    assert "Maluku Utara" in await bot.say(MALUT, "/list")


async def test_a_name_of_two_places_asks_which(bot: RunningBot) -> None:
    reply = await bot.say(GARUT, "/region Malang")
    assert "Yang mana" in reply
    (asked,) = [m for m in bot.telegram.messages_to(GARUT) if m.callback_data]
    labels = [b["text"] for b in asked.buttons]
    assert labels == ["Kabupaten Malang, Jawa Timur", "Kota Malang, Jawa Timur"]
    assert await bot.services.storage.chat_regions(GARUT) == []
    await press(bot, GARUT, asked.message_id, "Kota Malang, Jawa Timur")
    assert await bot.services.storage.chat_regions(GARUT) == ["35.73"]


async def test_region_buttons_page_through_a_provinces_cities(bot: RunningBot) -> None:
    await bot.say(BANDUNG, "/region")
    menu = bot.telegram.messages_to(BANDUNG)[-1]
    await press(bot, BANDUNG, menu.message_id, "Jawa Timur")
    seen: list[str] = []
    pages = 0
    while True:
        buttons = keyboard(bot, BANDUNG, menu.message_id)
        assert all(len(b["callback_data"].encode()) <= CALLBACK_DATA_BYTES for b in buttons)
        assert buttons[0]["text"] == "Seluruh Jawa Timur"
        seen += [b["text"] for b in buttons[1:] if b["text"] not in {"◀", "▶", "« Provinsi"}]
        pages += 1
        if "▶" not in [b["text"] for b in buttons]:
            break
        await press(bot, BANDUNG, menu.message_id, "▶")
    # Jawa Timur's 29 kabupaten and 9 kota, each once, over more than one page.
    assert len(seen) == len(set(seen)) == 38
    assert pages > 1
    assert {"Kota Surabaya", "Kota Malang", "Kabupaten Malang", "Banyuwangi"} <= set(seen)
    # The last page's last button: Kota Batu, the newest kota.
    assert seen[-1] == "Kota Batu"
    await press(bot, BANDUNG, menu.message_id, "Kota Batu")
    assert await bot.services.storage.chat_regions(BANDUNG) == ["35.79"]
    assert "✅ Kota Batu" in [b["text"] for b in keyboard(bot, BANDUNG, menu.message_id)]
    await press(bot, BANDUNG, menu.message_id, "« Provinsi")
    assert "Aceh" in [b["text"] for b in keyboard(bot, BANDUNG, menu.message_id)]


async def test_follows_of_a_feed_region_still_bring_its_feeds_items(bot: RunningBot) -> None:
    await bot.say(JABAR, "/region Jawa Barat")
    bot.feeds.add_item("/jabar.xml", news("pasar", "Harga beras naik menjelang akhir tahun"))
    await bot.poll()
    await bot.telegram.wait_for(lambda tg: bool(alert_titles(tg, JABAR)))
    (alert,) = alert_texts(bot.telegram, JABAR)
    assert "📍 Jawa Barat" in alert


async def test_items_stored_before_places_are_located_by_the_upgrade(bot: RunningBot) -> None:
    bot.feeds.add_item(NASIONAL, news("sorong", "Gempa guncang Sorong, warga mengungsi"))
    await bot.poll()
    storage = bot.services.storage
    (item,) = await storage.latest_items(1)
    located = await storage.item_places(item.id)
    assert "96.71" in located  # Kota Sorong
    # As migration 0017 leaves an item stored before it: no places, on the backlog.
    async with storage._write() as db:
        await db.execute("DELETE FROM item_places WHERE item_id = ?", (item.id,))
        await db.execute("INSERT INTO places_backlog (item_id) VALUES (?)", (item.id,))
    assert await storage.item_places(item.id) == []
    assert await locate_backlog(storage, bot.services.gazetteer) == 1
    assert await storage.item_places(item.id) == located
    assert await locate_backlog(storage, bot.services.gazetteer) == 0


async def test_a_topic_limited_to_a_place_takes_national_stories_located_there(
    bot: RunningBot,
) -> None:
    assert "banjir @Garut" in await bot.say(GARUT, "/subscribe banjir @Garut")
    assert "banjir @Jawa Tengah" in await bot.say(JATENG, "/subscribe banjir @Jateng")
    bot.feeds.add_item(NASIONAL, news("b1", "Banjir bandang terjang Garut selatan"))
    bot.feeds.add_item(NASIONAL, news("b2", "Banjir rendam permukiman di Kota Bandung"))
    await bot.poll()
    await bot.telegram.wait_for(lambda tg: bool(alert_titles(tg, GARUT)))
    await bot.settled()
    assert alert_titles(bot.telegram, GARUT) == ["Banjir bandang terjang Garut selatan"]
    assert alert_titles(bot.telegram, JATENG) == []


async def test_a_topic_that_is_a_place_takes_the_stories_located_in_it(bot: RunningBot) -> None:
    await bot.say(JATENG, "/subscribe Jateng")
    await bot.say(MALUT, "/subscribe NTT")
    story = news("sph", "Harga beras SPHP dijual Rp 12.500 per kg di Semarang")
    bot.feeds.add_item(NASIONAL, story)
    await bot.poll()
    await bot.telegram.wait_for(lambda tg: bool(alert_titles(tg, JATENG)))
    await bot.settled()
    (alert,) = alert_texts(bot.telegram, JATENG)
    assert "🔔 Jateng" in alert
    assert alert_titles(bot.telegram, MALUT) == []


async def test_latest_shows_the_stories_of_followed_places_too(bot: RunningBot) -> None:
    await bot.say(GARUT, "/region Garut")
    await bot.say(GARUT, "/subscribe gempa")
    bot.feeds.add_item(NASIONAL, news("g1", "Longsor di Garut, jalan provinsi tertutup"))
    bot.feeds.add_item(NASIONAL, news("g2", "Gempa kecil guncang Sukabumi"))
    bot.feeds.add_item(NASIONAL, news("g3", "Harga cabai turun di Kota Bandung"))
    await bot.poll()
    await bot.telegram.wait_for(lambda tg: len(alert_titles(tg, GARUT)) == 2)
    await bot.settled()
    latest = await bot.say(GARUT, "/latest")
    assert "topik dan wilayah" in latest
    assert "Longsor di Garut" in latest
    assert "Gempa kecil guncang Sukabumi" in latest
    assert "Kota Bandung" not in latest


async def test_an_upgrade_keeps_old_follows_and_locates_the_items_stored_before(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> None:
    for _, route, _ in FEEDS:
        feeds.publish(route, [])
    async with running_bot(tmp_path, telegram, feeds, FEEDS, database=database) as before:
        await before.poll()
        feeds.add_item(NASIONAL, news("lama", "Gempa guncang Sorong, warga mengungsi"))
        await before.poll()
        await before.say(JABAR, "/start")
        storage = before.services.storage
        (item,) = await storage.latest_items(1)
        # The database as it stood before places: a follow by the feed region's name, and an
        # item without places that migration 0017 put on the backlog.
        async with storage._write() as db:
            await db.execute(
                "INSERT INTO chat_regions (chat_id, region, created_at) VALUES (?, ?, ?)",
                (JABAR, "Jawa Barat", 0.0),
            )
            await db.execute("DELETE FROM item_places WHERE item_id = ?", (item.id,))
            await db.execute("INSERT INTO places_backlog (item_id) VALUES (?)", (item.id,))
    async with running_bot(tmp_path, telegram, feeds, FEEDS, database=database) as after:
        storage = after.services.storage
        assert await storage.chat_regions(JABAR) == ["32"]
        async with asyncio.timeout(30):  # the start's job locates the backlog
            while not await storage.item_places(item.id):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert "96.71" in await storage.item_places(item.id)  # Kota Sorong
        assert await storage.unlocated_items(10) == []
        feeds.add_item(NASIONAL, news("baru", "Longsor di Garut, jalan provinsi tertutup"))
        await after.poll()
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, JABAR)))
        assert "📍 Garut, Jawa Barat" in alert_texts(telegram, JABAR)[0]


async def test_a_topic_limited_to_a_name_of_two_places_asks_which(bot: RunningBot) -> None:
    reply = await bot.say(GARUT, "/subscribe banjir @Malang")
    assert "lebih dari satu tempat" in reply
    assert "Kota Malang, Jawa Timur" in reply
    assert await bot.services.storage.list_topics(GARUT) == []
    assert "banjir @Kota Malang" in await bot.say(GARUT, "/subscribe banjir @Kota Malang")


async def test_each_story_of_a_busy_poll_is_placed_by_its_own_text(bot: RunningBot) -> None:
    # More new stories than the poller locates and matches between two turns of its loop: each
    # keeps its own places, whichever batch it was located in.
    gazetteer = bot.services.gazetteer
    assert gazetteer is not None
    towns = ["Garut", "Sleman", "Banyuwangi", "Gianyar", "Merauke"]
    expected = {}
    for number in range(PREPARE_BATCH + 5):
        (place,) = gazetteer.lookup(towns[number % len(towns)])
        title = f"Banjir melanda {place.name}, warga mengungsi (laporan {number})"
        bot.feeds.add_item(NASIONAL, news(f"banjir-{number}", title))
        expected[title] = [place.province_code, place.code]
    await bot.poll()
    await bot.settled()
    storage = bot.services.storage
    stored = await storage.latest_items(len(expected) + 1)
    placed = {item.title: await storage.item_places(item.id) for item in stored}
    assert placed == expected
