"""Every process rebuilds its matching index when the matching version moves: it moves with each
change of topics, followed regions or narrowings, once however many rows change, and not at all
for a statement that changed nothing."""

from __future__ import annotations

import time

import psycopg

from storage import Storage

READER = 5


async def test_a_change_of_what_matching_holds_moves_the_version(storage: Storage) -> None:
    await storage.register_chat(READER, "private", "", time.time())
    before = await storage.matching_version()

    topic = await storage.add_topic(READER, "banjir", "banjir", time.time())
    assert topic is not None
    assert await storage.matching_version() > before

    moved = await storage.matching_version()
    assert await storage.follow_region(READER, "Banten", time.time())
    assert await storage.matching_version() > moved

    moved = await storage.matching_version()
    assert await storage.remove_topic(READER, topic.id) is not None
    assert await storage.unfollow_region(READER, "Banten")
    assert await storage.matching_version() >= moved + 2


async def test_a_statement_that_changes_nothing_leaves_every_index_as_it_is(
    storage: Storage,
) -> None:
    await storage.register_chat(READER, "private", "", time.time())
    await storage.add_topic(READER, "banjir", "banjir", time.time())
    await storage.follow_region(READER, "Banten", time.time())
    before = await storage.matching_version()

    assert await storage.add_topic(READER, "Banjir", "banjir", time.time()) is None
    assert not await storage.follow_region(READER, "Banten", time.time())
    assert await storage.remove_topic(READER, 999_999) is None
    assert not await storage.unfollow_region(READER, "Papua")
    assert await storage.matching_version() == before


async def test_a_bulk_load_of_topics_moves_the_version_once(postgres_url: str) -> None:
    storage = Storage(postgres_url)
    await storage.open()
    try:
        before = await storage.matching_version()
        now = time.time()
        async with await psycopg.AsyncConnection.connect(postgres_url) as db:
            await db.execute(
                "INSERT INTO chats (id, type, title, active, created_at) "
                "SELECT n, 'private', '', 1, %s FROM generate_series(1, 2000) AS n",
                (now,),
            )
            await db.execute(
                "INSERT INTO topics (chat_id, text, key, created_at) "
                "SELECT n, 'banjir', 'banjir', %s FROM generate_series(1, 2000) AS n",
                (now,),
            )
        assert await storage.matching_version() == before + 1
        assert len(await storage.active_topics()) == 2000
    finally:
        await storage.close()
