"""The rules that decide what one name found in an item stands for there.

Each name is weighed by its neighbours, as the README's guide says: a person's origin or an
organisation's home is not a place; a name that is also a word needs a cue; a qualifier
("Kota", "Pemkab") picks the kota or the kabupaten; a name followed by a place of another
province is a locality there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.places.gazetteer import ORIGIN_VERBS, Gazetteer, Name, fold

_NEXT_WORD = re.compile(r"([\W_]*)([^\W_]+)")
_LOOK_BACK = 60
# At most this many characters between a name and the one after it for the two to be read
# together ("Kuningan, Jakarta Selatan", "Batang, Jawa Tengah").
_NEAR = 3
_LIST_WORDS = frozenset({"dan", "serta", "hingga", "sampai", "atau"})
NOT_A_PLACE = "a foreign place, or the name of something else"


@dataclass(slots=True)
class Found:
    """One name found in the text, while it is being judged."""

    name: Name
    start: int
    end: int
    written: str
    codes: tuple[str, ...] = ()
    cue: str = ""
    # Unqualified kota and kabupaten of one name: settled by the other places of the text.
    pair: bool = False
    # Places in two provinces: settled by the other places of the text, or dropped.
    shared: bool = False
    # The home of the people or the event named ("warga Garut", "Jakarta Fair"): dropped where
    # the text places the story in another place.
    resident: bool = False


def plain(
    gazetteer: Gazetteer,
    spaced: str,
    found: list[Found],
    index: int,
    datelines: list[tuple[int, int]],
) -> bool:
    """Tell whether a name is that of one place, capitalised, with no word around it that a
    rule reads: then it is the place, and `judge` need not weigh it."""
    item = found[index]
    written = item.written
    if not item.name.plain or not written[-1:].isalnum():
        return False
    if not written[written.rfind(" ") + 1].isupper() or item.start == 0:
        return False
    if spaced[item.start - 1] == "\n":
        return False
    following = found[index + 1] if index + 1 < len(found) else None
    if following is not None and following.start - item.end <= _NEAR:
        return False
    words = spaced[max(0, item.start - 24) : item.start].rsplit(None, 2)
    before = words[-1] if words else ""
    if before[:1].isupper() or before.lower() in gazetteer.cues.read_before:
        return False
    if len(words) > 1 and words[-2].lower() in gazetteer.cues.read_two_before:
        return False
    if _word_after(spaced, item.end) in gazetteer.cues.read_after:
        return False
    return not datelines or not any(start <= item.start < end for start, end in datelines)


def judge(
    gazetteer: Gazetteer,
    texts: tuple[str, str],
    found: list[Found],
    index: int,
    datelines: list[tuple[int, int]],
) -> str | None:
    """Decide the places one name stands for here (on `item`); None, or why it places nothing."""
    text, spaced = texts
    item = found[index]
    following = found[index + 1] if index + 1 < len(found) else None
    name, cues = item.name, gazetteer.cues
    if name.source == "not a place":
        return NOT_A_PLACE
    if not _written_as_name(item):
        return "written in lower case" if not name.exact else "a short form not in capitals"
    words = _words_before(spaced, item.start)
    before = words[-1].lower() if words else ""
    after = _word_after(spaced, item.end)
    reason = _not_the_place(gazetteer, text, item, words, after, following)
    if reason is not None:
        return reason
    container = _container(gazetteer, text, found, index)
    if container is not None:
        return f"a locality of {container}"
    in_dateline = _alone_on_its_line(text, item) or any(
        start <= item.start and item.end <= end for start, end in datelines
    )
    settled = _province_after(gazetteer, text, item, following)
    if name.needs_cue and not (before in cues.before or in_dateline or settled):
        return "also a word or a name: no cue says it is the place"
    # The home of the people or the event named ("warga Garut", "warga Kota Bekasi",
    # "Jakarta Fair"): dropped where the text places the story elsewhere.
    resident = before in cues.resident_before or after in cues.event_after
    if before in cues.qualifiers and len(words) > 1:
        resident = resident or words[-2].lower() in cues.resident_before
    item.resident = resident
    codes = _qualified(gazetteer, name.codes, before)
    item.cue = _cue(item, before, in_dateline, settled, codes != name.codes)
    if codes == name.codes:
        codes = _unqualified(gazetteer, codes, in_dateline)
    if settled:
        codes = tuple(code for code in codes if gazetteer.places[code].province_code == settled)
    item.codes = codes
    if len(codes) > 1:
        provinces = {gazetteer.places[code].province_code for code in codes}
        item.shared = len(provinces) > 1
        item.pair = not item.shared
    return None


def _alone_on_its_line(text: str, item: Found) -> bool:
    """Tell whether the name is a line of its own: a dateline as cleaning leaves it ("SORONG"
    above the story, the outlet removed)."""
    starts = item.start == 0 or text[item.start - 1] == "\n"
    return starts and text.startswith("\n", item.end) and item.end < len(text) - 1


def _written_as_name(item: Found) -> bool:
    """Tell whether the text writes the name as a name: capitalised, short forms exactly."""
    if item.name.exact:
        return item.written.replace(" ", "") == item.name.written.replace(" ", "")
    words = item.written.split()
    last = words[-1] if words else item.written
    return last[:1].isupper() or last[:1].isdigit()


def _not_the_place(
    gazetteer: Gazetteer,
    text: str,
    item: Found,
    words: list[str],
    after: str,
    following: Found | None,
) -> str | None:
    """Why the words around a name make it something other than the place, if they do."""
    cues, name = gazetteer.cues, item.name
    raw_before = words[-1] if words else ""
    before = raw_before.lower()
    before2 = words[-2].lower() if len(words) > 1 else ""
    if after in name.not_before or before in name.not_after:
        return f"a word here ({before} {item.written} {after})".replace("  ", " ").strip()
    if before in cues.origin_between and before2 in cues.origin_before:
        before = before2  # "asal Kabupaten Garut", "perantau asli Padang"
    if before in cues.origin_before or (before2, before) in ORIGIN_VERBS:
        return "a person's origin"
    if before in cues.organisation_before or after in cues.organisation_after:
        return "the name of an organisation, club, product or culture"
    if _after_given_name(gazetteer, words):
        return "a person's name"
    # "Jalan Jakarta", and "Jalan Raya Bogor" (a road of Jakarta and Depok)
    street = raw_before[:1].isupper() and (
        before in cues.street_before or (before == "raya" and before2 in cues.street_before)
    )
    if street and not _road(text, item, following):
        return "a street's name"
    for word in reversed(words[-4:]):
        if not word[:1].isupper():
            break
        if word.lower() in cues.institution_heads:
            return "the home of an institution"
    return None


def _after_given_name(gazetteer: Gazetteer, words: list[str]) -> bool:
    """Tell whether the name follows a title and a given name: a person's surname ("Irjen
    Teddy Minahasa", "Irjen Pol Teddy Minahasa"), not a place."""
    if len(words) < 2 or not words[-1][:1].isupper():
        return False
    given = words[-1].lower()
    cues = gazetteer.cues
    if given in cues.before or given in cues.qualifiers or given in cues.person_titles:
        return False
    title = words[-2].lower()
    if title == "pol" and len(words) > 2:
        title = words[-3].lower()
    return title in cues.person_titles


def _road(text: str, item: Found, following: Found | None) -> bool:
    """Tell whether the name begins a road between two places ("Jalan Manokwari-Bintuni")."""
    return following is not None and text[item.end : following.start].strip() in {"-", "\u2013"}


def _words_before(spaced: str, start: int) -> list[str]:
    """The words right before a position, as written, in the same line."""
    return spaced[max(0, start - _LOOK_BACK) : start].rsplit("\n", 1)[-1].split()


def word_before(spaced: str, start: int) -> str:
    """The word right before a position, folded ("" where there is none)."""
    words = spaced[max(0, start - 20) : start].rsplit(None, 1)
    return words[-1].lower() if words else ""


def _word_after(spaced: str, end: int) -> str:
    """The word right after a position, folded ("" where there is none)."""
    words = spaced[end : end + 30].split(maxsplit=1)
    return words[0].lower() if words else ""


def _container(gazetteer: Gazetteer, text: str, found: list[Found], index: int) -> str | None:
    """The place of another province that the name is a locality of ("Kuningan, Jakarta")."""
    item = found[index]
    following = found[index + 1] if index + 1 < len(found) else None
    if following is None or following.start - item.end > _NEAR:
        return None
    between = text[item.end : following.start]
    if "," not in between or between.strip(", "):
        return None
    if not following.name.codes:
        # "Kota Baru, Malaysia", "Malaka, Malaysia": a town abroad of the same name
        foreign = fold(following.written) in gazetteer.foreign
        return following.written if foreign else None
    if all(gazetteer.places[code].kind == "province" for code in item.name.codes):
        return None
    mine = {gazetteer.places[code].province_code for code in item.name.codes}
    theirs = {gazetteer.places[code].province_code for code in following.name.codes}
    if mine & theirs:
        return None
    rest = _NEXT_WORD.match(text, following.end)
    third = found[index + 2] if index + 2 < len(found) else None
    listed = third is not None and text[following.end : third.start].strip() == ","
    if listed or (rest is not None and rest.group(2).lower() in _LIST_WORDS):
        return None  # a list of places ("Padang, Bengkulu, dan Jambi"), not a locality
    return following.written


def _province_after(gazetteer: Gazetteer, text: str, item: Found, following: Found | None) -> str:
    """The province code a name is settled by when its province follows it ("Batang, Jateng")."""
    if following is None or following.start - item.end > _NEAR:
        return ""
    if text[item.end : following.start].strip(" ,") != "":
        return ""
    provinces = [gazetteer.places[code] for code in following.name.codes]
    if len(provinces) != 1 or provinces[0].kind != "province":
        return ""
    code = provinces[0].code
    mine = {gazetteer.places[own].province_code for own in item.name.codes}
    return code if code in mine and len(item.name.codes) > 0 else ""


def _qualified(gazetteer: Gazetteer, codes: tuple[str, ...], before: str) -> tuple[str, ...]:
    """The places a qualifier right before the name keeps ("Kota Bogor", "Pemprov Jambi")."""
    cues = gazetteer.cues
    wanted = (
        "regency"
        if before in cues.regency_before
        else "city"
        if before in cues.city_before
        else "province"
        if before in cues.province_before
        else None
    )
    if wanted is None:
        return codes
    kept = tuple(code for code in codes if gazetteer.places[code].kind == wanted)
    return kept or codes


def _unqualified(
    gazetteer: Gazetteer, codes: tuple[str, ...], in_dateline: bool
) -> tuple[str, ...]:
    """A province's name that is also its capital's: the province, the city in a dateline."""
    if all("." in code for code in codes):
        return codes
    places = [gazetteer.places[code] for code in codes]
    provinces = {place.code for place in places if place.kind == "province"}
    if not provinces:
        return codes
    if in_dateline:
        cities = tuple(place.code for place in places if place.kind == "city")
        if cities:
            return cities
    return tuple(sorted(provinces))


def _cue(item: Found, before: str, in_dateline: bool, settled: str, qualified: bool) -> str:
    """What placed the name, in words."""
    if in_dateline:
        return "dateline"
    if qualified:
        return f"qualifier '{before}'"
    if settled:
        return "its province follows"
    if item.name.needs_cue:
        return f"cue '{before}'"
    return item.name.source
