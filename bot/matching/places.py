"""The gazetteer as the topic matcher reads it: place names, their short forms and cues.

The gazetteer (bot.places, a pure data library) is the one source of place knowledge; this
module turns it into the shapes the matcher already builds from: the place readings of
`readings.build_readings` and the groups of `abbreviations.build_table`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from bot.places.gazetteer import Gazetteer, Name, Place, fold

# The matcher's words for the gazetteer's kinds of place.
_KIND = {"province": "provinsi", "regency": "kabupaten", "city": "kota"}


@functools.cache
def load_gazetteer() -> Gazetteer:
    """Load the shipped gazetteer once, on first use by the matcher."""
    return Gazetteer.load()


def readings_data(gazetteer: Gazetteer) -> dict[str, Any]:
    """The place readings: every name a bare topic reads as a place, and the cue lists."""
    cues = gazetteer.cues
    places = [
        _reading(gazetteer, name, key in gazetteer.topic_places)
        for key, name in gazetteer.names.items()
        if name.codes and (not name.needs_cue or key in gazetteer.topic_places)
    ]
    return {
        "cue_before": sorted(cues.before | cues.origin_before | cues.mention_before),
        "title_lowercase": sorted(cues.title_lowercase),
        "place": places,
    }


def _reading(gazetteer: Gazetteer, name: Name, ambiguous: bool) -> dict[str, Any]:
    """One name as a place reading: its units and the province that holds them."""
    units = [gazetteer.places[code] for code in name.codes]
    province = gazetteer.places[units[0].province_code].name
    return {
        "name": name.written,
        "province": province,
        "provinces": sorted({gazetteer.places[unit.province_code].name for unit in units}),
        "ambiguous": ambiguous,
        "units": [{"kind": _KIND[unit.kind], "code": unit.code} for unit in units],
        "not_before": sorted(name.not_before),
        "not_after": sorted(name.not_after),
    }


def abbreviation_groups(gazetteer: Gazetteer) -> list[dict[str, Any]]:
    """Groups of forms that name one place, for the abbreviation table.

    A province's or a kabupaten/kota's name and its short forms match each other (Jabar, Jawa
    Barat); a short form that is also a word and needs a cue stays out, unless a topic reads it
    as the place (Solo). A short form in capitals counts only written so,
    except a province's (readers write "ntt"). A province covers its administrative cities
    (DKI Jakarta's, which have no government of their own). A foreign place that extends a
    place's name ("Papua Nugini") is a group of its own, so the place's topic does not take it.
    """
    forms: dict[str, list[Name]] = {}
    for key, name in gazetteer.names.items():
        code = _one_place(gazetteer, name.codes)
        if code is not None and _is_form(gazetteer, key, name):
            forms.setdefault(code, []).append(name)
    groups = [
        _group(gazetteer, gazetteer.places[code], names, forms) for code, names in forms.items()
    ]
    leading = {fold(written): group for group in groups for written in group["forms"]}
    foreign = [
        (key, leading[prefix])
        for key in sorted(gazetteer.foreign)
        if (prefix := _prefix(key, leading))
    ]
    kept = {id(group) for _, group in foreign}
    # A place's name alone matches nothing more than itself: its group only keeps it apart
    # from a foreign place's longer name, and would cut it off from a longer one of its own
    # ("Batu" is no group, so "=batu" still finds "batu bara").
    groups = [group for group in groups if len(group["forms"]) > 1 or id(group) in kept]
    groups.extend({"forms": [gazetteer.names[key].written]} for key, _ in foreign)
    return groups


def _one_place(gazetteer: Gazetteer, codes: tuple[str, ...]) -> str | None:
    """The one place of a name's codes: a province and its capital city of one name count as
    the province (Yogyakarta, Jambi)."""
    if len(codes) == 1:
        return codes[0]
    provinces = [code for code in codes if gazetteer.places[code].kind == "province"]
    cities = [code for code in codes if gazetteer.places[code].kind == "city"]
    one = len(provinces) == 1 and len(cities) == len(codes) - 1
    if one and all(gazetteer.places[code].province_code == provinces[0] for code in cities):
        return provinces[0]
    return None


def _is_form(gazetteer: Gazetteer, key: str, name: Name) -> bool:
    """Tell whether a name of one place is a form its topic matches both ways."""
    if name.source == "name":
        return name.written in {
            place.name for place in map(gazetteer.places.get, name.codes) if place
        }
    return name.source == "short form" and (not name.needs_cue or key in gazetteer.topic_places)


def _group(
    gazetteer: Gazetteer, place: Place, names: list[Name], forms: dict[str, list[Name]]
) -> dict[str, Any]:
    """One place's group: its own name first, the forms it covers, the case-sensitive forms."""
    ordered = sorted(names, key=lambda name: name.source != "name")
    group: dict[str, Any] = {"forms": [name.written for name in ordered]}
    if place.kind != "province":
        group["case_sensitive"] = [name.written for name in ordered if name.exact]
        return group
    covered = [
        child.name
        for child in gazetteer.children(place.code)
        if child.official.startswith(("Kota Administrasi ", "Kabupaten Administrasi "))
        and child.code in forms
    ]
    if covered:
        group["covers"] = covered
    return group


def _prefix(key: str, leading: Mapping[str, object]) -> str:
    """The form of a group that a folded name begins with and goes on from ("" if none)."""
    words = key.split()
    heads = (" ".join(words[:size]) for size in range(len(words) - 1, 0, -1))
    return next((head for head in heads if head in leading), "")
