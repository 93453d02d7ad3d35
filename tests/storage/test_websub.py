"""WebSub subscriptions: one per feed, its hub noted once, due when it needs asking."""

from __future__ import annotations

from storage import Storage
from storage.models import FeedSeed, PushDeparture, PushStatus

HUB, TOPIC = "https://hub.example/", "https://berita.example/feed.xml"


async def test_a_hub_is_noted_once_and_asked_about_as_its_state_says(storage: Storage) -> None:
    (added,) = await storage.import_feeds([FeedSeed(TOPIC, "Berita", "")], now=10.0)
    feed = added.feed_id
    assert await storage.want_push(feed, HUB, TOPIC, ("token-1", "secret-1"), 9999.0)
    # The same hub seen again keeps the subscription and its credentials.
    assert not await storage.want_push(feed, HUB, TOPIC, ("token-2", "secret-2"), 9999.0)
    (due,) = await storage.push_subscriptions_due(now=20.0, limit=10)
    assert (due.token, due.secret, due.status) == ("token-1", "secret-1", PushStatus.WANTED)

    await storage.push_requested(feed, PushStatus.REQUESTED, 20.0, 3620.0, None)
    await storage.push_verified(feed, lease_until=1020.0, renew_at=820.0)
    assert await storage.push_subscriptions_due(now=819.0, limit=10) == []
    (renewal,) = await storage.push_subscriptions_due(now=820.0, limit=10)
    assert (renewal.status, renewal.lease_until) == (PushStatus.ACTIVE, 1020.0)
    assert (await storage.pushed_feed(feed, "token-1")) is not None
    assert await storage.pushed_feed(feed, "token-2") is None

    # A removed feed is due at once, to leave its hub; its pushes are no longer taken.
    await storage.remove_feed(feed, now=30.0)
    (leaving,) = await storage.push_subscriptions_due(now=31.0, limit=10)
    assert not leaving.feed_enabled
    assert await storage.pushed_feed(feed, "token-1") is None
    await storage.push_requested(feed, PushStatus.LEAVING, 31.0, 3631.0, None)
    assert await storage.push_subscriptions_due(now=32.0, limit=10) == []
    await storage.forget_push(feed)
    assert await storage.push_subscription(feed) is None


async def test_a_new_hub_gets_new_credentials_and_the_hub_left_is_to_be_told(
    storage: Storage,
) -> None:
    (added,) = await storage.import_feeds([FeedSeed(TOPIC, "Berita", "")], now=10.0)
    feed = added.feed_id
    await storage.want_push(feed, HUB, TOPIC, ("token-1", "secret-1"), 9999.0)
    await storage.push_requested(feed, PushStatus.REQUESTED, 20.0, 3620.0, None)
    await storage.push_verified(feed, lease_until=1000.0, renew_at=800.0)
    assert await storage.want_push(feed, "https://hub2.example/", TOPIC, ("t2", "s2"), 9999.0)
    subscription = await storage.push_subscription(feed)
    assert subscription is not None
    assert (subscription.hub, subscription.status) == ("https://hub2.example/", PushStatus.WANTED)
    assert (subscription.token, subscription.secret, subscription.lease_until) == ("t2", "s2", None)
    assert await storage.pushed_feed(feed, "token-1") is None

    (left,) = await storage.push_departures_due(now=30.0, limit=10)
    assert (left.hub, left.topic, left.token, left.lease_until) == (HUB, TOPIC, "token-1", 1000.0)
    await storage.departure_requested(feed, "token-1", 3630.0, None)
    assert await storage.push_departures_due(now=31.0, limit=10) == []
    assert await storage.push_departure(feed, "token-1") == PushDeparture(
        feed, HUB, TOPIC, "token-1", 1000.0, 3630.0
    )
    await storage.forget_departure(feed, "token-1")
    assert await storage.push_departure(feed, "token-1") is None

    # A hub never asked (nor one that refused) is not told anything when the feed moves on.
    assert await storage.want_push(feed, HUB, TOPIC, ("t3", "s3"), 9999.0)
    assert await storage.push_departures_due(now=40.0, limit=10) == []
