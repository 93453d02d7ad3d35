"""A topic that is a word and a place's name asks which; an alert a place brought says where."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FeedServer, SentMessage, TelegramStandIn
from tests.factories import news
from tests.inprocess import RunningBot, alert_texts, alert_titles, running_bot

READER, OTHER = 301, 302
NASIONAL = "/nasional.xml"
FEEDS = [("ANTARA Terkini", NASIONAL, "Nasional")]
CALLBACK_DATA_BYTES = 64
IN_BURU = "Banjir rendam puluhan rumah di Kabupaten Buru, Maluku"
HUNTING = "Musim buru rusa dibuka, warga berburu di hutan lindung"


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> AsyncIterator[RunningBot]:
    """The bot, on either engine, after its first poll of an empty national feed."""
    feeds.publish(NASIONAL, [])
    async with running_bot(tmp_path, telegram, feeds, FEEDS, database=database) as running:
        await running.poll()
        yield running


async def asked(bot: RunningBot, chat_id: int, topic: str) -> SentMessage:
    """Subscribe and return the question that follows the reply."""
    before = len(bot.telegram.messages_to(chat_id))
    bot.telegram.user_says(chat_id, f"/subscribe {topic}")
    replies = await bot.telegram.wait_for_messages(chat_id, before + 2)
    assert "buru" in (replies[before].plain_text or "").casefold()
    return replies[before + 1]


async def press(bot: RunningBot, chat_id: int, message_id: int, data: str) -> str | None:
    """Press a button's data and return the answer the press got."""
    answered = len(bot.telegram.callback_answers)
    bot.telegram.press_button(chat_id, message_id, data)
    await bot.telegram.wait_for(lambda tg: len(tg.callback_answers) > answered)
    return bot.telegram.callback_answers[-1].text


async def alerts_after_two_stories(bot: RunningBot, chat_id: int, count: int) -> list[str]:
    """Publish a story located in Kabupaten Buru and one about hunting; the chat's alerts."""
    bot.feeds.add_item(NASIONAL, news("buru", IN_BURU))
    bot.feeds.add_item(NASIONAL, news("rusa", HUNTING))
    await bot.poll()
    await bot.telegram.wait_for(lambda tg: len(alert_titles(tg, chat_id)) >= count)
    await bot.settled()
    return alert_titles(bot.telegram, chat_id)


async def test_a_word_that_is_a_place_asks_and_keeps_the_place(bot: RunningBot) -> None:
    question = await asked(bot, READER, "buru")
    assert "Yang mana" in (question.plain_text or "")
    labels = [button["text"] for button in question.buttons]
    assert labels == ["kata buru", "Kabupaten Buru, Maluku"]
    assert all(len(data.encode()) <= CALLBACK_DATA_BYTES for data in question.callback_data)
    word, place = question.callback_data
    await press(bot, READER, question.message_id, place)
    (topic,) = await bot.services.storage.list_topics(READER)
    assert topic.label == "@Buru"
    # The question answered, its buttons are outdated.
    assert "usang" in (await press(bot, READER, question.message_id, word) or "")
    assert [t.label for t in await bot.services.storage.list_topics(READER)] == ["@Buru"]
    assert await alerts_after_two_stories(bot, READER, 1) == [IN_BURU]
    (alert,) = alert_texts(bot.telegram, READER)
    assert "📍 Buru, Maluku" in alert
    listed = await bot.say(READER, "/list")
    assert "@Buru" in listed
    assert "berita yang terjadi di Buru, Maluku" in listed
    latest = await bot.say(READER, "/latest")
    assert IN_BURU in latest
    assert HUNTING not in latest


async def test_the_word_kept_takes_the_word_and_not_the_place(bot: RunningBot) -> None:
    question = await asked(bot, READER, "Buru")
    word, _ = question.callback_data
    await press(bot, READER, question.message_id, word)
    assert [t.label for t in await bot.services.storage.list_topics(READER)] == ["=Buru"]
    assert await alerts_after_two_stories(bot, READER, 1) == [HUNTING]
    (alert,) = alert_texts(bot.telegram, READER)
    assert "📍" not in alert
    listed = await bot.say(READER, "/list")
    assert "=Buru" in listed
    assert "katanya saja, bukan tempat (Buru, Maluku)" in listed


async def test_a_reading_said_outright_is_not_asked(bot: RunningBot) -> None:
    for chat_id, topic in [(READER, "=buru"), (OTHER, "@Buru")]:
        await bot.say(chat_id, f"/subscribe {topic}")
        await bot.settled()
        assert [m for m in bot.telegram.messages_to(chat_id) if m.callback_data] == []
    assert [t.label for t in await bot.services.storage.list_topics(OTHER)] == ["@Buru"]
    assert await alerts_after_two_stories(bot, OTHER, 1) == [IN_BURU]
    assert alert_titles(bot.telegram, READER) == [HUNTING]
    assert "@Buru" in await bot.say(OTHER, "/unsubscribe @Buru")
    assert await bot.services.storage.list_topics(OTHER) == []


async def test_an_alert_a_place_brought_says_where(bot: RunningBot) -> None:
    await bot.say(READER, "/subscribe banjir @Jabar")
    await bot.say(OTHER, "/subscribe banjir")
    bot.feeds.add_item(NASIONAL, news("garut", "Banjir bandang terjang Garut selatan"))
    bot.feeds.add_item(NASIONAL, news("luar", "Banjir besar melanda kota di Eropa"))
    await bot.poll()
    await bot.telegram.wait_for(
        lambda tg: len(alert_titles(tg, READER)) == 1 and len(alert_titles(tg, OTHER)) == 2
    )
    await bot.settled()
    (alert,) = alert_texts(bot.telegram, READER)
    assert alert.splitlines()[:2] == [
        "🔔 banjir @Jawa Barat",
        "Banjir bandang terjang Garut selatan",
    ]
    assert "\n📍 Garut, Jawa Barat" in alert
    # A topic its words brought says no place, whether the story is located or not.
    assert len(alert_texts(bot.telegram, OTHER)) == 2
    assert all("📍" not in alert for alert in alert_texts(bot.telegram, OTHER))
