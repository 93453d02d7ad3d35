"""Polling feeds into storage and the outbox, against a real feed server."""

from __future__ import annotations

from pathlib import Path

from bot.feeds.fetch import USER_AGENT
from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news
from tests.inprocess import RunningBot, running_bot

BUDI, SITI = 101, 102


async def alerts_for(warta: RunningBot, chat_id: int, count: int) -> list[str]:
    messages = await warta.telegram.wait_for_messages(chat_id, count)
    return [m.plain_text or "" for m in messages if (m.plain_text or "").startswith("🔔")]


async def test_poll_uses_conditional_get_and_names_the_bot(warta: RunningBot) -> None:
    await warta.poll()
    await warta.poll()
    requests = [r for r in warta.feeds.requests if r.path == "/banten.xml"]
    assert [r.status for r in requests] == [200, 304]
    assert requests[0].headers["User-Agent"] == USER_AGENT
    assert requests[1].headers.get("If-None-Match") == warta.feeds.etag("/banten.xml")
    (feed,) = await warta.services.storage.list_feeds()
    assert feed.last_success_at is not None


async def test_old_entries_and_the_first_fetch_are_stored_but_not_alerted(
    warta: RunningBot,
) -> None:
    await warta.say(BUDI, "/subscribe banjir")
    warta.feeds.publish("/banten.xml", [news("a", "Banjir di Lebak surut")])
    await warta.poll()  # first successful fetch of this feed: its back catalogue
    warta.feeds.add_item("/banten.xml", news("b", "Banjir lama tiga hari lalu", hours_ago=72))
    warta.feeds.add_item("/banten.xml", news("c", "Banjir baru di Cilegon"))
    await warta.poll()
    alerts = await alerts_for(warta, BUDI, 2)
    assert len(alerts) == 1
    assert "Banjir baru di Cilegon" in alerts[0]
    stored = [i.title for i in await warta.services.storage.latest_items(10)]
    assert set(stored) == {
        "Banjir di Lebak surut",
        "Banjir lama tiga hari lalu",
        "Banjir baru di Cilegon",
    }


async def test_one_story_from_two_feeds_reaches_a_reader_once(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/antara.xml", [])
    feeds.publish("/radar.xml", [])
    entries = [("ANTARA Banten", "/antara.xml", "Banten"), ("Radar Banten", "/radar.xml", "Banten")]
    async with running_bot(tmp_path, telegram, feeds, entries) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe banjir Serang")
        feeds.add_item("/antara.xml", news("x1", "Banjir Serang Rendam 300 Rumah, Warga Mengungsi"))
        feeds.add_item("/radar.xml", news("y1", "Banjir Serang rendam 300 rumah, warga mengungsi"))
        await warta.poll()
        feeds.add_item(
            "/radar.xml", news("y2", "Banjir Serang: BPBD kirim perahu karet ke Kasemen")
        )
        await warta.poll()
        alerts = await alerts_for(warta, BUDI, 3)
        await warta.telegram.wait_for(lambda tg: len(tg.messages_to(BUDI)) >= 3)
        titles = [a.split("\n")[1] for a in alerts]
        assert len(titles) == 2
        assert "BPBD kirim perahu karet" in titles[1]
        # Both copies are kept for /latest as sources of the same story.
        latest = await warta.say(BUDI, "/latest")
        assert "ANTARA Banten" in latest
        assert "Radar Banten" in latest


async def test_a_broken_feed_backs_off_and_never_stops_the_others(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/good.xml", [])
    feeds.set_raw(
        "/broken.xml", b"<html><body>Maaf, sedang perbaikan</body></html>", content_type="text/html"
    )
    feeds.set_raw("/gone.xml", b"", status=404)
    entries = [
        ("Bagus", "/good.xml", "Banten"),
        ("Rusak", "/broken.xml", "Banten"),
        ("Hilang", "/gone.xml", "Banten"),
    ]
    async with running_bot(tmp_path, telegram, feeds, entries) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe gempa")
        feeds.add_item("/good.xml", news("g", "Gempa guncang Lebak"))
        await warta.services.storage.make_feeds_due()
        summary = await warta.services.poller.poll_once()
        assert (summary.fetched, summary.failed) == (1, 0)  # the broken ones are backed off
        assert len(await alerts_for(warta, BUDI, 2)) == 1
        feeds_by_name = {f.name: f for f in await warta.services.storage.list_feeds()}
        assert feeds_by_name["Rusak"].last_error == "not a feed: got an HTML page"
        assert feeds_by_name["Hilang"].last_error == "HTTP 404 Not Found"
        assert feeds_by_name["Hilang"].consecutive_failures == 1
        assert feeds_by_name["Bagus"].last_error is None
        # Backed off: the broken feeds are not fetched again on the next poll.
        assert feeds.hits("/broken.xml") == 1
        assert feeds_by_name["Rusak"].next_fetch_at is not None
