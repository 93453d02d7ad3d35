"""WIB, WITA and WIT: each chat reads its digest hour and quiet hours on its own clock, on both
engines, sees times on it, and is offered the clock of the first province it follows."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.chats.timezones import PROVINCES, zone_of_code, zone_of_province
from bot.delivery.sender import SendLimits
from bot.standin import FeedItem, FeedServer, SentMessage, TelegramStandIn
from storage.models import TimeZone
from tests.inprocess import (
    FakeClock,
    RunningBot,
    alert_texts,
    confirmation,
    current_text,
    running_bot,
)
from tests.readers.conftest import FEEDS
from tests.readers.test_digests import choose, digests, publish

BUDI, CITRA = 101, 102
ROOT = Path(__file__).resolve().parents[2]
ZONED_FEEDS = [*FEEDS, ("ANTARA Maluku", "/maluku.xml", "Maluku")]


@pytest.fixture
async def zoned_bot(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    clock: FakeClock,
    database: Path | str,
) -> AsyncIterator[RunningBot]:
    """The readers' bot, with a feed from Maluku too, on each engine."""
    for _, route, _ in ZONED_FEEDS:
        feeds.publish(route, [])
    limits = SendLimits(group_chat_interval=0.2, private_chat_interval=0.05, max_backoff=0.5)
    async with running_bot(
        tmp_path, telegram, feeds, ZONED_FEEDS, clock=clock, send_limits=limits, database=database
    ) as bot:
        await bot.poll()
        yield bot


async def settings_menu(bot: RunningBot, chat_id: int, *actions: str) -> None:
    """Open /settings and press these buttons in turn."""
    await bot.say(chat_id, "/settings")
    for action in actions:
        await choose(bot, chat_id, action)


async def zone_of(bot: RunningBot, chat_id: int) -> TimeZone:
    chat = await bot.services.storage.get_chat(chat_id)
    assert chat is not None
    return chat.time_zone


async def test_a_daily_digest_comes_at_its_hour_on_the_chats_clock(
    zoned_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = zoned_bot.telegram
    clock.set_wib(8, 0)
    for chat_id in (BUDI, CITRA):
        await zoned_bot.say(chat_id, "/subscribe banjir")
    # Both keep the daily digest's default hour, 07:00; Budi reads it on Papua's clock.
    await settings_menu(zoned_bot, BUDI, "delivery:daily", "zone:wit")
    await settings_menu(zoned_bot, CITRA, "delivery:daily")
    await publish(zoned_bot, "Banjir rendam Kota Serang")
    clock.set_wib(4, 59, days=1)  # 21:59 UTC, 06:59 WIT
    assert await zoned_bot.services.digests.run() == 0
    clock.set_wib(5, 0, days=1)  # 22:00 UTC: 07:00 WIT, 05:00 WIB
    assert datetime.fromtimestamp(clock.now, UTC).hour == 22
    assert await zoned_bot.services.digests.run() == 1
    await telegram.wait_for(lambda tg: len(digests(tg, BUDI)) == 1)
    assert "Banjir rendam Kota Serang" in digests(telegram, BUDI)[0]
    assert " WIT" in digests(telegram, BUDI)[0]  # the item's time, on Budi's clock
    assert digests(telegram, CITRA) == []
    clock.set_wib(6, 59, days=1)
    assert await zoned_bot.services.digests.run() == 0
    clock.set_wib(7, 0, days=1)  # 07:00 WIB
    assert await zoned_bot.services.digests.run() == 1
    await telegram.wait_for(lambda tg: len(digests(tg, CITRA)) == 1)
    assert " WIB" in digests(telegram, CITRA)[0]
    assert len(digests(telegram, BUDI)) == 1


async def test_quiet_hours_hold_an_alert_on_the_chats_own_clock(
    zoned_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = zoned_bot.telegram
    for chat_id in (BUDI, CITRA):
        await zoned_bot.say(chat_id, "/subscribe banjir")
    # Both 22:00–06:00; Budi in Makassar (WITA), Citra in Jakarta (WIB).
    await settings_menu(zoned_bot, BUDI, "quiet", "zone:wita")
    await settings_menu(zoned_bot, CITRA, "quiet")
    clock.set_wib(21, 30)  # 14:30 UTC: 22:30 WITA, 21:30 WIB
    await publish(zoned_bot, "Banjir malam hari di Serang")
    await telegram.wait_for(lambda tg: len(alert_texts(tg, CITRA)) == 1)
    await zoned_bot.settled()
    assert alert_texts(telegram, BUDI) == []  # held: quiet hours in Makassar
    clock.set_wib(4, 59, days=1)  # 05:59 WITA
    assert await zoned_bot.services.digests.run() == 0
    clock.set_wib(5, 0, days=1)  # 06:00 WITA: quiet hours are over
    assert await zoned_bot.services.digests.run() == 1
    await telegram.wait_for(lambda tg: len(digests(tg, BUDI)) == 1)
    assert "Banjir malam hari di Serang" in digests(telegram, BUDI)[0]


async def test_settings_switch_the_clock_and_times_follow_it(
    zoned_bot: RunningBot, clock: FakeClock
) -> None:
    telegram = zoned_bot.telegram
    await zoned_bot.say(BUDI, "/subscribe banjir")
    await zoned_bot.say(BUDI, "/settings")
    menu = telegram.messages_to(BUDI)[-1]
    assert "Zona waktu: WIB (UTC+7)" in (menu.plain_text or "")
    assert {"set:zone:wib", "set:zone:wita", "set:zone:wit"} <= {
        data.split("@")[0] for data in menu.callback_data
    }
    await choose(zoned_bot, BUDI, "quiet")
    await choose(zoned_bot, BUDI, "zone:wit")
    assert await zone_of(zoned_bot, BUDI) == TimeZone.WIT
    shown = current_text(telegram, menu)
    assert "Zona waktu: WIT (UTC+9)" in shown
    assert "22:00–06:00 WIT" in shown
    # An alert and /latest show the item's time on Papua's clock.
    clock.set_wib(12, 0)
    published = datetime.fromtimestamp(clock.now, UTC).replace(second=0) - timedelta(minutes=25)
    item = FeedItem(
        title="Banjir rendam Kota Serang",
        link="https://berita.example/banjir-serang",
        description="<p>Air setinggi lutut.</p>",
        guid="urn:berita:banjir-serang",
        published=published,
    )
    zoned_bot.feeds.add_item("/banten.xml", item)
    await zoned_bot.poll()
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) == 1)
    on_papua_clock = f"{published + timedelta(hours=9):%H:%M} WIT"
    assert on_papua_clock in alert_texts(telegram, BUDI)[0]
    assert on_papua_clock in await zoned_bot.say(BUDI, "/latest banjir")


async def test_following_maluku_first_offers_its_clock(zoned_bot: RunningBot) -> None:
    telegram = zoned_bot.telegram
    await zoned_bot.say(BUDI, "/region maluku")
    offer = await confirmation(telegram, BUDI)
    assert "WIT (UTC+9)" in (offer.plain_text or "")
    (data,) = offer.callback_data
    assert len(data.encode()) <= 64
    assert await zone_of(zoned_bot, BUDI) == TimeZone.WIB  # offered, not imposed
    answers = len(telegram.callback_answers)
    telegram.press_button(BUDI, offer.message_id, data)
    await telegram.wait_for(lambda tg: len(tg.callback_answers) > answers)
    assert await zone_of(zoned_bot, BUDI) == TimeZone.WIT
    assert "WIT (UTC+9)" in current_text(telegram, offer)
    # A second region offers nothing, and neither does a first one on WIB. Commands are handled
    # one after another: the reply to the last one comes after any offer the others made.
    before = len(telegram.messages_to(BUDI))
    await zoned_bot.say(BUDI, "/region Banten")
    await zoned_bot.say(BUDI, "/region Banten")
    await zoned_bot.say(CITRA, "/region Banten")
    await zoned_bot.say(CITRA, "/region Maluku")  # Maluku, but not Citra's first
    await zoned_bot.say(CITRA, "/region Maluku")
    assert len(telegram.messages_to(BUDI)) == before + 2
    assert len(telegram.messages_to(CITRA)) == 3
    assert not any("UTC+" in (m.plain_text or "") for m in telegram.messages_to(CITRA))


async def test_a_first_province_picked_from_the_buttons_offers_its_clock_too(
    zoned_bot: RunningBot,
) -> None:
    telegram = zoned_bot.telegram
    await zoned_bot.say(BUDI, "/wilayah")
    menu = telegram.messages_to(BUDI)[-1]
    (maluku,) = [b["callback_data"] for b in menu.buttons if b["text"] == "Maluku"]
    answered = len(telegram.callback_answers)
    telegram.press_button(BUDI, menu.message_id, maluku)  # opens Maluku's page
    await telegram.wait_for(lambda tg: len(tg.callback_answers) > answered)
    page = telegram.message(BUDI, menu.message_id)
    assert page is not None
    (whole,) = [
        b["callback_data"]
        for row in page["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "Seluruh Maluku"
    ]
    telegram.press_button(BUDI, menu.message_id, whole)

    def offers(tg: TelegramStandIn) -> list[SentMessage]:
        return [m for m in tg.messages_to(BUDI) if "WIT (UTC+9)" in (m.plain_text or "")]

    await telegram.wait_for(lambda tg: bool(offers(tg)))
    (offer,) = offers(telegram)
    assert offer.message_id != menu.message_id
    assert offer.callback_data == [f"set:zone:wit@{BUDI}"]


WITA = {
    "Bali",
    "Nusa Tenggara Barat",
    "Nusa Tenggara Timur",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
    "Sulawesi Utara",
    "Sulawesi Tengah",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
    "Sulawesi Barat",
    "Gorontalo",
}
WIT = {
    "Maluku",
    "Maluku Utara",
    "Papua",
    "Papua Barat",
    "Papua Selatan",
    "Papua Tengah",
    "Papua Pegunungan",
    "Papua Barat Daya",
}


def test_every_province_keeps_its_clock() -> None:
    assert len(PROVINCES) == 38
    for code, name, _ in PROVINCES:
        expected = TimeZone.WITA if name in WITA else TimeZone.WIT if name in WIT else TimeZone.WIB
        assert (zone_of_province(name.upper()), zone_of_code(code)) == (expected, expected), name
    assert zone_of_code("81.71") == TimeZone.WIT  # Kota Ambon, by its province's code
    assert zone_of_province("Daerah Istimewa Yogyakarta") == TimeZone.WIB
    assert zone_of_province("Nasional") is None


def test_every_bundled_feed_region_but_the_national_one_has_a_clock() -> None:
    with (ROOT / "bot" / "data" / "feeds-id.toml").open("rb") as file:
        regions = {feed["region"] for feed in tomllib.load(file)["feeds"]}
    assert {region for region in regions if zone_of_province(region) is None} == {"Nasional"}
