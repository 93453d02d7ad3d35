"""The one storage class: every query the bot makes, grouped by table."""

from __future__ import annotations

from storage.broadcasts import BroadcastQueries
from storage.chats import ChatQueries
from storage.database import DatabaseOpenError, StorageClosedError
from storage.digests import DigestQueries
from storage.feeds import FeedQueries
from storage.items import ItemQueries
from storage.outbox import OutboxQueries
from storage.regions import RegionQueries
from storage.stats import StatsQueries
from storage.topics import TopicQueries

__all__ = ["DatabaseOpenError", "Storage", "StorageClosedError"]


class Storage(
    ChatQueries,
    TopicQueries,
    RegionQueries,
    FeedQueries,
    ItemQueries,
    OutboxQueries,
    DigestQueries,
    BroadcastQueries,
    StatsQueries,
):
    """SQLite storage for chats, topics, regions, feeds, items, the outbox and digests."""
