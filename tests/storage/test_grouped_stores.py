"""On PostgreSQL, feeds that wait to store together take one cluster-wide turn; one alert per
story and one bad feed's refusal hold within such a turn."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import psycopg
import pytest

from bot.feeds.stories import StoryMatcher
from storage import Storage
from storage.models import FeedSeed, NewItem, StoredItems
from storage.postgres import STORY_LOCK

READER = 7
# Items whose title holds this the database refuses, as it would an out-of-range value.
REFUSE_MARKED = """
CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title LIKE '%DITOLAK%' THEN
        RAISE EXCEPTION 'value out of range' USING ERRCODE = '22003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_marked BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse_marked();
"""


def distinct_news(feed: int, count: int) -> list[NewItem]:
    """Items telling stories of their own (titles too short to be taken for another's)."""
    return [news(f"{feed}-{n}", f"Banjir kampung{feed}x{n}") for n in range(count)]


def news(identity: str, title: str) -> NewItem:
    return NewItem(
        identity=identity,
        title=title,
        summary="Ringkasan",
        body="",
        link=f"https://berita.example/{identity}",
        published_at=time.time(),
        alerts=((READER, ("banjir",)),),
    )


@pytest.fixture
async def storage(postgres_url: str) -> AsyncIterator[Storage]:
    store = Storage(postgres_url)
    await store.open()
    await store.sync_feeds(
        FeedSeed(f"http://127.0.0.1/feed/{n}", f"Sumber {n}", "Banten") for n in range(8)
    )
    await store.register_chat(READER, "private", "", time.time())
    yield store
    await store.close()


@pytest.fixture
async def story_lock(postgres_url: str) -> AsyncIterator[asyncio.Event]:
    """The cluster-wide turn held by another process until the event is set."""
    release = asyncio.Event()
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as other:
        await other.execute("SELECT pg_advisory_lock(%s)", (STORY_LOCK,))

        async def unlock_when_released() -> None:
            await release.wait()
            await other.execute("SELECT pg_advisory_unlock(%s)", (STORY_LOCK,))

        unlocking = asyncio.create_task(unlock_when_released())
        yield release
        release.set()
        await unlocking


async def stores_behind_a_held_turn(
    storage: Storage, release: asyncio.Event, batches: list[list[NewItem]]
) -> list[StoredItems]:
    """Each batch stored by a feed of its own, all asked for while another process holds the
    turn; the first feed's store waits in the turn, the others queue behind it."""
    stories = StoryMatcher()
    feeds = await storage.list_feeds()
    now = time.time()
    stores = []
    for feed, batch in zip(feeds, batches, strict=False):
        stores.append(
            asyncio.create_task(storage.store_items(feed.id, batch, now, stories=stories))
        )
        # Nothing announces a store that waits: the gate, then the waiting list, is the condition.
        while not storage._store_gate.locked():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    while len(storage._store_waiting) < len(batches) - 1:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    release.set()
    return await asyncio.gather(*stores)


async def alerts_of(postgres_url: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(postgres_url) as db:
        rows = await db.execute(
            "SELECT i.title FROM deliveries d JOIN items i ON i.id = d.item_id "
            "WHERE d.chat_id = %s ORDER BY i.id",
            (READER,),
        )
        return [title for (title,) in await rows.fetchall()]


async def test_feeds_waiting_for_the_turn_store_in_one_turn_with_their_alerts(
    storage: Storage, story_lock: asyncio.Event, postgres_url: str
) -> None:
    batches = [distinct_news(feed, 3) for feed in range(6)]
    results = await stores_behind_a_held_turn(storage, story_lock, batches)

    assert [result.new_items for result in results] == [3] * 6
    assert sum(result.alerts_queued for result in results) == 18
    assert len(await alerts_of(postgres_url)) == 18
    # The first store took the turn alone; the five queued behind it took one more together.
    turns = [result for result in results if result.turn_seconds > 0]
    assert len(turns) == 2


async def test_one_story_from_two_feeds_in_one_turn_alerts_once(
    storage: Storage, story_lock: asyncio.Event, postgres_url: str
) -> None:
    title = "Banjir rendam ratusan rumah di Kabupaten Serang sejak Senin pagi"
    batches = [
        [news("lain", "Gempa kecil guncang Sukabumi tanpa kerusakan berarti")],
        [news("antara", title)],
        [news("tribun", title + " (diperbarui)")],
    ]
    results = await stores_behind_a_held_turn(storage, story_lock, batches)

    assert [result.new_items for result in results] == [1, 1, 1]
    # Whichever outlet's store came first, the other's item is stored under its story.
    assert results[2].stories[0][1] == results[1].stories[0][1]
    alerts = await alerts_of(postgres_url)
    assert alerts[0] == batches[0][0].title
    assert len(alerts) == 2
    assert alerts[1] in (title, batches[2][0].title)


async def test_an_item_the_database_refuses_holds_back_no_other_feed(
    storage: Storage, story_lock: asyncio.Event, postgres_url: str
) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as db:
        await db.execute(REFUSE_MARKED.encode())
    batches = [distinct_news(feed, 2) for feed in range(4)]
    batches[2].append(news("bad", "Judul DITOLAK oleh basis data sama sekali"))
    results = await stores_behind_a_held_turn(storage, story_lock, batches)

    assert [result.new_items for result in results] == [2, 2, 2, 2]
    assert [identity for identity, _ in results[2].refused] == ["bad"]
    assert sorted(await alerts_of(postgres_url)) == sorted(
        item.title for batch in batches for item in batch if item.identity != "bad"
    )
