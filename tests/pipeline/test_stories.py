"""One alert per story: near-duplicate titles within 48 hours are the same story."""

from __future__ import annotations

from bot.feeds.stories import STORY_WINDOW_SECONDS, StoryMatcher

NOW = 1_800_000_000.0


def test_a_reprinted_title_is_the_same_story() -> None:
    stories = StoryMatcher()
    stories.remember(7, "Banjir Rendam Ratusan Rumah di Kota Serang, Warga Mengungsi", NOW)
    found = stories.find_story("Banjir rendam ratusan rumah di Kota Serang, warga mengungsi", NOW)
    assert found == 7
    shortened = stories.find_story("Banjir Rendam Ratusan Rumah di Kota Serang", NOW + 60)
    assert shortened == 7


def test_a_different_event_with_similar_words_is_a_new_story() -> None:
    stories = StoryMatcher()
    stories.remember(7, "Gempa M5,2 Guncang Cianjur Pagi Ini", NOW)
    assert stories.find_story("Gempa M4,1 Guncang Garut Sore Ini", NOW) is None
    assert stories.find_story("Harga beras di Serang naik tajam", NOW) is None


def test_stories_older_than_the_window_are_forgotten() -> None:
    stories = StoryMatcher()
    stories.remember(7, "Banjir Rendam Ratusan Rumah di Kota Serang", NOW)
    later = NOW + STORY_WINDOW_SECONDS + 1
    assert stories.find_story("Banjir Rendam Ratusan Rumah di Kota Serang", later) is None


def test_very_short_titles_are_never_merged() -> None:
    stories = StoryMatcher()
    stories.remember(7, "Berita Terkini", NOW)
    assert stories.find_story("Berita Terkini", NOW) is None
