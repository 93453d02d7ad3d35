"""/latest and /test: stored news on demand."""

from __future__ import annotations

from tests.factories import news
from tests.inprocess import RunningBot

BUDI = 101


async def stored_news(warta: RunningBot) -> None:
    warta.feeds.publish(
        "/banten.xml",
        [
            news("1", "Banjir Serang rendam 300 rumah", hours_ago=5),
            news("2", "Serangan siber lumpuhkan layanan Pemprov Banten", hours_ago=4),
            news("3", "Korut luncurkan rudal ke Laut Jepang", hours_ago=3),
            news("4", "Harga cabai di Pandeglang turun", hours_ago=2),
            news("5", "Banjir Serang mulai surut, warga kembali", hours_ago=1),
        ],
    )
    await warta.poll()


async def test_latest_uses_the_chats_topics_newest_first(warta: RunningBot) -> None:
    await stored_news(warta)
    await warta.say(BUDI, "/subscribe banjir Serang, Korea Utara")
    reply = await warta.say(BUDI, "/latest")
    lines = reply.split("\n")[1:]
    assert [line.split(". ", 1)[1].split(" — ")[0] for line in lines] == [
        "Banjir Serang mulai surut, warga kembali",
        "Korut luncurkan rudal ke Laut Jepang",
        "Banjir Serang rendam 300 rumah",
    ]
    sent = warta.telegram.messages_to(BUDI)[-1]
    assert "https://berita.example/5" in (sent.text or "")


async def test_latest_with_words_searches_those_words(warta: RunningBot) -> None:
    await stored_news(warta)
    reply = await warta.say(BUDI, "/terbaru harga cabai")
    assert "Harga cabai di Pandeglang turun" in reply
    assert "Banjir" not in reply


async def test_latest_never_confuses_serang_with_serangan(warta: RunningBot) -> None:
    await stored_news(warta)
    reply = await warta.say(BUDI, "/latest Serang")
    assert "Serangan siber" not in reply
    assert "Banjir Serang rendam" in reply


async def test_latest_with_nothing_found_says_so_kindly(warta: RunningBot) -> None:
    await stored_news(warta)
    assert "Belum ada berita" in await warta.say(BUDI, "/latest gunung meletus")
    await warta.say(BUDI, "/subscribe tsunami")
    assert "Belum ada berita" in await warta.say(BUDI, "/latest")


async def test_latest_without_topics_or_words_points_to_subscribe(warta: RunningBot) -> None:
    assert "/subscribe" in await warta.say(BUDI, "/latest")


async def test_test_shows_what_a_topic_would_match(warta: RunningBot) -> None:
    await stored_news(warta)
    reply = await warta.say(BUDI, "/test (banjir OR rudal) -surut")
    assert "Banjir Serang rendam 300 rumah" in reply
    assert "Korut luncurkan rudal" in reply
    assert "surut" not in reply.split("\n", 1)[1]
    assert "tidak valid" in await warta.say(BUDI, "/test banjir AND")
    assert "/test banjir AND Serang" in await warta.say(BUDI, "/test")
