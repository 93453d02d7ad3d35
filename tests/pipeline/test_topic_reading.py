"""Alerts for a place that is also a word: the feed's region vouches for a headline about it."""

from __future__ import annotations

from bot.standin import TelegramStandIn
from tests.factories import news
from tests.inprocess import RunningBot

BUDI = 101
BANTEN = "/banten.xml"


def alerts(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    return [
        m.plain_text or ""
        for m in telegram.messages_to(chat_id)
        if (m.plain_text or "").startswith("🔔")
    ]


async def test_a_headline_about_a_place_of_the_feeds_province_alerts(warta: RunningBot) -> None:
    await warta.poll()  # the feed's back catalogue: nothing is alerted from it
    await warta.say(BUDI, "/subscribe Serang")
    # Both headlines capitalise every word; only the first is about the city of Serang, whose
    # province (Banten) is the feed's region. The second uses "serang" (attack) as a verb.
    headline = "Serang Diguyur Hujan Deras, Sejumlah Ruas Jalan Tergenang"
    warta.feeds.add_item(BANTEN, news("kyiv", "Rusia Serang Kyiv dengan Puluhan Drone"))
    warta.feeds.add_item(BANTEN, news("hujan", headline))
    await warta.poll()
    await warta.telegram.wait_for(lambda tg: bool(alerts(tg, BUDI)), timeout=30)
    await warta.settled()
    (alert,) = alerts(warta.telegram, BUDI)
    assert "Serang Diguyur Hujan Deras" in alert
