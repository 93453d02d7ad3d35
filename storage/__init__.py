"""Storage: the database (connections, migrations) and the one class with every query.

`database.py` holds what both engines share (sessions, the write lock), `sqlite.py` and
`postgres.py` what differs (connections, migrations, searches); each other module holds the
queries of one table as a mixin of `Storage`. Nothing here imports `bot` or `handlers`.
"""

from __future__ import annotations

from storage.articles import ArticleQueries
from storage.broadcasts import BroadcastQueries
from storage.budget import BudgetQueries
from storage.chats import ChatQueries
from storage.database import (
    DATABASE_ERRORS,
    DatabaseOpenError,
    StorageClosedError,
    describe,
    is_postgres_url,
)
from storage.digests import DigestQueries
from storage.feeds import FeedQueries
from storage.items import ItemQueries
from storage.narrowings import NarrowingQueries
from storage.outbox import OutboxQueries
from storage.places import PlaceQueries
from storage.processes import ProcessQueries
from storage.regions import RegionQueries
from storage.sites import SiteQueries
from storage.stats import StatsQueries
from storage.topics import TopicQueries
from storage.websub import WebSubQueries

__all__ = [
    "DATABASE_ERRORS",
    "DatabaseOpenError",
    "Storage",
    "StorageClosedError",
    "describe",
    "is_postgres_url",
]


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
    ProcessQueries,
    BudgetQueries,
    WebSubQueries,
    ArticleQueries,
    PlaceQueries,
    NarrowingQueries,
    SiteQueries,
):
    """Chats, topics, regions, feeds, items, the outbox, digests and processes, on either engine."""
