"""The alert pipeline end to end: `warta run` against the Telegram stand-in and a feed server."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FeedServer, TelegramStandIn
from tests.e2e.harness import BotProcess, started_bot, write_feeds_file
from tests.factories import news
from tests.inprocess import alert_texts

BUDI, SITI, ANDI = 101, 102, 103
BANTEN, NASIONAL = "/banten.xml", "/nasional.xml"


@pytest.fixture
def feeds(feeds: FeedServer) -> FeedServer:
    """The suite's feed server, with a national and a Banten feed that already hold news."""
    feeds.publish(BANTEN, [news("lama", "Banjir Serang pekan lalu mulai surut", hours_ago=30)])
    feeds.publish(NASIONAL, [news("awal", "Presiden resmikan bendungan")])
    return feeds


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> AsyncIterator[BotProcess]:
    feeds_toml = write_feeds_file(
        tmp_path / "feeds.toml",
        feeds,
        [("ANTARA Banten", BANTEN, "Banten"), ("ANTARA Nasional", NASIONAL, "Nasional")],
    )
    async with started_bot(tmp_path, telegram, feeds_toml, database=database) as process:
        yield process


def sends_to(telegram: TelegramStandIn, chat_id: int) -> int:
    return sum(1 for r in telegram.requests_for("sendMessage") if r.chat_id == chat_id)


async def say(telegram: TelegramStandIn, chat_id: int, text: str) -> str:
    """Send a message as a user and return the bot's reply."""
    before = len(telegram.messages_to(chat_id))
    telegram.user_says(chat_id, text)
    replies = await telegram.wait_for_messages(chat_id, before + 1, timeout=30)
    return replies[before].plain_text or ""


async def wait_for_poll(feeds: FeedServer, path: str) -> None:
    await feeds.wait_for_hits(path, feeds.hits(path) + 1, timeout=30)


async def test_readers_get_exactly_the_alerts_they_asked_for(
    telegram: TelegramStandIn, feeds: FeedServer, bot: BotProcess
) -> None:
    await wait_for_poll(feeds, BANTEN)  # the first poll runs right after start-up
    welcome = await say(telegram, BUDI, "/start")
    assert "/subscribe" in welcome
    added = await say(telegram, BUDI, "/subscribe banjir Serang, Korea Utara")
    assert "banjir Serang" in added
    assert "Korea Utara" in added
    assert "Ukraina" in await say(telegram, SITI, "/langganan Ukraina")
    assert "Korea Utara" in await say(telegram, ANDI, "/subscribe Korea Utara")

    feeds.add_item(BANTEN, news("banjir", "Ratusan rumah terendam banjir Serang, warga mengungsi"))
    feeds.add_item(NASIONAL, news("korut", "Korea Utara uji coba rudal balistik lagi"))
    await telegram.wait_for(lambda tg: len(alert_texts(tg, ANDI)) == 1, timeout=30)
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) == 2, timeout=30)

    budi = alert_texts(telegram, BUDI)
    assert any(
        "Ratusan rumah terendam banjir Serang" in text and "ANTARA Banten" in text for text in budi
    )
    assert any("Korea Utara uji coba" in text for text in budi)
    assert alert_texts(telegram, SITI) == []
    # Items from a feed's first fetch are stored for /latest, never alerted.
    assert not any("pekan lalu" in text for text in budi)
    sent = [m for m in telegram.messages_to(BUDI) if (m.plain_text or "").startswith("🔔")]
    assert all(m.parse_mode == "HTML" for m in sent)

    latest = await say(telegram, BUDI, "/latest")
    assert "Ratusan rumah terendam" in latest
    assert "Banjir Serang pekan lalu" in latest
    assert "Korea Utara" in await say(telegram, BUDI, "/list")
    assert "/help" in await say(telegram, BUDI, "/tidakada")
    assert "WARTA_ADMINS" not in bot.log_text()
    assert telegram.token not in bot.log_text()
    assert "poll done" in bot.log_text()


async def test_throttling_and_server_errors_lose_nothing(
    telegram: TelegramStandIn, feeds: FeedServer, bot: BotProcess
) -> None:
    await wait_for_poll(feeds, NASIONAL)
    await say(telegram, BUDI, "/subscribe Korea Utara")
    await say(telegram, ANDI, "/subscribe Korea Utara")
    telegram.fail_next(status=429, retry_after=1, chat_id=BUDI)
    telegram.fail_next(2, status=502, chat_id=ANDI)
    telegram.fail_next(status=500, chat_id=ANDI)

    feeds.add_item(NASIONAL, news("korut-1", "Korea Utara kirim balon sampah ke Korea Selatan"))
    await telegram.wait_for(
        lambda tg: len(alert_texts(tg, BUDI)) == 1 and len(alert_texts(tg, ANDI)) == 1, timeout=60
    )
    statuses = [r.status for r in telegram.requests_for("sendMessage") if r.chat_id == ANDI]
    assert statuses[-4:] == [502, 502, 500, 200]
    assert "send error" in bot.log_text()


async def test_a_blocked_chat_stops_being_tried(
    telegram: TelegramStandIn, feeds: FeedServer, bot: BotProcess
) -> None:
    await wait_for_poll(feeds, NASIONAL)
    await say(telegram, SITI, "/subscribe Ukraina")
    await say(telegram, BUDI, "/subscribe Ukraina")
    telegram.block(SITI)
    feeds.add_item(NASIONAL, news("ukr-1", "Ukraina dan Rusia bertukar tahanan perang"))
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) == 1, timeout=30)
    # Its reply to /subscribe, then its alert: tried once, refused, and the chat let go.
    await telegram.wait_for(lambda tg: sends_to(tg, SITI) >= 2)
    await bot.wait_for_log("chat deactivated")
    tried = sends_to(telegram, SITI)

    feeds.add_item(NASIONAL, news("ukr-2", "Zelensky temui sekutu Eropa bahas bantuan Ukraina"))
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) == 2, timeout=30)
    assert sends_to(telegram, SITI) == tried

    # Writing to the bot again brings the chat back.
    telegram.unblock(SITI)
    assert "Selamat datang" in await say(telegram, SITI, "/start")


async def test_a_restart_sends_nothing_twice_and_keeps_subscriptions(
    telegram: TelegramStandIn, feeds: FeedServer, bot: BotProcess
) -> None:
    await wait_for_poll(feeds, BANTEN)
    await say(telegram, BUDI, "/subscribe gempa")
    feeds.add_item(BANTEN, news("gempa-1", "Gempa magnitudo 5,1 guncang Lebak"))
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) == 1, timeout=30)

    assert await bot.stop(signal.SIGTERM) == 0
    assert "stopped" in bot.log_text()
    await bot.start()
    await wait_for_poll(feeds, BANTEN)
    await wait_for_poll(feeds, BANTEN)  # a whole poll after the restart has finished

    assert "gempa" in await say(telegram, BUDI, "/list")
    feeds.add_item(BANTEN, news("gempa-2", "Gempa susulan terasa di Pandeglang"))
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) == 2, timeout=30)
    titles = alert_texts(telegram, BUDI)
    assert sum("guncang Lebak" in text for text in titles) == 1


async def test_one_story_in_two_feeds_reaches_a_reader_once(
    telegram: TelegramStandIn, feeds: FeedServer, bot: BotProcess
) -> None:
    await wait_for_poll(feeds, BANTEN)
    await say(telegram, BUDI, "/subscribe Korea Utara")
    title = "Korea Utara Luncurkan Rudal Balistik ke Laut Jepang Pagi Ini"
    feeds.add_item(NASIONAL, news("korut-antara", title))
    feeds.add_item(BANTEN, news("korut-banten", title.upper().replace("PAGI INI", "pagi ini")))
    feeds.add_item(NASIONAL, news("korut-2", "Korea Utara umumkan latihan militer di perbatasan"))
    await telegram.wait_for(lambda tg: len(alert_texts(tg, BUDI)) >= 2, timeout=30)
    # Both items are stored (the second copy shows up in /latest as another source)...
    latest = await say(telegram, BUDI, "/latest Korea Utara")
    assert "ANTARA Banten" in latest
    assert "ANTARA Nasional" in latest
    # A later alert would queue behind any duplicate, so once it is here all have been sent.
    feeds.add_item(BANTEN, news("korut-3", "Korea Utara tutup perbatasan untuk turis"))
    await telegram.wait_for(
        lambda tg: any("tutup perbatasan" in text for text in alert_texts(tg, BUDI)), timeout=30
    )
    titles = [text.split("\n")[1].casefold() for text in alert_texts(telegram, BUDI)]
    assert titles.count(title.casefold()) == 1
    assert len(titles) == 3
