"""A feed made due at once: a push refused or not stored is brought by a poll."""

from __future__ import annotations

from storage import Storage
from storage.models import FeedSeed

OWNER = 0


async def claimed(storage: Storage, now: float) -> list[int]:
    """The feeds a poller would claim at `now`."""
    feeds = await storage.claim_feeds(OWNER, now, 10, now + 60, now - 20)
    return [feed.id for feed in feeds]


async def test_a_feed_made_due_is_claimed_at_once(storage: Storage) -> None:
    seeds = [FeedSeed("https://berita.example/a.xml", "A", ""),
             FeedSeed("https://berita.example/b.xml", "B", "")]  # fmt: skip
    pushed, other = (added.feed_id for added in await storage.import_feeds(seeds, now=10.0))
    for feed in (pushed, other):
        await storage.record_feed_success(feed, None, None, 20.0, next_fetch_at=1800.0)
    assert await claimed(storage, 30.0) == []

    assert await storage.make_feed_due(pushed, 30.0)
    assert not await storage.make_feed_due(pushed, 31.0)  # due already
    assert await claimed(storage, 31.0) == [pushed]

    await storage.remove_feed(other, now=40.0)
    assert not await storage.make_feed_due(other, 41.0)  # removed: never polled again
