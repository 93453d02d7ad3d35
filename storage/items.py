"""Queries about stored items, and queueing their alerts in the same transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from storage.database import (
    DATA_ERRORS,
    Database,
    Row,
    SearchStoppedError,
    Session,
    first_line,
)
from storage.models import (
    Item,
    NewItem,
    PageWait,
    PendingArticle,
    StoredItems,
    StoryBook,
    TimeZone,
)

__all__ = [
    "ITEM_COLUMNS",
    "ItemQueries",
    "SearchStoppedError",
    "insert_rows",
    "item_from_row",
    "queue_alerts_of",
]

ITEM_COLUMNS = (
    "i.id AS item_id, i.feed_id AS item_feed_id, i.title AS item_title, "
    "i.summary AS item_summary, i.link AS item_link, i.published_at AS item_published_at, "
    "i.fetched_at AS item_fetched_at, f.name AS feed_name, f.region AS feed_region"
)
_NO_ID_ABOVE = 2**63 - 1  # the largest id either engine gives
# The search words of an item stored without any (PostgreSQL's empty tsvector; SQLite has none).
NO_DOCUMENT = ""


# Items written anew at a time when Storage.open brings an older database's index up to date.
INDEX_BATCH = 2_000


class ItemQueries(Database):
    """Items, their full-text index and the alerts they queue."""

    async def open(self) -> None:
        """Connect, migrate, then write the search words of items an older Warta stored."""
        await super().open()
        await self.index_pending_items()

    async def index_pending_items(self) -> int:
        """Write anew the search words of items stored before the index held each word without
        its clitics (migration 0026), newest first; how many there were.

        Safe in several processes at once: each writes the same words.
        """
        done = 0
        while True:
            async with self._write() as db:
                rows = await db.fetch_all(self.dialect.pending_search, (INDEX_BATCH,))
                if not rows:
                    return done
                texts = [(row["title"], row["body"]) for row in rows]
                documents = await self.dialect.search_documents(texts)
                await db.execute_many(
                    self.dialect.set_search,
                    [(doc, row["id"]) for doc, row in zip(documents, rows, strict=True)],
                )
            done += len(rows)

    async def known_identities(self, feed_id: int, identities: Sequence[str]) -> set[str]:
        """Which of these entry identities the feed already has stored."""
        known: set[str] = set()
        for start in range(0, len(identities), 500):
            chunk = identities[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._all(
                f"SELECT identity FROM items WHERE feed_id = ? AND identity IN ({marks})",
                (feed_id, *chunk),
            )
            known.update(row["identity"] for row in rows)
        return known

    async def store_items(
        self,
        feed_id: int,
        items: Sequence[NewItem],
        now: float,
        local_hours: Mapping[TimeZone, int] | None = None,
        *,
        stories: StoryBook | None = None,
        pages: PageWait | None = None,
    ) -> StoredItems:
        """Store new entries and queue their alerts in the same transaction (the outbox).

        An item that awaits its article page queues no alert: it is stored as a pending article
        (`pages` says until when, and which poller fetches the page) in the same transaction.

        local_hours is the hour now on each zone's clock, for chats' quiet hours (noon
        everywhere if not given). With `stories`, the items'
        story ids come from it, brought up to date inside the transaction while no other
        process stores items: two processes never call one story two.

        An item whose values the database refuses never keeps the others out: the batch is
        then stored item by item, such an item again without its search words, and if still
        refused left out; both kinds are in the result.
        """
        hours = {zone: 12 for zone in TimeZone} | dict(local_hours or {})
        documents = await self.dialect.search_documents([(i.title, i.body) for i in items])
        batch = list(zip(items, documents, strict=True))
        try:
            return await self._store_batch(feed_id, batch, now, hours, stories, pages)
        except DATA_ERRORS:
            pass  # rolled back whole: each item alone now
        stored = StoredItems(0, 0)
        for item, document in batch:
            try:
                done = await self._store_batch(
                    feed_id, [(item, document)], now, hours, stories, pages
                )
            except DATA_ERRORS as error:
                done = await self._store_unsearchable(
                    feed_id, item, now, hours, stories, pages, first_line(error)
                )
            stored = _added(stored, done)
        return stored

    async def _store_unsearchable(
        self,
        feed_id: int,
        item: NewItem,
        now: float,
        hours: Mapping[TimeZone, int],
        stories: StoryBook | None,
        pages: PageWait | None,
        why: str,
    ) -> StoredItems:
        """An item refused with its search words, stored without them (or refused whole)."""
        try:
            done = await self._store_batch(
                feed_id, [(item, NO_DOCUMENT)], now, hours, stories, pages
            )
        except DATA_ERRORS as error:
            return StoredItems(0, 0, refused=((item.identity, first_line(error)),))
        return replace(done, unsearchable=((item.identity, why),) if done.new_items else ())

    async def _store_batch(
        self,
        feed_id: int,
        batch: Sequence[tuple[NewItem, str | None]],
        now: float,
        hours: Mapping[TimeZone, int],
        stories: StoryBook | None,
        pages: PageWait | None,
    ) -> StoredItems:
        """Store items with their search words, and queue their alerts, in one transaction.

        One statement per table, whatever the number of items (on PostgreSQL): the cluster-wide
        turn (the story lock) lasts a few round trips, not a few per item and alert.
        """
        async with self._write() as db:
            asked = granted = time.perf_counter()
            if stories is not None:
                await self.dialect.lock_stories(db)
                granted = time.perf_counter()
                await _catch_up(db, stories, now)
            found = [
                item.story_id if stories is None else stories.find_story(item.title, now)
                for item, _ in batch
            ]
            stored = await self._insert_items(db, feed_id, batch, found, now)
            places = [(item_id, code) for item_id, item, _ in stored for code in item.places]
            await insert_rows(db, "item_places (item_id, place_code)", places)
            pending = [
                PendingArticle(item_id, feed_id, item.awaits_page, pages.due_at)
                for item_id, item, _ in stored
                if item.awaits_page is not None and pages is not None
            ]
            owner = pages.owner if pages is not None else None
            await insert_rows(
                db,
                "pending_articles (item_id, link, due_at, owner)",
                [(p.item_id, p.link, p.due_at, owner) for p in pending],
            )
            # An item waiting for its page queues its alerts once the page is had or its time up.
            waiting = {p.item_id for p in pending}
            fans = [
                (item_id, story_id, item.alerts)
                for item_id, item, story_id in stored
                if item_id not in waiting
            ]
            alerts = await queue_alerts_of(db, fans, now, hours)
        turn = time.perf_counter() - granted
        # Only once committed: a transaction rolled back must leave no story behind.
        for item_id, item, story_id in stored:
            if stories is not None:
                stories.remember_stored(item_id, story_id, item.title, now)
        return StoredItems(
            len(stored),
            alerts,
            tuple((item.identity, story) for _, item, story in stored),
            pending=tuple(pending),
            turn_seconds=turn if stories is not None else 0.0,
            turn_wait_seconds=granted - asked,
        )

    async def _insert_items(
        self,
        db: Session,
        feed_id: int,
        batch: Sequence[tuple[NewItem, str | None]],
        found: Sequence[int | None],
        now: float,
    ) -> list[tuple[int, NewItem, int]]:
        """Insert the items the feed has not stored yet; (id, item, story id) of each."""
        stored: list[tuple[int, NewItem, int]] = []
        step = self.dialect.items_per_statement
        for start in range(0, len(batch), step):
            chunk = batch[start : start + step]
            stories = found[start : start + step]
            rows = [
                (
                    (feed_id, item.identity, item.title, item.summary, item.body, item.link,
                     item.published_at, now, story),
                    document,
                )
                for (item, document), story in zip(chunk, stories, strict=True)
            ]  # fmt: skip
            inserted = await db.fetch_all(*self.dialect.insert_items(rows))
            ids = {row["identity"]: int(row["id"]) for row in inserted}
            for (item, _), story in zip(chunk, stories, strict=True):
                item_id = ids.pop(item.identity, None)
                if item_id is None:
                    continue  # the feed has it already (or the batch had it twice)
                # An item that starts a new story is that story: its id is the story id.
                stored.append((item_id, item, story if story is not None else item_id))
        return stored

    async def catch_up_stories(self, stories: StoryBook, now: float) -> None:
        """Show a story book the items stored since the newest it has seen (within its window)."""
        async with self._read() as db:
            await _catch_up(db, stories, now)

    async def latest_items(self, limit: int) -> list[Item]:
        """The most recently stored items."""
        rows = await self._all(
            f"SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id "
            "ORDER BY i.id DESC LIMIT ?",
            (limit,),
        )
        return [item_from_row(row) for row in rows]

    async def search_items(
        self,
        fts_query: str | None,
        limit: int,
        *,
        before_id: int | None = None,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> list[tuple[Item, str]]:
        """Newest items (older than before_id, if given) whose words satisfy an FTS5 query
        (every item when it is None), with their body for checking.

        Raises SearchStoppedError as soon as keep_going answers False.
        """
        rows = await self.engine.search_items(
            fts_query, limit, _NO_ID_ABOVE if before_id is None else before_id, keep_going
        )
        return [(item_from_row(row), body) for row, body in rows]

    async def prune_items(self, before: float) -> int:
        """Delete items fetched before a moment (their finished outbox rows go with them).

        An item whose alert still waits (for its turn, a retry, a digest or a paused chat's
        resume) is kept until the alert is done.
        """
        async with self._write() as db:
            return await db.execute(
                "DELETE FROM items WHERE fetched_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries "
                "d WHERE d.item_id = items.id AND d.status = 'pending')",
                (before,),
            )


async def _catch_up(db: Session, stories: StoryBook, now: float) -> None:
    """Remember, in storing order, the recent items stored since the newest the book has seen."""
    rows = await db.fetch_all(
        "SELECT id, coalesce(story_id, id) AS story_id, title, fetched_at FROM items "
        "WHERE id > ? AND fetched_at >= ? ORDER BY id",
        (stories.newest_item_id, now - stories.window),
    )
    for row in rows:
        stories.remember_stored(
            int(row["id"]), int(row["story_id"]), row["title"], float(row["fetched_at"])
        )


# The hour now on the chat's own clock: the caller gives each zone's, as its clocks tell them.
_CHAT_HOUR = (
    "(CASE time_zone WHEN 'WITA' THEN :hour_wita WHEN 'WIT' THEN :hour_wit ELSE :hour_wib END)"
)
# Held for a digest instead of sent at once: digest delivery, quiet hours, or a group whose
# pending alerts already fill its share of Telegram's 20 messages a minute.
_HELD = f"""CASE
    WHEN delivery != 'instant' THEN 1
    WHEN quiet_start IS NOT NULL AND (
        (quiet_start <= quiet_end AND {_CHAT_HOUR} >= quiet_start AND {_CHAT_HOUR} < quiet_end)
        OR (quiet_start > quiet_end AND ({_CHAT_HOUR} >= quiet_start OR {_CHAT_HOUR} < quiet_end)))
        THEN 1
    WHEN type IN ('group', 'supergroup', 'channel') AND (SELECT count(*) FROM deliveries p
        WHERE p.chat_id = chats.id AND p.status = 'pending' AND p.held = 0) >= :burst THEN 1
    ELSE 0 END"""
GROUP_BURST = 3


# _HELD for rows inserted together: the chat's rows before this one in the statement count too.
_HELD_IN_BATCH = _HELD.replace(
    "p.held = 0) >= :burst",
    "p.held = 0) + row_number() OVER (PARTITION BY v.chat ORDER BY v.n) - 1 >= :burst",
)
# Rows per multi-row statement: well within either engine's limit on parameters.
ROWS_PER_STATEMENT = 500
ALERTS_PER_STATEMENT = 1000


async def queue_alerts_of(
    db: Session,
    fans: Sequence[tuple[int, int, Sequence[tuple[int, tuple[str, ...]]]]],
    now: float,
    hours: Mapping[TimeZone, int],
) -> int:
    """Insert one outbox row per chat of each (item id, story id, alerts), in one statement per
    ALERTS_PER_STATEMENT rows; a chat that already had the story gets none, and its rows
    earlier in the same statement count towards a group's burst as those stored before do."""
    rows = [(item, story, chat, topics) for item, story, alerts in fans for chat, topics in alerts]
    queued = 0
    for start in range(0, len(rows), ALERTS_PER_STATEMENT):
        chunk = rows[start : start + ALERTS_PER_STATEMENT]
        params: dict[str, object] = {
            "now": now,
            "hour_wib": hours[TimeZone.WIB],
            "hour_wita": hours[TimeZone.WITA],
            "hour_wit": hours[TimeZone.WIT],
            "burst": GROUP_BURST,
        }
        marks = []
        for n, (item, story, chat, topics) in enumerate(chunk):
            params |= {f"c{n}": chat, f"i{n}": item, f"s{n}": story, f"t{n}": "\n".join(topics)}
            marks.append(
                f"(CAST(:c{n} AS BIGINT), CAST(:i{n} AS BIGINT), CAST(:s{n} AS BIGINT), "
                f"CAST(:t{n} AS TEXT), {n})"
            )
        # Counted from RETURNING: a statement with a WITH has no row count in sqlite3.
        queued += len(
            await db.fetch_all(
                "INSERT INTO deliveries (chat_id, item_id, story_id, topics, created_at, held) "
                "WITH v (chat, item, story, topics, n) AS (VALUES " + ", ".join(marks) + ") "
                f"SELECT chats.id, v.item, v.story, v.topics, :now, {_HELD_IN_BATCH} "
                "FROM v JOIN chats ON chats.id = v.chat "
                "WHERE chats.active = 1 AND chats.paused = 0 "
                "ON CONFLICT DO NOTHING RETURNING id",
                params,
            )
        )
    return queued


async def insert_rows(db: Session, into: str, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert rows into a table's columns, one statement per ROWS_PER_STATEMENT rows."""
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        mark = "(" + ", ".join(["?"] * len(chunk[0])) + ")"
        await db.execute(
            f"INSERT INTO {into} VALUES " + ", ".join([mark] * len(chunk)),
            [value for row in chunk for value in row],
        )


def _added(total: StoredItems, more: StoredItems) -> StoredItems:
    return StoredItems(
        total.new_items + more.new_items,
        total.alerts_queued + more.alerts_queued,
        total.stories + more.stories,
        total.unsearchable + more.unsearchable,
        total.refused + more.refused,
        total.pending + more.pending,
        total.turn_seconds + more.turn_seconds,
        total.turn_wait_seconds + more.turn_wait_seconds,
    )


def item_from_row(row: Row) -> Item:
    """An Item from a row selected with ITEM_COLUMNS."""
    return Item(
        id=row["item_id"],
        feed_id=row["item_feed_id"],
        title=row["item_title"],
        summary=row["item_summary"],
        link=row["item_link"],
        published_at=row["item_published_at"],
        fetched_at=row["item_fetched_at"],
        source_name=row["feed_name"],
        region=row["feed_region"],
    )
