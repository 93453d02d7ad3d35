"""Places as readers follow and see them: names shown, feed regions and items placed by code.

A follow of a place is stored as its Kemendagri code; an item's places are codes too, so a
province's follower gets every item placed anywhere in it (a kabupaten/kota places its
province) and a city's follower only that city's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.places.gazetteer import Gazetteer, Place
from bot.places.gazetteer import shown_name as gazetteer_shown_name
from bot.places.locate import locate


def shown_name(gazetteer: Gazetteer, place: Place) -> str:
    """The place as a reader reads it: "Garut", "Kota Bandung", "Kabupaten Bandung"."""
    return gazetteer_shown_name(gazetteer.twinned, place)


def where(gazetteer: Gazetteer, place: Place) -> str:
    """The place with its province: "Garut, Jawa Barat"; a province alone: "Jawa Barat"."""
    return gazetteer.wheres[place.code]


def region_place(gazetteer: Gazetteer, region: str) -> Place | None:
    """The one place a feed's region (or an older follow) names, if it names one."""
    if (place := gazetteer.by_code(region)) is not None:
        return place
    found = gazetteer.lookup(" ".join(region.split()))
    return found[0] if len(found) == 1 else None


def place_codes(gazetteer: Gazetteer, place: Place) -> tuple[str, ...]:
    """The codes a place puts an item in: its own, and its province's."""
    if place.kind == "province":
        return (place.code,)
    return (place.code, place.province_code)


def places_of_item(
    gazetteer: Gazetteer, region: str, *, title: str, teaser: str, article: str = ""
) -> dict[str, str]:
    """Where an item happens, by code, each with what its alert says: the located places,
    and its feed's region when that names a place (an item of a regional feed belongs there)."""
    codes = [entry.code for entry in locate(gazetteer, title=title, teaser=teaser, article=article)]
    home = region_place(gazetteer, region)
    if home is not None:
        codes.extend(code for code in place_codes(gazetteer, home) if code not in codes)
    return labels(gazetteer, codes)


def labels(gazetteer: Gazetteer, codes: list[str]) -> dict[str, str]:
    """Each code with its "where": a province says the first of its places the item names."""
    places, wheres = gazetteer.places, gazetteer.wheres
    first: dict[str, str] = {}  # by province code: the first of its places, by code
    for code in codes:
        place = places[code]
        if place.kind != "province":
            first.setdefault(place.province_code, code)
    return {code: wheres[first.get(code, code)] for code in codes}


def follow_choices(gazetteer: Gazetteer, wanted: str) -> list[Place]:
    """The places a reader may mean by a name, short form or code (two for "Malang")."""
    if (place := gazetteer.by_code(wanted.strip())) is not None:
        return [place]
    return gazetteer.lookup(" ".join(wanted.split()))


def topic_place(gazetteer: Gazetteer, place: Place) -> str:
    """How a topic limited to a place names it ("banjir @Garut", "banjir @Jawa Barat")."""
    return place.name if place.kind == "province" else shown_name(gazetteer, place)


def topic_places(gazetteer: Gazetteer, codes: Iterable[str]) -> frozenset[str]:
    """The names, folded, a topic's @place may have for an item placed at these codes."""
    return frozenset(topic_place(gazetteer, gazetteer.places[code]).casefold() for code in codes)


def names_by_place(gazetteer: Gazetteer) -> dict[str, frozenset[str]]:
    """Each place's names as a reader writes them in a topic (folded: "jabar", "jawa barat"),
    by code: its own name, short forms and landmarks, not the names that are also words."""
    names: dict[str, set[str]] = {}
    for key, name in gazetteer.names.items():
        if name.source in ("name", "short form", "landmark") and not name.needs_cue:
            for code in name.codes:
                names.setdefault(code, set()).add(key)
    return {code: frozenset(keys) for code, keys in names.items()}


def covering_names(by_place: Mapping[str, frozenset[str]], codes: Iterable[str]) -> frozenset[str]:
    """The names (folded) of the places at these codes: a topic of one of them covers the item."""
    return frozenset(name for code in codes for name in by_place.get(code, ()))


def word_names_by_place(gazetteer: Gazetteer) -> dict[str, frozenset[str]]:
    """Each place's names that are also words (folded: "buru", "tegal"), by code."""
    names: dict[str, set[str]] = {}
    for key, name in gazetteer.names.items():
        if name.needs_cue:
            for code in name.codes:
                names.setdefault(code, set()).add(key)
    return {code: frozenset(keys) for code, keys in names.items()}


def names_saying_where(
    gazetteer: Gazetteer, by_place: Mapping[str, frozenset[str]], places: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """Each name (folded) a topic may give the item's places by, as its @place or as its words,
    with the "where"s of the item's places that name covers ("jawa barat": every place of the
    item in Jawa Barat)."""
    places_in = {
        gazetteer.places[code].province_code
        for code in places
        if gazetteer.places[code].kind != "province"
    }
    found: dict[str, dict[str, None]] = {}
    for code, shown in places.items():
        place = gazetteer.places[code]
        if place.kind == "province" and code in places_in:
            continue  # its places inside say where
        for unit in dict.fromkeys((code, place.province_code)):
            own = topic_place(gazetteer, gazetteer.places[unit]).casefold()
            for name in (own, *by_place.get(unit, ())):
                found.setdefault(name, {})[shown] = None
    return {name: tuple(wheres) for name, wheres in found.items()}
