"""Queries behind /stats: chats, topics, feed health and alerts over time."""

from __future__ import annotations

from datetime import date, timedelta

from storage.database import Database, sum_or_zero
from storage.models import BotStats, WorkBacklog

DAY = 24 * 3600
CHART_DAYS = 30
TOP_TOPICS = 10
_EPOCH = date(1970, 1, 1)
# A feed's next fetch: after a failure its back-off's end, else one poll interval after its last
# fetch; NULL for a feed never fetched (due now).
_FEED_DUE_AT = "coalesce(next_fetch_at, last_fetch_at + ?)"


class StatsQueries(Database):
    """Figures for the bot's operators."""

    async def bot_stats(self, now: float, utc_offset: float) -> BotStats:
        """Everything /stats shows, as of now."""
        chats = await self._one(
            "SELECT count(*) FILTER (WHERE active = 1) AS active, "
            "count(*) FILTER (WHERE active = 0) AS inactive FROM chats"
        )
        feeds = await self._one(
            "SELECT count(*) FILTER (WHERE consecutive_failures = 0) AS healthy, "
            "count(*) FILTER (WHERE consecutive_failures > 0) AS failing "
            "FROM feeds WHERE enabled = 1"
        )
        return BotStats(
            active_chats=sum_or_zero(chats, "active"),
            inactive_chats=sum_or_zero(chats, "inactive"),
            topics=await self._followed_topics(),
            top_topics=await self._top_topics(),
            feeds_healthy=sum_or_zero(feeds, "healthy"),
            feeds_failing=sum_or_zero(feeds, "failing"),
            alerts_24h=await self._alert_outcomes(now - DAY),
            alerts_7d=await self._alert_outcomes(now - 7 * DAY),
            alerts_per_day=await self._alerts_per_day(now, utc_offset),
        )

    async def work_backlog(self, now: float, poll_seconds: float) -> WorkBacklog:
        """Messages waiting and feeds due (overdue: due for longer than one poll interval)."""
        outbox = await self._one(
            # The outbox backlog's rule: pending, not held for a digest, to a chat not paused
            # (broadcasts go to paused chats too).
            "SELECT count(*) AS total, min(d.created_at) AS oldest FROM deliveries d "
            "WHERE d.status = 'pending' AND d.held = 0 AND (d.broadcast_id IS NOT NULL "
            "OR d.chat_id NOT IN (SELECT id FROM chats WHERE paused = 1))"
        )
        feeds = await self._one(
            f"SELECT count(*) AS total, "
            f"count(*) FILTER (WHERE {_FEED_DUE_AT} IS NULL OR {_FEED_DUE_AT} <= ?) AS due, "
            f"count(*) FILTER (WHERE {_FEED_DUE_AT} < ?) AS overdue FROM feeds WHERE enabled = 1",
            (poll_seconds, poll_seconds, now, poll_seconds, now - poll_seconds),
        )
        oldest = outbox["oldest"] if outbox else None
        return WorkBacklog(
            outbox=sum_or_zero(outbox, "total"),
            oldest_pending_at=None if oldest is None else float(oldest),
            feeds=sum_or_zero(feeds, "total"),
            feeds_due=sum_or_zero(feeds, "due"),
            feeds_overdue=sum_or_zero(feeds, "overdue"),
        )

    async def _followed_topics(self) -> int:
        row = await self._one(
            "SELECT count(*) AS total FROM topics t JOIN chats c ON c.id = t.chat_id "
            "WHERE c.active = 1"
        )
        return sum_or_zero(row, "total")

    async def _top_topics(self) -> tuple[tuple[str, int], ...]:
        rows = await self._all(
            # Shown as its first follower wrote it (the row with the smallest id), region-limited
            # topics as "banjir @Banten".
            "SELECT first.text || coalesce(' @' || first.region, '') AS label, keys.chats AS chats "
            "FROM (SELECT min(t.id) AS first_id, count(DISTINCT t.chat_id) AS chats FROM topics t "
            "JOIN chats c ON c.id = t.chat_id WHERE c.active = 1 GROUP BY t.key) keys "
            "JOIN topics first ON first.id = keys.first_id ORDER BY chats DESC, label LIMIT ?",
            (TOP_TOPICS,),
        )
        return tuple((str(row["label"]), int(row["chats"])) for row in rows)

    async def _alert_outcomes(self, since: float) -> tuple[int, int]:
        """(sent, not delivered) alerts finished since a moment."""
        row = await self._one(
            "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, "
            "count(*) FILTER (WHERE status IN ('failed', 'dropped')) AS failed "
            "FROM deliveries WHERE item_id IS NOT NULL AND finished_at >= ?",
            (since,),
        )
        return sum_or_zero(row, "sent"), sum_or_zero(row, "failed")

    async def _alerts_per_day(
        self, now: float, utc_offset: float
    ) -> tuple[tuple[str, int, int], ...]:
        """(local day, sent, not delivered) for the days of the chart that had any.

        Days are the readers' (WIB): the caller gives their offset from UTC in seconds.
        """
        first_day_start = ((now + utc_offset) // DAY - (CHART_DAYS - 1)) * DAY - utc_offset
        day = self.dialect.day_number("finished_at + ?")
        rows = await self._all(
            f"SELECT {day} AS day, count(*) FILTER (WHERE status = 'sent') AS sent, "
            "count(*) FILTER (WHERE status IN ('failed', 'dropped')) AS failed FROM deliveries "
            "WHERE item_id IS NOT NULL AND finished_at >= ? GROUP BY 1 ORDER BY 1",
            (utc_offset, first_day_start),
        )
        return tuple(
            (_iso_day(int(row["day"])), sum_or_zero(row, "sent"), sum_or_zero(row, "failed"))
            for row in rows
        )


def _iso_day(days_since_epoch: int) -> str:
    """2026-11-30 for the day number the query grouped by."""
    return (_EPOCH + timedelta(days=days_since_epoch)).isoformat()
