"""Following places: any province or kabupaten/kota, by name, short form or code.

A follow of a place is stored as its Kemendagri code; a follow of a region that names no place
("Nasional", a region given with /addfeed) is stored by that name, as before places.
"""

from __future__ import annotations

import logging

from bot.places.follow import follow_choices, region_place
from bot.places.gazetteer import Gazetteer, Place, fold
from storage import Storage
from storage.models import Item

log = logging.getLogger(__name__)


async def adopt_place_follows(storage: Storage, gazetteer: Gazetteer) -> int:
    """Store the follows of a region that names a place ("Jawa Barat") as that place's code,
    so that they get the items located there too; return how many regions moved."""
    moved = 0
    for region in await storage.followed_region_names():
        place = region_place(gazetteer, region)
        if place is not None and place.code != region:
            await storage.rename_followed_region(region, place.code)
            moved += 1
    if moved:
        log.info("region follows stored as places regions=%d", moved)
    return moved


def places_meant(gazetteer: Gazetteer, wanted: str) -> list[Place]:
    """The places a reader may mean by what they wrote (two for "Malang", none for "Nasional")."""
    return follow_choices(gazetteer, wanted[:100])


async def followed_items(
    storage: Storage, gazetteer: Gazetteer, chat_id: int, limit: int
) -> list[Item]:
    """The newest items of the places and feed regions a chat follows, and of its topics that
    are a place alone ("@Buru")."""
    follows = await storage.chat_regions(chat_id)
    alone = [topic.region for topic in await storage.list_topics(chat_id) if not topic.text]
    codes = [key for key in follows if gazetteer.by_code(key) is not None]
    codes += [
        found[0].code for region in alone if region and (found := places_meant(gazetteer, region))
    ]
    regions = [key for key in follows if gazetteer.by_code(key) is None]
    if not codes and not regions:
        return []
    return await storage.items_followed(list(dict.fromkeys(codes)), regions, limit)


def newest(first: list[Item], second: list[Item], limit: int) -> list[Item]:
    """The newest items of two lists, each once."""
    merged = {item.id: item for item in [*first, *second]}
    return sorted(merged.values(), key=lambda item: item.id, reverse=True)[:limit]


def word_places(gazetteer: Gazetteer, topic: str) -> list[Place]:
    """The places a topic of words alone names when those words are also an ordinary word
    ("buru": Kabupaten Buru; "tegal": the kota and the kabupaten), else none."""
    words = topic.split()
    if not words or not all(word.isalpha() for word in words):
        return []
    name = gazetteer.names.get(fold(topic))
    if name is None or not name.needs_cue:
        return []
    return [gazetteer.places[code] for code in name.codes]
