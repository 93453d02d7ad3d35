"""Storage: the database (connections, migrations) and the one class with every query.

`database.py` holds the connections, pragmas, migrations and the write lock; each other module
holds the queries of one table as a mixin of `Storage`. Nothing here imports `bot` or `handlers`.
"""

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
