"""Digests: alerts held by a chat's delivery mode, quiet hours or a group burst, sent as one."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import timedelta

from bot.delivery.render import AlertView, split_digest
from bot.i18n import text
from bot.wib import in_quiet_hours, local_at
from storage import Storage
from storage.models import Chat, DeliveryMode, TimeZone

log = logging.getLogger(__name__)

HOUR = 3600


def latest_daily_moment(now: float, digest_hour: int, zone: TimeZone) -> float:
    """The most recent moment at digest_hour:00 on the zone's clock that is not after now."""
    local = local_at(now, zone)
    moment = local.replace(hour=digest_hour, minute=0, second=0, microsecond=0)
    if moment > local:
        moment -= timedelta(days=1)
    return moment.timestamp()


def digest_due(chat: Chat, since: float, now: float) -> bool:
    """Whether a chat whose held alerts date from `since` should get its digest now."""
    if in_quiet_hours(local_at(now, chat.time_zone).hour, chat.quiet_start, chat.quiet_end):
        return False
    if chat.delivery == DeliveryMode.HOURLY:
        # Indonesia's zones are whole hours from UTC, so hours line up in all of them.
        return math.floor(now / HOUR) > math.floor(since / HOUR)
    if chat.delivery == DeliveryMode.DAILY:
        return since < latest_daily_moment(now, chat.digest_hour, chat.time_zone)
    return True  # instant: held only by quiet hours (now over) or by a group burst


def digest_messages(
    alerts: list[tuple[int, AlertView]], language: str, *, resumed: bool
) -> list[tuple[str, list[int]]]:
    """A digest's messages, items grouped by topic, each with the ids of the alerts it carries.

    A resumed digest (some parts went out before a retry) goes on without its header.
    """
    if not alerts:
        return []
    groups: dict[str, list[tuple[int, AlertView]]] = {}
    for alert_id, view in alerts:
        groups.setdefault(view.topics[0] if view.topics else "", []).append((alert_id, view))
    continued = text("digest_continued", language)
    header = continued if resumed else text("digest_header", language, count=len(alerts))
    parts = split_digest(
        [(topic, [view for _, view in members]) for topic, members in groups.items()],
        header,
        continued,
    )
    ids = [alert_id for members in groups.values() for alert_id, _ in members]
    messages = []
    for part, carried in parts:
        messages.append((part, ids[:carried]))
        ids = ids[carried:]
    return messages


class DigestScheduler:
    """Turns due held alerts into digest messages in the outbox."""

    def __init__(
        self, storage: Storage, clock: Callable[[], float], on_queued: Callable[[], None]
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._on_queued = on_queued

    async def run(self) -> int:
        """Queue a digest for every chat whose digest is due; return how many were queued."""
        now = self._clock()
        queued = 0
        for chat, oldest_held in await self._storage.chats_with_held_alerts():
            last = await self._storage.last_digest_at(chat.id)
            since = oldest_held if last is None else max(last, oldest_held)
            if digest_due(chat, since, now) and await self._storage.create_digest(chat.id, now):
                queued += 1
        if queued:
            log.info("digests queued count=%d", queued)
            self._on_queued()
        return queued
