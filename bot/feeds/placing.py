"""Locating the items stored before places were read (the upgrade to migration 0017).

The migration lists every item it found; the poller role locates them a batch at a time at
start, as the poller locates new items, and takes each off the list once its places are stored.
"""

from __future__ import annotations

import asyncio
import logging

from bot.places.follow import places_of_item
from bot.places.gazetteer import Gazetteer
from storage import Storage
from storage.places import Unlocated

log = logging.getLogger(__name__)

BACKLOG_BATCH = 200


async def locate_backlog(storage: Storage, gazetteer: Gazetteer) -> int:
    """Locate every item of the backlog; return how many were located."""
    done = 0
    while batch := await storage.unlocated_items(BACKLOG_BATCH):
        # Locating reads long bodies: off the event loop that answers chats.
        located = await asyncio.to_thread(_locate_all, gazetteer, batch)
        await storage.store_located(located)
        done += len(batch)
    if done:
        log.info("stored items located items=%d", done)
    return done


def _locate_all(gazetteer: Gazetteer, batch: list[Unlocated]) -> list[tuple[int, list[str]]]:
    """The place codes of each item of a batch (the stored body holds the article and teaser)."""
    return [
        (item.id, list(places_of_item(gazetteer, item.region, title=item.title, teaser=item.body)))
        for item in batch
    ]
