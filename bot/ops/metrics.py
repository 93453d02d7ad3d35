"""Prometheus metrics of the pipeline, registered in a registry the application owns."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.ops.memory import tree_resident_bytes
from storage.models import OutboxEntry

MESSAGE_KINDS = ("alert", "digest", "broadcast")
# The turn is a few round trips to the database: milliseconds, unless it is contended.
TURN_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
# Telegram usually answers within a few hundred milliseconds; a slow link pushes the tail.
SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ParseScope(StrEnum):
    """How much of a fetched feed document went through the feed parser."""

    WHOLE = "whole"
    NEW_ENTRIES = "new_entries"  # the known entries were cut out first
    NONE = "none"  # every entry was known already


class Metrics:
    """Counters the poller and sender update, and the figures /healthz reports."""

    def __init__(
        self, registry: CollectorRegistry | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        # Without a registry (tests, benchmarks) the metrics are kept but never served.
        self.registry = registry if registry is not None else CollectorRegistry()
        self.started_at = clock()
        self.last_poll_success: float | None = None
        self._clock = clock
        self._polls = Counter("warta_polls", "Feed polls completed.", registry=self.registry)
        self._fetch_errors = Counter(
            "warta_feed_fetch_errors",
            "Failed feed fetches (or unreadable feed documents), per feed.",
            ["feed"],
            registry=self.registry,
        )
        self._article_errors = Counter(
            "warta_article_fetch_errors",
            "Article pages not had in time (items matched on their teaser), per feed.",
            ["feed"],
            registry=self.registry,
        )
        self._items = Counter(
            "warta_items_stored", "New items stored from feeds.", registry=self.registry
        )
        self._parsed = Counter(
            "warta_feed_documents_parsed",
            "Fetched feed documents, by how much of them the feed parser read.",
            ["scope"],
            registry=self.registry,
        )
        self._sent = Counter(
            "warta_messages_sent",
            "Messages Telegram accepted, by kind (alert, digest or broadcast).",
            ["kind"],
            registry=self.registry,
        )
        self._failed = Counter(
            "warta_messages_failed",
            "Messages given up on, by kind (alert, digest or broadcast).",
            ["kind"],
            registry=self.registry,
        )
        self._store_turn = Histogram(
            "warta_store_turn_seconds",
            "Time a feed's store held the cluster-wide turn (story lock had to commit).",
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self._store_turn_wait = Histogram(
            "warta_store_turn_wait_seconds",
            "Time a store waited for the cluster-wide turn (other processes' stores).",
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self._send_seconds = Histogram(
            "warta_send_duration_seconds",
            "Time Telegram took to accept a message.",
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self._backlog = Gauge(
            "warta_outbox_backlog", "Messages waiting in the outbox.", registry=self.registry
        )
        self._last_poll = Gauge(
            "warta_last_successful_poll_timestamp_seconds",
            "When a poll last got an answer from at least one feed (Unix time).",
            registry=self.registry,
        )
        self._process = Gauge(
            "warta_process_info",
            "This process: its roles (comma-separated), host and process id; always 1.",
            ["roles", "host", "process_id"],
            registry=self.registry,
        )
        tree = Gauge(
            "warta_process_tree_resident_bytes",
            "Resident memory of this process and of the processes it started (feed parsers, "
            "article extraction), in bytes.",
            registry=self.registry,
        )
        # Read from /proc when scraped: a figure of the moment, never a stale one.
        tree.set_function(lambda: tree_resident_bytes(os.getpid()))
        for scope in ParseScope:
            self._parsed.labels(scope)
        for kind in MESSAGE_KINDS:
            self._sent.labels(kind)
            self._failed.labels(kind)

    def process_started(self, roles: Iterable[str], host: str, process_id: int) -> None:
        """Name the process in the exposition: which roles it runs, where, under which id."""
        self._process.labels(",".join(sorted(roles)), host, str(process_id)).set(1)

    def poll_done(self, feeds_answered: int, items_stored: int, feeds_asked: int) -> None:
        """A poll finished; it succeeded if a feed answered (new or unchanged) or none was asked.

        With several pollers, one may find every due feed taken by the others, or their sites
        busy with the others' requests: its polls still work. Polls whose every feed failed or
        hung do not.
        """
        self._polls.inc()
        self._items.inc(items_stored)
        if feeds_answered or not feeds_asked:
            self.last_poll_success = self._clock()
            self._last_poll.set(self.last_poll_success)

    def store_turn(self, held: float, waited: float) -> None:
        """Items were stored, holding the cluster-wide turn this long after waiting that long."""
        self._store_turn.observe(held)
        self._store_turn_wait.observe(waited)

    def feed_parsed(self, scope: ParseScope) -> None:
        """A fetched document was read: whole, only its new entries, or not at all."""
        self._parsed.labels(scope).inc()

    def feed_failed(self, feed_name: str) -> None:
        """A feed could not be fetched or read."""
        self._fetch_errors.labels(feed_name).inc()

    def articles_failed(self, feed_name: str, count: int) -> None:
        """Article pages of a feed's new items could not be had within the budget."""
        self._article_errors.labels(feed_name).inc(count)

    def message_sent(self, entry: OutboxEntry, seconds: float) -> None:
        """Telegram accepted a message after this many seconds."""
        self._sent.labels(_kind(entry)).inc()
        self._send_seconds.observe(seconds)

    def message_failed(self, entry: OutboxEntry) -> None:
        """The sender gave up on a message."""
        self._failed.labels(_kind(entry)).inc()

    def seconds_since_poll_success(self) -> float:
        """Age of the last successful poll; since start-up while there has been none."""
        since = self.started_at if self.last_poll_success is None else self.last_poll_success
        return self._clock() - since

    def exposition(self, backlog: int | None) -> bytes:
        """The Prometheus text format, with the backlog as read just now (if it could be)."""
        if backlog is not None:
            self._backlog.set(backlog)
        return generate_latest(self.registry)


def _kind(entry: OutboxEntry) -> str:
    if entry.digest_id is not None:
        return "digest"
    return "broadcast" if entry.broadcast_id is not None else "alert"
