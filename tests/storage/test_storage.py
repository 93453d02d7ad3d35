"""Storage on a real SQLite file: schema, outbox and the states a chat goes through."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage import Storage
from storage.items import GROUP_BURST
from storage.migrate import migration_scripts
from storage.models import FeedSeed, NewItem
from storage.sqlite import SqliteEngine

NOW = 1_800_000_000.0
CLAIM = 7  # a sender's claim on the messages it sends


async def a_feed(storage: Storage, url: str = "http://127.0.0.1/feed") -> int:
    await storage.sync_feeds([FeedSeed(url, "ANTARA Banten", "Banten")])
    feeds = await storage.list_feeds()
    return next(feed.id for feed in feeds if feed.url == url)


def an_item(identity: str, alerts: dict[int, tuple[str, ...]], story: int | None = None) -> NewItem:
    return NewItem(
        identity=identity,
        title=f"Banjir di Serang {identity}",
        summary="Ringkasan",
        body="Banjir merendam Serang",
        link=f"https://example.id/{identity}",
        published_at=NOW,
        story_id=story,
        alerts=tuple(alerts.items()),
    )


async def drop_connections(store: Storage) -> None:
    """No clean shutdown: the connections go as a killed process's would, nothing closed first."""
    engine = store.engine
    if isinstance(engine, SqliteEngine):
        for db in engine.connections:
            await db.close()
    else:
        await engine.close()
    store._engine = None


async def test_new_file_gets_the_whole_schema(tmp_path: Path) -> None:
    store = Storage(tmp_path / "fresh.db")
    await store.open()
    await store.close()
    with sqlite3.connect(tmp_path / "fresh.db") as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert version == migration_scripts("sqlite")[-1][0]
    assert journal == "wal"


async def test_reopening_an_existing_database_keeps_chats_and_topics(
    database: Path | str,
) -> None:
    first = Storage(database)
    await first.open()
    await first.register_chat(42, "private", "Budi", NOW)
    await first.add_topic(42, "Korea Utara", "korea utara", NOW)
    await first.close()
    again = Storage(database)
    await again.open()
    assert [t.text for t in await again.list_topics(42)] == ["Korea Utara"]
    await again.close()


async def test_a_file_from_before_migrations_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an empty file at user_version 0
    store = Storage(path)
    await store.open()
    assert await store.active_chat_ids() == []
    await store.close()


async def test_same_topic_twice_is_stored_once(storage: Storage) -> None:
    await storage.register_chat(1, "private", "", NOW)
    assert await storage.add_topic(1, "Ukraina", "ukraina", NOW) is not None
    assert await storage.add_topic(1, "UKRAINA", "ukraina", NOW) is None
    assert len(await storage.list_topics(1)) == 1


async def test_storing_an_item_queues_one_alert_per_chat(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    for chat in (1, 2):
        await storage.register_chat(chat, "private", "", NOW)
    stored = await storage.store_items(
        feed_id, [an_item("a", {1: ("banjir",), 2: ("Serang", "banjir")})], NOW
    )
    again = await storage.store_items(feed_id, [an_item("a", {1: ("banjir",)})], NOW)
    assert (stored.new_items, stored.alerts_queued) == (1, 2)
    assert (again.new_items, again.alerts_queued) == (0, 0)
    pending = await storage.pending_outbox(NOW, 10)
    assert {entry.chat_id for entry in pending} == {1, 2}
    assert next(e for e in pending if e.chat_id == 2).topics == ("Serang", "banjir")


async def test_a_groups_alerts_beyond_its_burst_are_held_though_stored_in_one_statement(
    storage: Storage,
) -> None:
    feed_id = await a_feed(storage)
    await storage.register_chat(-100, "group", "Warga Serang", NOW)
    items = [an_item(f"g{n}", {-100: ("banjir",)}) for n in range(GROUP_BURST + 2)]
    stored = await storage.store_items(feed_id, items, NOW)
    assert stored.alerts_queued == GROUP_BURST + 2
    # The group's first few go out now; the rest wait for its digest, as if stored one by one.
    assert await storage.outbox_backlog() == GROUP_BURST


async def test_a_second_item_of_the_same_story_queues_nothing_more(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    await storage.register_chat(1, "private", "", NOW)
    first = await storage.store_items(feed_id, [an_item("a", {1: ("banjir",)})], NOW)
    ((_, story),) = first.stories
    stored = await storage.store_items(feed_id, [an_item("b", {1: ("banjir",)}, story)], NOW)
    assert stored.new_items == 1
    assert stored.alerts_queued == 0


async def test_outbox_survives_a_crash_and_only_unsent_rows_come_back(
    database: Path | str,
) -> None:
    store = Storage(database)
    await store.open()
    feed_id = await a_feed(store)
    await store.register_chat(1, "private", "", NOW)
    await store.store_items(feed_id, [an_item("a", {1: ("x",)}), an_item("b", {1: ("x",)})], NOW)
    first = (await store.pending_outbox(NOW, 10))[0]
    assert await store.claim_delivery(first.id, CLAIM)
    await store.mark_sent(first.id, CLAIM, NOW)
    await drop_connections(store)
    again = Storage(database)
    await again.open()
    pending = await again.pending_outbox(NOW, 10)
    assert [entry.item.title for entry in pending if entry.item] == ["Banjir di Serang b"]
    await again.close()


async def test_each_chat_offers_only_its_oldest_pending_message(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    await storage.register_chat(1, "private", "", NOW)
    await storage.store_items(feed_id, [an_item("a", {1: ("x",)}), an_item("b", {1: ("x",)})], NOW)
    head = await storage.pending_outbox(NOW, 10)
    assert len(head) == 1
    assert await storage.claim_delivery(head[0].id, CLAIM)
    await storage.schedule_retry(head[0].id, CLAIM, "502", NOW + 60, count_attempt=True)
    # The later message must not overtake the one waiting for its retry.
    assert await storage.pending_outbox(NOW, 10) == []
    assert await storage.next_outbox_time() == NOW + 60


async def test_deactivating_a_chat_drops_its_pending_alerts(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    await storage.register_chat(1, "private", "", NOW)
    await storage.store_items(feed_id, [an_item("a", {1: ("x",)})], NOW)
    assert await storage.deactivate_chat(1, "blocked", NOW) == 1
    assert await storage.pending_outbox(NOW, 10) == []
    later = await storage.store_items(feed_id, [an_item("b", {1: ("x",)})], NOW)
    assert later.alerts_queued == 0
    assert await storage.register_chat(1, "private", "", NOW) is True
    assert await storage.active_chat_ids() == [1]


async def test_migrated_group_keeps_topics_and_pending_alerts(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    await storage.register_chat(-100, "group", "Warga Serang", NOW)
    await storage.add_topic(-100, "banjir", "banjir", NOW)
    await storage.store_items(feed_id, [an_item("a", {-100: ("banjir",)})], NOW)
    await storage.migrate_chat(-100, -100200)
    assert [t.text for t in await storage.list_topics(-100200)] == ["banjir"]
    assert [e.chat_id for e in await storage.pending_outbox(NOW, 10)] == [-100200]
    assert await storage.get_chat(-100) is None


async def test_search_finds_words_in_title_and_body(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    await storage.store_items(feed_id, [an_item("a", {})], NOW)
    found = await storage.search_items('"merendam"', 10)
    assert [item.title for item, _ in found] == ["Banjir di Serang a"]
    assert await storage.search_items('"gempa"', 10) == []


async def test_prune_removes_old_items_once_their_alerts_are_done(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    await storage.register_chat(1, "private", "", NOW)
    await storage.store_items(feed_id, [an_item("old", {1: ("x",)})], NOW - 40 * 86400)
    await storage.store_items(feed_id, [an_item("new", {})], NOW)
    # Its alert still waits: the item stays until the alert is done.
    assert await storage.prune_items(NOW - 30 * 86400) == 0
    (waiting,) = await storage.pending_outbox(NOW, 10)
    assert await storage.claim_delivery(waiting.id, CLAIM)
    assert await storage.mark_sent(waiting.id, CLAIM, NOW)
    assert await storage.prune_items(NOW - 30 * 86400) == 1
    assert [item.title for item in await storage.latest_items(10)] == ["Banjir di Serang new"]
    assert await storage.search_items('"old"', 10) == []
    assert await storage.outbox_backlog() == 0


async def test_feed_failures_are_recorded_and_cleared(storage: Storage) -> None:
    feed_id = await a_feed(storage)
    await storage.record_feed_failure(feed_id, "HTTP 500", NOW, NOW + 600)
    assert await storage.due_feeds(NOW) == []
    (feed,) = await storage.list_feeds()
    assert (feed.last_error, feed.consecutive_failures) == ("HTTP 500", 1)
    await storage.record_feed_success(feed_id, '"v1"', None, NOW + 600)
    (feed,) = await storage.due_feeds(NOW + 600)
    assert (feed.last_error, feed.consecutive_failures, feed.etag) == (None, 0, '"v1"')


async def test_broadcast_is_reported_once_when_every_recipient_is_done(storage: Storage) -> None:
    for chat in (1, 2):
        await storage.register_chat(chat, "private", "", NOW)
    broadcast_id = await storage.draft_broadcast(1, "<b>Halo</b>", NOW)
    assert await storage.pending_outbox(NOW, 10) == []  # a draft sends nothing
    assert await storage.start_broadcast(broadcast_id, progress_message_id=7, now=NOW) == 2
    assert await storage.start_broadcast(broadcast_id, progress_message_id=7, now=NOW) is None
    assert await storage.broadcast_recipients(broadcast_id) == 2
    first, second = await storage.pending_outbox(NOW, 10)
    for entry in (first, second):
        assert await storage.claim_delivery(entry.id, CLAIM)
    await storage.mark_sent(first.id, CLAIM, NOW)
    assert await storage.unreported_finished_broadcast(broadcast_id) is None
    await storage.mark_failed(second.id, CLAIM, "rejected", NOW)
    report = await storage.unreported_finished_broadcast(broadcast_id)
    assert report is not None
    assert (report.sent, report.failed) == (1, 1)
    assert await storage.unreported_finished_broadcast(broadcast_id) is None
