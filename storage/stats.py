"""Queries behind /stats: chats, topics, feed health and alerts over time."""

from __future__ import annotations

import sqlite3

from storage.database import Database
from storage.models import BotStats

DAY = 24 * 3600
WIB_OFFSET = 7 * 3600  # days of the chart are Jakarta days
CHART_DAYS = 30
TOP_TOPICS = 10


class StatsQueries(Database):
    """Figures for the bot's operators."""

    async def bot_stats(self, now: float) -> BotStats:
        """Everything /stats shows, as of now."""
        chats = await self._one("SELECT sum(active = 1), sum(active = 0) FROM chats")
        feeds = await self._one(
            "SELECT sum(consecutive_failures = 0), sum(consecutive_failures > 0) "
            "FROM feeds WHERE enabled = 1"
        )
        active, inactive = _ints(chats, 2)
        healthy, failing = _ints(feeds, 2)
        return BotStats(
            active_chats=active,
            inactive_chats=inactive,
            topics=await self._followed_topics(),
            top_topics=await self._top_topics(),
            feeds_healthy=healthy,
            feeds_failing=failing,
            alerts_24h=await self._alert_outcomes(now - DAY),
            alerts_7d=await self._alert_outcomes(now - 7 * DAY),
            alerts_per_day=await self._alerts_per_day(now),
        )

    async def _followed_topics(self) -> int:
        row = await self._one(
            "SELECT count(*) FROM topics t JOIN chats c ON c.id = t.chat_id WHERE c.active = 1"
        )
        return _ints(row, 1)[0]

    async def _top_topics(self) -> tuple[tuple[str, int], ...]:
        rows = await self._all(
            # Shown as its first follower wrote it (the row with the smallest id, found in the
            # same pass), region-limited topics as "banjir @Banten".
            "SELECT substr(min(printf('%012d', t.id) || t.text || coalesce(' @' || t.region, '')),"
            " 13) AS label, "
            "count(DISTINCT t.chat_id) AS chats FROM topics t JOIN chats c ON c.id = t.chat_id "
            "WHERE c.active = 1 GROUP BY t.key ORDER BY chats DESC, label LIMIT ?",
            (TOP_TOPICS,),
        )
        return tuple((str(row[0]), int(row[1])) for row in rows)

    async def _alert_outcomes(self, since: float) -> tuple[int, int]:
        """(sent, not delivered) alerts finished since a moment."""
        row = await self._one(
            "SELECT sum(status = 'sent'), sum(status IN ('failed', 'dropped')) FROM deliveries "
            "WHERE item_id IS NOT NULL AND finished_at >= ?",
            (since,),
        )
        sent, failed = _ints(row, 2)
        return sent, failed

    async def _alerts_per_day(self, now: float) -> tuple[tuple[str, int, int], ...]:
        """(WIB day, sent, not delivered) for the days of the chart that had any."""
        first_day_start = ((now + WIB_OFFSET) // DAY - (CHART_DAYS - 1)) * DAY - WIB_OFFSET
        rows = await self._all(
            "SELECT date(finished_at + ?, 'unixepoch') AS day, sum(status = 'sent'), "
            "sum(status IN ('failed', 'dropped')) FROM deliveries "
            "WHERE item_id IS NOT NULL AND finished_at >= ? GROUP BY day ORDER BY day",
            (WIB_OFFSET, first_day_start),
        )
        return tuple((str(row[0]), int(row[1] or 0), int(row[2] or 0)) for row in rows)


def _ints(row: sqlite3.Row | None, count: int) -> tuple[int, ...]:
    """The first columns of a row of counts; SQL's NULL sums (no rows) are zeros."""
    if row is None:
        return (0,) * count
    return tuple(int(row[i] or 0) for i in range(count))
