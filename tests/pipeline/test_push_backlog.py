"""WebSub pushes are held a few at a time; one refused or not ingested is brought by a poll."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psycopg

from bot.feeds.poller import MAX_PUSHED_ENTRIES
from bot.feeds.push import MAX_PUSH_BYTES, PUSHES_AT_ONCE, PUSHES_WAITING
from bot.standin import FeedServer, HubStandIn, TelegramStandIn
from tests.factories import news
from tests.inprocess import FakeClock, RunningBot, alert_titles, running_bot
from tests.ops.helpers import free_port
from tests.pipeline.test_parse_workers import documents_parsed
from tests.pipeline.test_websub import (
    ATOM,
    HUNG,
    OLD,
    PUBLIC_ORIGIN,
    READER,
    atom_with_hub,
    pushed_bot,
    pushes_stored,
    serve,
    websub,
)

KIND = "application/atom+xml"


async def push(hub: HubStandIn, feeds: FeedServer, body: bytes) -> httpx.Response:
    """POST a document signed as the hub signs it, straight to the bot's callback."""
    (subscription,) = hub.subscribers(feeds.url(ATOM))
    assert subscription.secret is not None
    digest = hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
    callback = hub.reach["https://warta.example"] + subscription.callback.removeprefix(
        "https://warta.example"
    )
    async with httpx.AsyncClient(timeout=HUNG) as client:
        return await client.post(
            callback,
            content=body,
            headers={"Content-Type": KIND, "X-Hub-Signature": f"sha256={digest}"},
        )


def parser_process(warta: RunningBot) -> int:
    """The one process the bot parses feeds in."""
    workers = warta.services.workers
    assert workers is not None
    (pid,) = workers.process_ids()
    return pid


async def due_now(warta: RunningBot, clock: FakeClock) -> bool:
    """Whether the pushed feed is due for a poll at the bot's present time."""
    (feed,) = await warta.services.storage.list_feeds()
    return feed.next_fetch_at is None or feed.next_fetch_at <= clock.now


async def test_pushes_beyond_those_held_are_refused_and_their_items_polled(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock) as warta:
        assert not await due_now(warta, clock)
        polled = feeds.hits(ATOM)
        taken = atom_with_hub(feeds, hub, [news("banjir-1", "Banjir rendam Serang"), OLD])
        parser = parser_process(warta)
        # A stopped parser: the pushes taken are held, parsed or waiting for their turn.
        os.kill(parser, signal.SIGSTOP)
        try:
            held = [await push(hub, feeds, taken) for _ in range(PUSHES_AT_ONCE + PUSHES_WAITING)]
            refused = await push(
                hub,
                feeds,
                serve(feeds, hub, [news("banjir-2", "Banjir rendam Lebak"), OLD]),
            )
            assert [answer.status_code for answer in held] == [202] * len(held)
            assert refused.status_code == 503
            assert int(refused.headers["Retry-After"]) > 0
            assert await due_now(warta, clock)
        finally:
            os.kill(parser, signal.SIGCONT)

        # The refused push's item never reached the bot: the poll brings it.
        await telegram.wait_for(lambda tg: len(alert_titles(tg, READER)) == 2, timeout=HUNG)
        await pushes_stored(warta)
        await warta.services.poller.wait_for_fetches()
        assert sorted(alert_titles(telegram, READER)) == [
            "Banjir rendam Lebak",
            "Banjir rendam Serang",
        ]
        assert feeds.hits(ATOM) > polled


async def test_a_push_whose_parser_died_idle_is_read_by_a_fresh_one(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock) as warta:
        polled = feeds.hits(ATOM)
        os.kill(parser_process(warta), signal.SIGKILL)
        document = serve(feeds, hub, [news("banjir-3", "Banjir rendam Cilegon"), OLD])
        assert (await push(hub, feeds, document)).status_code == 202
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
        assert alert_titles(telegram, READER) == ["Banjir rendam Cilegon"]
        (feed,) = await warta.services.storage.list_feeds()
        assert feed.last_error is None  # the process died before the push came: not its doing
        assert feeds.hits(ATOM) == polled  # the push itself was read: no poll was needed


async def test_a_pushed_document_that_kills_its_parser_is_the_feeds_error_not_a_poll_at_once(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    port = free_port()
    async with (
        HubStandIn() as hub,
        pushed_bot(tmp_path, telegram, feeds, hub, clock, metrics_port=port) as warta,
    ):
        polled = feeds.hits(ATOM)
        parsed = await documents_parsed(port)
        parser = parser_process(warta)
        # Held, then killed with the document in hand: what a killer document does to it.
        os.kill(parser, signal.SIGSTOP)
        try:
            document = serve(feeds, hub, [news("banjir-3", "Banjir rendam Cilegon"), OLD])
            assert (await push(hub, feeds, document)).status_code == 202
            async with asyncio.timeout(HUNG):
                # Counted as it is handed to the parser, in the same step (see there).
                while await documents_parsed(port) == parsed:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
        finally:
            os.kill(parser, signal.SIGKILL)
        await pushes_stored(warta)
        await warta.services.poller.wait_for_look()
        (feed,) = await warta.services.storage.list_feeds()
        assert feed.last_error == "the parser process died reading this feed (signal 9)"
        # Backed off as a failing feed is (its interval is a minute), not polled at once: the
        # poll would read the killer again, and so would each poll every push of it asked for.
        assert feed.next_fetch_at is not None
        assert feed.next_fetch_at - clock.now > 60
        assert feeds.hits(ATOM) == polled
        assert alert_titles(telegram, READER) == []


async def test_a_push_too_long_is_refused_and_its_items_polled(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock):
        polled = feeds.hits(ATOM)
        items = [news("banjir-4", "Banjir rendam Pandeglang", "<p>Air naik.</p>" * 40_000), OLD]
        document = serve(feeds, hub, items)
        assert len(document) > MAX_PUSH_BYTES
        refused = await push(hub, feeds, document)
        assert refused.status_code == 413

        # The clock stands still: only the poll the refusal asked for brings the item.
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
        assert alert_titles(telegram, READER) == ["Banjir rendam Pandeglang"]
        assert feeds.hits(ATOM) > polled


async def test_a_push_of_a_whole_back_catalogue_is_left_to_a_poll(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock) as warta:
        flood = [news(f"kabar-{n}", f"Kabar ke-{n}") for n in range(MAX_PUSHED_ENTRIES + 1)]
        pushed = atom_with_hub(feeds, hub, [*flood, OLD])
        serve(feeds, hub, [news("banjir-5", "Banjir rendam Rangkasbitung"), OLD])
        assert (await push(hub, feeds, pushed)).status_code == 202

        # The clock stands still: only the poll the push asked for brings the feed's own news.
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
        await pushes_stored(warta)
        await warta.services.poller.wait_for_fetches()
        assert alert_titles(telegram, READER) == ["Banjir rendam Rangkasbitung"]
        stored = await warta.services.storage.known_identities(
            1, [f"urn:berita:kabar-{n}" for n in range(3)]
        )
        assert stored == set()


@contextlib.asynccontextmanager
async def pushed_bot_on(
    database: str, tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, hub: HubStandIn
) -> AsyncIterator[RunningBot]:
    """pushed_bot, on the database given."""
    port = free_port()
    hub.reach[PUBLIC_ORIGIN] = f"http://127.0.0.1:{port}"
    serve(feeds, hub, [OLD])
    async with running_bot(
        tmp_path, telegram, feeds, [("Berita Dorong", ATOM, "")], clock=FakeClock(),
        webhook_port=port, poll_seconds=60, database=database,
    ) as warta:  # fmt: skip
        await warta.say(READER, "/subscribe banjir")
        await warta.poll()
        assert await websub(warta).run_due() == 1
        await hub.wait_for(lambda h: len(h.subscribers(feeds.url(ATOM))) == 1)
        yield warta


# The first item stored after this is refused by the database; the ones after it are not (a
# sequence counts outside transactions, so the refusal's rollback does not reset it).
FAIL_ONCE = """
CREATE SEQUENCE inserts_seen;
CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('inserts_seen') = 1 THEN RAISE EXCEPTION 'disk full'; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fail_once BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION fail_once();
"""


async def test_a_push_the_database_failed_to_store_is_polled_at_once(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, postgres_url: str
) -> None:
    async with (
        HubStandIn() as hub,
        pushed_bot_on(postgres_url, tmp_path, telegram, feeds, hub),
    ):
        polled = feeds.hits(ATOM)
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as db:
            await db.execute(FAIL_ONCE)
        document = serve(feeds, hub, [news("banjir-6", "Banjir rendam Tangerang"), OLD])
        assert (await push(hub, feeds, document)).status_code == 202

        # The clock stands still: only the poll the failed push asked for brings the item.
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
        assert alert_titles(telegram, READER) == ["Banjir rendam Tangerang"]
        assert feeds.hits(ATOM) > polled
