"""Each feed's full-text mode, the lengths that decide 'auto', and its article failures."""

from __future__ import annotations

from storage import Storage
from storage.models import FeedSeed, FullTextMode

URL = "https://banten.example/rss.xml"


async def test_the_feeds_file_sets_the_mode_and_failures_add_up(storage: Storage) -> None:
    await storage.sync_feeds([FeedSeed(URL, "Uji", "Banten", FullTextMode.NEVER)])
    (feed,) = await storage.list_feeds()
    assert (await storage.article_settings(feed.id)).mode is FullTextMode.NEVER
    await storage.sync_feeds([FeedSeed(URL, "Uji", "Banten")])  # the file no longer says
    assert (await storage.article_settings(feed.id)).mode is FullTextMode.AUTO
    await storage.record_article_failures([(feed.id, 2, "HTTP 404 Not Found")], 100.0)
    await storage.record_article_failures([(feed.id, 1, "timed out")], 200.0)
    (health,) = await storage.article_health()
    assert (health.failures, health.last_error, health.last_error_at) == (3, "timed out", 200.0)


async def test_only_the_recent_entries_lengths_are_kept(storage: Storage) -> None:
    await storage.sync_feeds([FeedSeed(URL, "Uji", "Banten")])
    (feed,) = await storage.list_feeds()
    await storage.record_text_lengths(feed.id, [5000] * 15)
    await storage.record_text_lengths(feed.id, [120] * 10)
    lengths = (await storage.article_settings(feed.id)).text_lengths
    assert lengths == (5000,) * 10 + (120,) * 10
