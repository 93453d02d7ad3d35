"""WebSub subscriptions: one per feed, its hub noted once, due when it needs asking."""

from __future__ import annotations

from storage import Storage
from storage.models import FeedSeed, PushStatus

HUB, TOPIC = "https://hub.example/", "https://berita.example/feed.xml"


async def test_a_hub_is_noted_once_and_asked_about_as_its_state_says(storage: Storage) -> None:
    (added,) = await storage.import_feeds([FeedSeed(TOPIC, "Berita", "")], now=10.0)
    feed = added.feed_id
    assert await storage.want_push(feed, HUB, TOPIC, "token-1", "secret-1")
    # The same hub seen again keeps the subscription and its credentials.
    assert not await storage.want_push(feed, HUB, TOPIC, "token-2", "secret-2")
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


async def test_a_new_hub_asks_again_with_the_same_credentials(storage: Storage) -> None:
    (added,) = await storage.import_feeds([FeedSeed(TOPIC, "Berita", "")], now=10.0)
    await storage.want_push(added.feed_id, HUB, TOPIC, "token-1", "secret-1")
    await storage.push_verified(added.feed_id, lease_until=1000.0, renew_at=800.0)
    assert await storage.want_push(added.feed_id, "https://hub2.example/", TOPIC, "t2", "s2")
    subscription = await storage.push_subscription(added.feed_id)
    assert subscription is not None
    assert (subscription.hub, subscription.status) == ("https://hub2.example/", PushStatus.WANTED)
    assert subscription.token == "token-1"
