"""The one storage class: every query the bot makes, grouped by table."""

from __future__ import annotations

from storage.broadcasts import BroadcastQueries
from storage.chats import ChatQueries
from storage.database import StorageClosedError
from storage.feeds import FeedQueries
from storage.items import ItemQueries
from storage.outbox import OutboxQueries
from storage.topics import TopicQueries

__all__ = ["Storage", "StorageClosedError"]


class Storage(ChatQueries, TopicQueries, FeedQueries, ItemQueries, OutboxQueries, BroadcastQueries):
    """SQLite storage for chats, topics, feeds, items, the outbox and broadcasts."""
