"""Why an alert came, and "less like this": the alert's button, a 👎 on it, /list's undo and
/stats' counts, through the running bot and the Telegram stand-in, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.delivery.sender import SendLimits
from bot.standin import FeedServer, SentMessage, TelegramStandIn
from tests.factories import news
from tests.inprocess import ADMIN_ID, FakeClock, RunningBot, alert_titles, current_text, running_bot

BUDI, ADMIN, CHANNEL = 101, 555, -1002001
FEEDS = [
    ("ANTARA Banten", "/banten.xml", "Banten"),
    ("Pikiran Rakyat", "/jabar.xml", "Jawa Barat"),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bot(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    database: Path | str,
    clock: FakeClock,
) -> AsyncIterator[RunningBot]:
    """The bot after its first poll of two empty feeds."""
    for _, route, _ in FEEDS:
        feeds.publish(route, [])
    limits = SendLimits(group_chat_interval=0.05, private_chat_interval=0.05, max_backoff=0.5)
    async with running_bot(
        tmp_path, telegram, feeds, FEEDS, database=database, clock=clock, send_limits=limits
    ) as running:
        await running.poll()
        yield running


async def publish(bot: RunningBot, *stories: tuple[str, str]) -> None:
    """Publish (feed route, title) stories and poll once; wait until they are sent."""
    for number, (route, title) in enumerate(stories):
        bot.feeds.add_item(route, news(f"{title[:10]}-{number}-{len(title)}", title))
    await bot.poll()
    await bot.settled()


def with_button(telegram: TelegramStandIn, chat_id: int, prefix: str) -> SentMessage | None:
    """The newest message (or edit) of the chat carrying a button whose data opens with prefix."""
    for message in reversed([m for m in telegram.sent if m.chat_id == chat_id]):
        if any(data.startswith(prefix) for data in message.callback_data):
            return message
    return None


async def press(
    telegram: TelegramStandIn, chat_id: int, prefix: str, pick: Callable[[dict], bool] = bool
) -> None:
    """Press the first button (of the newest message with one) whose data opens with prefix
    and that `pick` accepts; wait for the bot's answer (a new message or an edit)."""
    message = with_button(telegram, chat_id, prefix)
    assert message is not None, telegram.summary()
    (data, *_) = [
        b["callback_data"]
        for b in message.buttons
        if b.get("callback_data", "").startswith(prefix) and pick(b)
    ]
    before = len([m for m in telegram.sent if m.chat_id == chat_id])
    telegram.press_button(chat_id, message.message_id, data)
    await telegram.wait_for(lambda tg: len([m for m in tg.sent if m.chat_id == chat_id]) > before)


def newest_text(telegram: TelegramStandIn, chat_id: int) -> str:
    """What the newest message or edit of the chat says now."""
    message = [m for m in telegram.sent if m.chat_id == chat_id][-1]
    return current_text(telegram, message)


async def test_why_names_topic_word_field_and_feed_and_says_when_the_story_is_gone(
    bot: RunningBot, clock: FakeClock
) -> None:
    telegram = bot.telegram
    telegram.add_channel(CHANNEL, "beritaserang", "Berita Serang", admins=[ADMIN])
    await bot.say(ADMIN, "/channel @beritaserang")
    await bot.say(ADMIN, "/subscribe banjir")
    await bot.say(BUDI, "/subscribe banjir")
    await publish(bot, ("/banten.xml", "Banjir rendam pasar Cikarang"))

    (alert,) = [m for m in telegram.messages_to(BUDI) if m.plain_text and "🔔" in m.plain_text]
    assert [d.split(":")[0] for d in alert.callback_data] == ["why"]
    (post,) = telegram.messages_to(CHANNEL)  # every viewer of a channel sees its buttons
    assert post.callback_data == []

    await press(telegram, BUDI, "why:")
    answer = newest_text(telegram, BUDI)
    assert "Topik banjir" in answer
    assert "“banjir” di judul, ringkasan" in answer
    assert "Feed: ANTARA Banten" in answer

    clock.advance(400 * 24 * 3600)
    assert await bot.services.storage.prune_items(clock()) >= 1
    await press(telegram, BUDI, "why:")
    assert "sudah tidak disimpan" in newest_text(telegram, BUDI)


async def test_excluding_a_word_keeps_its_stories_out_until_undone_and_stats_count_it(
    bot: RunningBot,
) -> None:
    telegram = bot.telegram
    await bot.say(BUDI, "/subscribe banjir")
    await publish(bot, ("/banten.xml", "Banjir rendam pasar Cikarang"))
    await press(telegram, BUDI, "why:")
    await press(telegram, BUDI, "less:")
    assert "NOT cikarang" in " ".join(
        b["text"] for b in (with_button(telegram, BUDI, "nar:") or telegram.sent[-1]).buttons
    )
    await press(telegram, BUDI, "nar:", lambda b: "cikarang" in b["text"])
    assert "Selesai" in newest_text(telegram, BUDI)

    await publish(
        bot,
        ("/banten.xml", "Tanggul jebol, banjir kembali landa Cikarang"),
        ("/banten.xml", "Banjir bandang terjang Lebak selatan"),
    )
    assert alert_titles(telegram, BUDI) == [
        "Banjir rendam pasar Cikarang",
        "Banjir bandang terjang Lebak selatan",
    ]

    listed = await bot.say(BUDI, "/list")
    assert "banjir" in listed
    await telegram.wait_for(lambda tg: with_button(tg, BUDI, "unnar:") is not None)
    await press(telegram, BUDI, "unnar:")
    assert "Dibatalkan" in newest_text(telegram, BUDI)
    await publish(bot, ("/banten.xml", "Warga Cikarang mengungsi akibat banjir susulan"))
    assert alert_titles(telegram, BUDI)[-1] == "Warga Cikarang mengungsi akibat banjir susulan"

    before = len(telegram.messages_to(ADMIN_ID))
    telegram.user_says(ADMIN_ID, "/stats")
    await telegram.wait_for(lambda tg: len(tg.messages_to(ADMIN_ID)) > before)
    await bot.settled()
    report = " ".join(
        m.plain_text or str(m.text or "") for m in telegram.messages_to(ADMIN_ID)[before:]
    )
    assert "banjir: 1 kali kenapa, 1 kali dipersempit" in report


async def test_a_thumbs_down_offers_to_mute_the_feed_which_keeps_its_next_story_out(
    bot: RunningBot,
) -> None:
    telegram = bot.telegram
    await bot.say(BUDI, "/subscribe banjir")
    await publish(bot, ("/banten.xml", "Banjir rendam pasar Cikarang"))
    (alert,) = [m for m in telegram.messages_to(BUDI) if m.callback_data]
    before = len(telegram.messages_to(BUDI))
    telegram.user_reacts(BUDI, alert.message_id, "👎")
    await telegram.wait_for(lambda tg: len(tg.messages_to(BUDI)) > before)
    assert "Kurangi" in newest_text(telegram, BUDI)
    await press(telegram, BUDI, "nar:", lambda b: "ANTARA Banten" in b["text"])
    assert "Bisukan ANTARA Banten" in newest_text(telegram, BUDI)

    await publish(
        bot,
        ("/banten.xml", "Banjir kembali genangi Serang utara"),
        ("/jabar.xml", "Banjir luapan Citarum rendam Dayeuhkolot"),
    )
    assert alert_titles(telegram, BUDI)[1:] == ["Banjir luapan Citarum rendam Dayeuhkolot"]


async def test_a_digests_why_button_lists_its_stories(bot: RunningBot, clock: FakeClock) -> None:
    telegram = bot.telegram
    clock.set_wib(9, 10)
    await bot.say(BUDI, "/subscribe banjir, gempa")
    await bot.say(BUDI, "/settings")
    await press(telegram, BUDI, "set:delivery:hourly")
    await publish(
        bot,
        ("/banten.xml", "Banjir rendam pasar Cikarang"),
        ("/jabar.xml", "Gempa kecil guncang Sukabumi"),
    )
    clock.set_wib(10, 0)
    assert await bot.services.digests.run() == 1
    await telegram.wait_for(lambda tg: with_button(tg, BUDI, "whyd:") is not None)
    await press(telegram, BUDI, "whyd:")
    choices = with_button(telegram, BUDI, "why:")
    assert choices is not None
    assert sorted(b["text"] for b in choices.buttons) == [
        "Banjir rendam pasar Cikarang",
        "Gempa kecil guncang Sukabumi",
    ]
    await press(telegram, BUDI, "why:", lambda b: b["text"].startswith("Gempa"))
    assert "Topik gempa" in newest_text(telegram, BUDI)


async def test_only_in_the_title_keeps_out_stories_that_name_the_topic_elsewhere(
    bot: RunningBot,
) -> None:
    telegram = bot.telegram
    await bot.say(BUDI, "/subscribe pengungsi")
    assert "Garut" in await bot.say(BUDI, "/region Garut")
    camp = "<p>Ratusan pengungsi bertahan di tenda darurat di Serang.</p>"
    bot.feeds.add_item("/banten.xml", news("tenda-1", "Warga bertahan di tenda darurat", camp))
    await bot.poll()
    await bot.settled()
    await press(telegram, BUDI, "why:")
    assert "“pengungsi” di ringkasan" in newest_text(telegram, BUDI)
    await press(telegram, BUDI, "less:")
    offered = [
        b["text"] for b in (with_button(telegram, BUDI, "nar:") or telegram.sent[-1]).buttons
    ]
    assert "pengungsi: hanya di Garut" in offered
    await press(telegram, BUDI, "nar:", lambda b: "judul" in b["text"])
    assert "hanya jika ada di judul" in newest_text(telegram, BUDI)

    aid = "<p>Bantuan untuk pengungsi tiba di Lebak.</p>"
    bot.feeds.add_item("/banten.xml", news("lebak-2", "Truk logistik tiba di Lebak", aid))
    bot.feeds.add_item("/banten.xml", news("pulang-3", "Pengungsi gempa kembali ke rumah"))
    await bot.poll()
    await bot.settled()
    assert alert_titles(telegram, BUDI) == [
        "Warga bertahan di tenda darurat",
        "Pengungsi gempa kembali ke rumah",
    ]
