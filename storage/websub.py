"""Queries about WebSub subscriptions: one per feed whose document names a hub."""

from __future__ import annotations

from storage.database import Database, Row
from storage.feeds import _FEED_COLUMNS as FEED_COLUMNS
from storage.feeds import _feed as feed_from_row
from storage.models import Feed, PushDeparture, PushStatus, PushSubscription

_COLUMNS = (
    "s.feed_id AS feed_id, s.hub AS hub, s.topic AS topic, s.token AS token, "
    "s.secret AS secret, s.status AS status, s.lease_until AS lease_until, "
    "s.renew_at AS renew_at, f.enabled AS enabled"
)

_DEPARTURE_COLUMNS = "feed_id, hub, topic, token, lease_until, renew_at"


class WebSubQueries(Database):
    """Each feed's hub, topic, secret, status and lease; the hubs its feeds have left."""

    async def want_push(
        self,
        feed_id: int,
        hub: str,
        topic: str,
        credentials: tuple[str, str],
        unknown_lease_until: float,
    ) -> bool:
        """Note a hub a feed names; True when that is new (or the hub or topic changed).

        A new hub or topic gets the new credentials (callback token, secret): a running
        subscription keeps its own, so pushes signed with it still count, but a hub the feed no
        longer names must not keep pushing with them. The hub left is noted to be told, with its
        old callback, until its lease ends (unknown_lease_until when it never said).
        """
        token, secret = credentials
        async with self._write() as db:
            await db.execute(
                "INSERT INTO websub_departures (feed_id, hub, topic, token, lease_until) "
                "SELECT feed_id, hub, topic, token, coalesce(lease_until, :unknown) "
                "FROM websub_subscriptions WHERE feed_id = :feed "
                "AND (hub <> :hub OR topic <> :topic) AND status IN (:asked, :active, :leaving) "
                "ON CONFLICT DO NOTHING",
                {
                    "feed": feed_id,
                    "hub": hub,
                    "topic": topic,
                    "unknown": unknown_lease_until,
                    "asked": PushStatus.REQUESTED,
                    "active": PushStatus.ACTIVE,
                    "leaving": PushStatus.LEAVING,
                },
            )
            row = await db.fetch_one(
                "INSERT INTO websub_subscriptions (feed_id, hub, topic, token, secret, status) "
                "VALUES (:feed, :hub, :topic, :token, :secret, :wanted) "
                "ON CONFLICT (feed_id) DO UPDATE SET hub = excluded.hub, "
                "topic = excluded.topic, token = excluded.token, secret = excluded.secret, "
                "status = excluded.status, requested_at = NULL, lease_until = NULL, "
                "renew_at = NULL, last_error = NULL "
                "WHERE websub_subscriptions.hub <> excluded.hub "
                "OR websub_subscriptions.topic <> excluded.topic RETURNING feed_id",
                {
                    "feed": feed_id,
                    "hub": hub,
                    "topic": topic,
                    "token": token,
                    "secret": secret,
                    "wanted": PushStatus.WANTED,
                },
            )
        return row is not None

    async def push_subscription(self, feed_id: int) -> PushSubscription | None:
        """A feed's subscription, whatever its state."""
        row = await self._one(
            f"SELECT {_COLUMNS} FROM websub_subscriptions s JOIN feeds f ON f.id = s.feed_id "
            "WHERE s.feed_id = ?",
            (feed_id,),
        )
        return _subscription(row) if row else None

    async def pushed_feed(self, feed_id: int, token: str) -> Feed | None:
        """The enabled feed whose subscription's callback carries this token."""
        row = await self._one(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE id = ? AND enabled = 1 AND EXISTS ("
            "SELECT 1 FROM websub_subscriptions s WHERE s.feed_id = feeds.id AND s.token = ?)",
            (feed_id, token),
        )
        return feed_from_row(row) if row else None

    async def push_subscriptions_due(self, now: float, limit: int) -> list[PushSubscription]:
        """Subscriptions to ask a hub about now: new, unverified too long, ending soon, or of a
        removed feed."""
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM websub_subscriptions s JOIN feeds f ON f.id = s.feed_id "
            "WHERE s.renew_at IS NULL OR s.renew_at <= ? "
            "OR (f.enabled = 0 AND s.status <> ?) ORDER BY coalesce(s.renew_at, 0) LIMIT ?",
            (now, PushStatus.LEAVING, limit),
        )
        return [_subscription(row) for row in rows]

    async def push_requested(
        self, feed_id: int, status: PushStatus, now: float, retry_at: float, error: str | None
    ) -> None:
        """Record a request sent to the hub (or why it failed) and when to look again."""
        async with self._write() as db:
            await db.execute(
                "UPDATE websub_subscriptions SET status = ?, requested_at = ?, renew_at = ?, "
                "last_error = ? WHERE feed_id = ?",
                (status, now, retry_at, error, feed_id),
            )

    async def push_verified(self, feed_id: int, lease_until: float, renew_at: float) -> None:
        """The hub verified our intent: pushes come until lease_until."""
        async with self._write() as db:
            await db.execute(
                "UPDATE websub_subscriptions SET status = ?, lease_until = ?, renew_at = ?, "
                "last_error = NULL WHERE feed_id = ?",
                (PushStatus.ACTIVE, lease_until, renew_at, feed_id),
            )

    async def push_denied(self, feed_id: int, reason: str, retry_at: float) -> None:
        """The hub refused the subscription (or ended it)."""
        async with self._write() as db:
            await db.execute(
                "UPDATE websub_subscriptions SET status = ?, lease_until = NULL, renew_at = ?, "
                "last_error = ? WHERE feed_id = ?",
                (PushStatus.DENIED, retry_at, reason, feed_id),
            )

    async def push_departures_due(self, now: float, limit: int) -> list[PushDeparture]:
        """Hubs left that are to be told now."""
        rows = await self._all(
            f"SELECT {_DEPARTURE_COLUMNS} FROM websub_departures "
            "WHERE renew_at IS NULL OR renew_at <= ? ORDER BY coalesce(renew_at, 0) LIMIT ?",
            (now, limit),
        )
        return [_departure(row) for row in rows]

    async def push_departure(self, feed_id: int, token: str) -> PushDeparture | None:
        """A hub left, by the callback token it knows."""
        row = await self._one(
            f"SELECT {_DEPARTURE_COLUMNS} FROM websub_departures WHERE feed_id = ? AND token = ?",
            (feed_id, token),
        )
        return _departure(row) if row else None

    async def departure_requested(
        self, feed_id: int, token: str, retry_at: float, error: str | None
    ) -> None:
        """Record an unsubscription sent to a hub left (or why it failed), and when to ask again."""
        async with self._write() as db:
            await db.execute(
                "UPDATE websub_departures SET renew_at = ?, last_error = ? "
                "WHERE feed_id = ? AND token = ?",
                (retry_at, error, feed_id, token),
            )

    async def forget_departure(self, feed_id: int, token: str) -> None:
        """Drop a hub left: it confirmed, or its lease ended."""
        async with self._write() as db:
            await db.execute(
                "DELETE FROM websub_departures WHERE feed_id = ? AND token = ?", (feed_id, token)
            )

    async def forget_push(self, feed_id: int) -> None:
        """Drop a feed's subscription (the hub confirmed the unsubscription)."""
        async with self._write() as db:
            await db.execute("DELETE FROM websub_subscriptions WHERE feed_id = ?", (feed_id,))


def _subscription(row: Row) -> PushSubscription:
    return PushSubscription(
        feed_id=int(row["feed_id"]),
        hub=row["hub"],
        topic=row["topic"],
        token=row["token"],
        secret=row["secret"],
        status=PushStatus(row["status"]),
        lease_until=row["lease_until"],
        renew_at=row["renew_at"],
        feed_enabled=bool(row["enabled"]),
    )


def _departure(row: Row) -> PushDeparture:
    return PushDeparture(
        feed_id=int(row["feed_id"]),
        hub=row["hub"],
        topic=row["topic"],
        token=row["token"],
        lease_until=float(row["lease_until"]),
        renew_at=row["renew_at"],
    )
