"""WebSub: a feed that names a hub is pushed to us, and a push alerts like a polled item."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.feeds.websub import CALLBACK_PREFIX, WebSubscriber
from bot.standin import FeedItem, FeedServer, HubStandIn, TelegramStandIn, render_atom
from bot.standin.hub import HubSubscription, Verification
from storage.models import PushStatus
from tests.factories import news
from tests.inprocess import (
    ADMIN_ID,
    FakeClock,
    RunningBot,
    alert_titles,
    confirmation,
    running_bot,
)
from tests.ops.helpers import free_port

READER = 7101
ATOM = "/pushed.xml"
PUBLIC_ORIGIN = "https://warta.example"
HUNG = 60.0
OLD = news("lama", "Jembatan lama diperbaiki", hours_ago=30)


def atom_with_hub(feeds: FeedServer, hub: HubStandIn, items: Sequence[FeedItem]) -> bytes:
    """An Atom document naming the hub, its rel="self" the feed's own address."""
    document = render_atom("Berita Dorong", feeds.url(ATOM), items, datetime.now(UTC))
    return document.replace(
        b'<link rel="self"', f'<link rel="hub" href="{hub.url}"/><link rel="self"'.encode(), 1
    )


def serve(feeds: FeedServer, hub: HubStandIn, items: Sequence[FeedItem]) -> bytes:
    """Put the feed up with these items; the document, as the hub would push it."""
    document = atom_with_hub(feeds, hub, items)
    feeds.set_raw(ATOM, document, content_type="application/atom+xml")
    return document


@contextlib.asynccontextmanager
async def pushed_bot(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    hub: HubStandIn,
    clock: FakeClock,
    poll_max_seconds: float | None = None,
    *,
    items: Sequence[FeedItem] = (OLD,),
    others: Sequence[tuple[str, str, str]] = (),
    metrics_port: int | None = None,
) -> AsyncIterator[RunningBot]:
    """The bot with a public webhook address, subscribed to the hub of its feed (with `items`);
    `others` are more feeds, whose documents the test serves."""
    port = free_port()
    hub.reach[PUBLIC_ORIGIN] = f"http://127.0.0.1:{port}"
    serve(feeds, hub, items)
    async with running_bot(
        tmp_path,
        telegram,
        feeds,
        [("Berita Dorong", ATOM, ""), *others],
        clock=clock,
        webhook_port=port,
        poll_seconds=60,
        poll_max_seconds=poll_max_seconds,
        metrics_port=metrics_port,
    ) as warta:
        await warta.say(READER, "/subscribe banjir")
        await warta.poll()  # the first fetch finds the hub
        assert await websub(warta).run_due() == 1
        await hub.wait_for(lambda h: len(h.subscribers(feeds.url(ATOM))) == 1)
        yield warta


def websub(warta: RunningBot) -> WebSubscriber:
    """The bot's WebSub subscriber (the scheduler role's)."""
    subscriber = warta.services.websub
    assert subscriber is not None
    return subscriber


async def pushes_stored(warta: RunningBot) -> None:
    """Wait until the pushes the bot took are stored."""
    receiver = warta.services.push_receiver
    assert receiver is not None
    await receiver.wait_for_ingests()


async def test_a_pushed_item_alerts_without_a_poll(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock):
        (request,) = hub.requests
        topic = feeds.url(ATOM)
        assert request["hub.mode"] == "subscribe"
        assert request["hub.topic"] == topic
        assert request["hub.callback"].startswith(f"{PUBLIC_ORIGIN}{CALLBACK_PREFIX}/")
        assert hub.verifications[-1].confirmed
        polled = feeds.hits(ATOM)

        document = serve(feeds, hub, [news("banjir", "Banjir rendam Serang"), OLD])
        assert await hub.publish(topic, document, "application/atom+xml") == [202]
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
        assert alert_titles(telegram, READER) == ["Banjir rendam Serang"]
        assert feeds.hits(ATOM) == polled  # it came by push, not by a poll


async def test_a_pushed_feed_is_polled_only_at_the_longest_interval(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with (
        HubStandIn() as hub,
        pushed_bot(tmp_path, telegram, feeds, hub, clock, poll_max_seconds=1800) as warta,
    ):
        await warta.poll()  # a safety-net poll while the hub pushes
        (feed,) = await warta.services.storage.list_feeds()
    assert (feed.poll_interval, feed.poll_reason) == (1800, "push")


async def test_a_hub_verification_for_another_topic_or_mode_is_refused(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock):
        callback = hub.reach[PUBLIC_ORIGIN] + hub.requests[0]["hub.callback"].removeprefix(
            PUBLIC_ORIGIN
        )
        asks = {
            "another topic": {"hub.mode": "subscribe", "hub.topic": "https://lain.example/"},
            "unknown mode": {"hub.mode": "publish", "hub.topic": feeds.url(ATOM)},
            "not leaving": {"hub.mode": "unsubscribe", "hub.topic": feeds.url(ATOM)},
        }
        async with httpx.AsyncClient(timeout=HUNG) as client:
            for ask in asks.values():
                answer = await client.get(
                    callback, params={**ask, "hub.challenge": "c", "hub.lease_seconds": "60"}
                )
                assert answer.status_code == 404, ask
            wrong_token = await client.get(
                callback.rsplit("/", 1)[0] + "/guess",
                params={"hub.mode": "subscribe", "hub.topic": feeds.url(ATOM),
                        "hub.challenge": "c", "hub.lease_seconds": "60"},
            )  # fmt: skip
        assert wrong_token.status_code == 404


async def test_a_push_with_a_bad_or_missing_signature_is_not_ingested(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock) as warta:
        (subscription,) = hub.subscribers(feeds.url(ATOM))
        forged = atom_with_hub(feeds, hub, [news("palsu", "Banjir palsu di Serang"), OLD])
        kind = "application/atom+xml"
        assert await hub.deliver(subscription, forged, kind, "sha256=" + "0" * 64) == 202
        assert await hub.deliver(subscription, forged, kind, None) == 202
        assert await hub.deliver(subscription, forged, kind, "md5=abc") == 202
        await pushes_stored(warta)

        genuine = serve(feeds, hub, [news("asli", "Banjir asli di Lebak"), OLD])
        assert await hub.publish(feeds.url(ATOM), genuine, kind) == [202]
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
        await pushes_stored(warta)
        assert alert_titles(telegram, READER) == ["Banjir asli di Lebak"]


async def test_the_lease_is_renewed_before_it_ends(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with (
        HubStandIn(lease_seconds=1000) as hub,
        pushed_bot(tmp_path, telegram, feeds, hub, clock) as warta,
    ):
        assert await websub(warta).run_due() == 0  # nothing to ask while the lease is young
        clock.advance(700)
        assert await websub(warta).run_due() == 0
        clock.advance(150)  # 850 s of 1000: renewed before the end
        assert await websub(warta).run_due() == 1
        await hub.wait_for(lambda h: len(h.verifications) == 2)
        assert [r["hub.mode"] for r in hub.requests] == ["subscribe", "subscribe"]
        assert hub.verifications[-1].confirmed
        subscription = await warta.services.storage.push_subscription(1)
        assert subscription is not None
        assert subscription.status == PushStatus.ACTIVE
        assert subscription.lease_until == clock.now + 1000


async def test_removing_the_feed_unsubscribes_from_its_hub(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    async with HubStandIn() as hub, pushed_bot(tmp_path, telegram, feeds, hub, clock) as warta:
        (subscription,) = hub.subscribers(feeds.url(ATOM))
        await warta.say(ADMIN_ID, "/removefeed")
        menu = await confirmation(telegram)
        (remove,) = [data for data in menu.callback_data if data.startswith("rmfeed:del:")]
        edits = len(telegram.edits_in(ADMIN_ID))
        telegram.press_button(ADMIN_ID, menu.message_id, remove)
        await telegram.wait_for(lambda tg: len(tg.edits_in(ADMIN_ID)) > edits, timeout=HUNG)

        # A push that crosses the removal is not taken.
        document = atom_with_hub(feeds, hub, [news("telat", "Banjir sesudah dihapus"), OLD])
        assert await hub.publish(feeds.url(ATOM), document, "application/atom+xml") == [404]
        assert await websub(warta).run_due() == 1
        await hub.wait_for(lambda h: h.verifications[-1].mode == "unsubscribe")
        assert hub.verifications[-1].confirmed
        assert hub.subscribers(feeds.url(ATOM)) == []
        assert await warta.services.storage.push_subscription(1) is None
        assert subscription.callback == hub.requests[-1]["hub.callback"]
        assert alert_titles(telegram, READER) == []


def signed(secret: str, body: bytes) -> str:
    """An X-Hub-Signature of body with secret, as a hub signs a push."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_a_new_hub_gets_new_credentials_and_the_old_hubs_pushes_are_refused(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    clock = FakeClock()
    topic, kind = feeds.url(ATOM), "application/atom+xml"
    async with (
        HubStandIn() as old_hub,
        HubStandIn() as new_hub,
        pushed_bot(tmp_path, telegram, feeds, old_hub, clock) as warta,
    ):
        new_hub.reach[PUBLIC_ORIGIN] = old_hub.reach[PUBLIC_ORIGIN]
        (old,) = old_hub.subscribers(topic)
        serve(feeds, new_hub, [OLD])  # the feed now names another hub
        await warta.poll()
        assert await websub(warta).run_due() == 2  # subscribe at the new hub, leave the old one
        await new_hub.wait_for(lambda h: len(h.subscribers(topic)) == 1)
        await old_hub.wait_for(lambda h: not h.subscribers(topic))
        (new,) = new_hub.subscribers(topic)
        assert new.secret != old.secret
        assert new.callback != old.callback
        leaving = old_hub.requests[-1]
        assert (leaving["hub.mode"], leaving["hub.callback"]) == ("unsubscribe", old.callback)
        assert old_hub.verifications[-1] == Verification("unsubscribe", topic, old.callback, True)

        # What the old hub still sends is refused: at its callback, and at the new one with its
        # secret.
        forged = atom_with_hub(feeds, old_hub, [news("palsu", "Banjir palsu di Serang"), OLD])
        assert await old_hub.deliver(old, forged, kind, signed(str(old.secret), forged)) == 404
        at_new_callback = HubSubscription(topic, new.callback, old.secret, old.lease_seconds)
        assert await old_hub.deliver(
            at_new_callback, forged, kind, signed(str(old.secret), forged)
        ) == 202  # fmt: skip
        await pushes_stored(warta)

        genuine = serve(feeds, new_hub, [news("asli", "Banjir asli di Lebak"), OLD])
        assert await new_hub.publish(topic, genuine, kind) == [202]
        await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
        await pushes_stored(warta)
        assert alert_titles(telegram, READER) == ["Banjir asli di Lebak"]
        stored = await warta.services.storage.latest_items(50)
        assert "Banjir palsu di Serang" not in [item.title for item in stored]
        assert await warta.services.storage.push_departures_due(clock.now + 10**9, 10) == []
