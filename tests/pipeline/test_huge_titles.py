"""One absurd item never blacks out its feed on PostgreSQL: a title of 60,000 words (beyond what
a tsvector holds, were it indexed whole) is cut, and an item the database refuses is left out
while the feed's other items are stored and alert."""

from __future__ import annotations

from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from storage import Storage
from storage.models import FeedSeed, NewItem
from tests.factories import news
from tests.inprocess import alert_titles, running_bot

BUDI = 101
PATH = "/banten.xml"
# 60,000 different words: their search words, indexed whole, would pass PostgreSQL's 1 MB.
HUGE_TITLE = "Banjir " + " ".join(f"kata{n}" for n in range(60_000))


async def test_a_title_of_60000_words_does_not_keep_the_feeds_news_out(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, postgres_url: str
) -> None:
    feeds.publish(PATH, [news("lama", "Berita lama dari Serang", hours_ago=80)])
    entries = [("ANTARA Banten", PATH, "Banten")]
    async with running_bot(tmp_path, telegram, feeds, entries, database=postgres_url) as warta:
        await warta.poll()
        await warta.say(BUDI, "/subscribe banjir")
        feeds.add_item(PATH, news("raksasa", HUGE_TITLE))
        feeds.add_item(PATH, news("biasa-1", "Banjir rendam tiga kecamatan di Serang"))
        feeds.add_item(PATH, news("biasa-2", "Banjir di Lebak mulai surut"))
        await warta.poll()
        await warta.telegram.wait_for(lambda tg: len(alert_titles(tg, BUDI)) == 3)
        titles = alert_titles(telegram, BUDI)
        assert "Banjir rendam tiga kecamatan di Serang" in titles
        assert "Banjir di Lebak mulai surut" in titles
        (feed,) = await warta.services.storage.list_feeds()
        assert (feed.last_error, feed.consecutive_failures) == (None, 0)
        # Stored cut, and found by /latest like any other item.
        stored = {item.title for item in await warta.services.storage.latest_items(10)}
        (cut,) = [title for title in stored if title.startswith("Banjir kata0 ")]
        assert len(cut) <= 1000
        assert cut.endswith("…")
        latest = await warta.say(BUDI, "/latest kata7")
        assert "Banjir kata0 kata1" in latest
        # The next poll finds the next news, and nothing wrong.
        feeds.add_item(PATH, news("biasa-3", "Banjir susulan di Pandeglang"))
        await warta.poll()
        await warta.telegram.wait_for(lambda tg: len(alert_titles(tg, BUDI)) == 4)
        (feed,) = await warta.services.storage.list_feeds()
        assert (feed.last_error, feed.consecutive_failures) == (None, 0)


async def test_an_item_the_database_refuses_is_left_out_and_the_others_are_stored(
    postgres_url: str,
) -> None:
    storage = Storage(postgres_url)
    await storage.open()
    try:
        await storage.sync_feeds([FeedSeed("https://banten.example/rss", "Banten", "Banten")])
        (feed,) = await storage.list_feeds()
        items = [
            NewItem(
                f"urn:{n}",
                f"Berita {n}",
                "",
                f"Isi berita {n}",
                f"https://b.example/{n}",
                None,
                story_id=2**70 if n == 2 else None,
            )
            for n in range(1, 5)
        ]
        stored = await storage.store_items(feed.id, items, 1_800_000_000.0)
        assert stored.new_items == 3
        assert [identity for identity, _ in stored.refused] == ["urn:2"]
        assert "out of range" in stored.refused[0][1]
        titles = sorted(item.title for item in await storage.latest_items(10))
        assert titles == ["Berita 1", "Berita 3", "Berita 4"]
    finally:
        await storage.close()
