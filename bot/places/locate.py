"""Locating an item: the places where its story happens, each with the cue that placed it.

The names of the gazetteer are found in one pass of its Aho-Corasick automaton over the item's
text (lower case, every non-word character a space, so offsets stay the text's own). Each name
found is then weighed by its neighbours (bot/places/rules.py); last, the names of a kota and a
kabupaten, or of places in two provinces, are settled by the other places of the text. A
kabupaten/kota also places its province.

Of a fetched article, and of a feed's text when the feed sends whole articles, only the lead is
read (`ARTICLE_LEAD_CHARS`): news says where in its dateline and lead paragraph; a place first
named further down is most often background (an earlier flood elsewhere, a speaker's office, a
comparison), not where the story happens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.places.gazetteer import Gazetteer, fold
from bot.places.rules import NOT_A_PLACE, Found, judge, plain, word_before

# Punctuation and spaces as one separator, a space (offsets stay the text's own); line ends stay,
# so that the words before a name are those of its own line.
_ASCII_SEPARATORS = "\t\r\x0b\x0c!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_SEPARATORS = str.maketrans(
    dict.fromkeys(_ASCII_SEPARATORS + "\u00a0\u2013\u2014\u2018\u2019\u201c\u201d\u2026", " ")
)
# The same for text all ASCII (most news), as byte tables: one pass in C each, where a str's
# translation looks every character up in a dict. `_LOWERED` also folds the case and the line
# ends, for the automaton.
_SPACED_BYTES = bytes.maketrans(_ASCII_SEPARATORS.encode(), b" " * len(_ASCII_SEPARATORS))
_LOWERED_BYTES = bytes.maketrans(
    (_ASCII_SEPARATORS + "\n" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ").encode(),
    (" " * (len(_ASCII_SEPARATORS) + 1) + "abcdefghijklmnopqrstuvwxyz").encode(),
)
# The characters of an article read for places: the dateline and the lead paragraph of an
# Indonesian news story, which says where. The same for a feed's text (a teaser is shorter;
# a feed that sends whole articles sends their leads first); the title is read whole.
ARTICLE_LEAD_CHARS = 500
# "SORONG, ANTARA -", "JAKARTA, KOMPAS.com —", "Sorong (ANTARA) -": a place in capitals, then
# the outlet; "Liputan6.com, Garut -": the outlet, then the place.
_DATELINE = re.compile(
    r"\s*(?:(?P<caps>[A-Z][A-Z.'\- ]{1,40}?)\s*[,(]\s*[^\n]{0,40}?\s[-\u2013\u2014]"
    r"|[\w.]+\.(?:com|id|net|co)\s*,\s*(?P<after>[A-Z][\w.'\- ]{1,40}?)\s*[-\u2013\u2014])"
)
# Why a resident's or an event's home ("warga Garut", "Jakarta Fair") placed nothing.
_RESIDENTS_ELSEWHERE = "the home of the people or the event named; the story happens elsewhere"


@dataclass(frozen=True, slots=True)
class Located:
    """A place where the story happens, and what in the text placed it."""

    code: str
    name: str
    cue: str


@dataclass(frozen=True, slots=True)
class PassedOver:
    """A name found in the text that placed nothing, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything the locator read in one item."""

    located: tuple[Located, ...]
    passed_over: tuple[PassedOver, ...]


def locate(
    gazetteer: Gazetteer, *, title: str, teaser: str = "", article: str = ""
) -> list[Located]:
    """The places where an item's story happens, provinces included."""
    return list(read_places(gazetteer, title=title, teaser=teaser, article=article).located)


def read_places(
    gazetteer: Gazetteer, *, title: str, teaser: str = "", article: str = ""
) -> Reading:
    """The places of an item, and the names found that placed nothing, with reasons."""
    text = "\n".join(part for part in (title, _lead(teaser), _lead(article)) if part)
    datelines = _datelines(text)
    passed: list[PassedOver] = []
    taken: list[Found] = []
    spaced, folded = _spaced(text)
    found = _found(gazetteer, text, folded)
    # A name taken once is judged again only where a qualifier may narrow it ("Kota Bekasi"):
    # elsewhere a repeat could only place what it already placed (long articles repeat names).
    taken_names: set[int] = set()
    qualifiers = gazetteer.cues.qualifiers
    abroad: list[Found] = []
    for index, item in enumerate(found):
        if not item.name.codes:  # a foreign place or a thing's name, wherever it stands
            passed.append(PassedOver(item.written, NOT_A_PLACE))
            abroad.append(item)
            continue
        if id(item.name) in taken_names and word_before(spaced, item.start) not in qualifiers:
            continue
        if plain(gazetteer, spaced, found, index, datelines):
            name = item.name
            item.codes, item.cue = name.plain_codes, name.source
            item.pair, item.shared = name.pair, name.shared
            taken.append(item)
            taken_names.add(id(item.name))
            continue
        reason = judge(gazetteer, (text, spaced), found, index, datelines)
        if reason is None:
            taken.append(item)
            taken_names.add(id(item.name))
        else:
            passed.append(PassedOver(item.written, reason))
    if any(item.resident for item in taken):
        taken = _without_residents(gazetteer, spaced, taken, abroad, passed)
    located = _settle(gazetteer, taken, passed)
    return Reading(tuple(located), tuple(passed))


def _without_residents(
    gazetteer: Gazetteer,
    spaced: str,
    taken: list[Found],
    abroad: list[Found],
    passed: list[PassedOver],
) -> list[Found]:
    """The names taken, less the homes of people or events ("warga Garut", "Jakarta Fair")
    that the text places elsewhere: abroad ("di Malaysia"), or in a place neither inside nor
    around their home."""
    cues = gazetteer.cues
    places = gazetteer.places
    foreign = [item for item in abroad if fold(item.written) in gazetteer.foreign]
    there = [
        item
        for item in (*taken, *foreign)  # not a thing's name ("menabung di Bank Jatim")
        if not item.resident and word_before(spaced, item.start) in cues.locative_before
    ]
    if not there:
        return taken
    overseas = any(not item.codes for item in there)
    elsewhere = {code for item in there for code in item.codes}
    kept = []
    for item in taken:
        if item.resident:
            home = set(item.codes)
            around = {places[code].province_code for code in home} | home
            inside = {places[code].province_code for code in elsewhere} | elsewhere
            if overseas or not (elsewhere & around or home & inside):
                passed.append(PassedOver(item.written, _RESIDENTS_ELSEWHERE))
                continue
        kept.append(item)
    return kept


def _lead(article: str) -> str:
    """The text's first `ARTICLE_LEAD_CHARS` characters, cut after a sentence or a word (a
    name cut in two could read as another: "Bandung" of "Bandung Barat")."""
    limit = ARTICLE_LEAD_CHARS
    if len(article) <= limit:
        return article
    cut = max(article.rfind(". ", 0, limit), article.rfind("\n", 0, limit))
    if cut < limit // 2:
        cut = article.rfind(" ", 0, limit)
    return article[: cut + 1] if cut > 0 else article[:limit]


def _datelines(text: str) -> list[tuple[int, int]]:
    """The spans of the dateline places at the start of each line of the text."""
    spans = []
    start = 0
    for line in text.split("\n"):
        # A dateline ends in a dash: a line without one is passed without the expression.
        if "-" not in line and "\u2013" not in line and "\u2014" not in line:
            start += len(line) + 1
            continue
        match = _DATELINE.match(line)
        if match is not None:
            group = "caps" if match.group("caps") else "after"
            spans.append((start + match.start(group), start + match.end(group)))
        start += len(line) + 1
    return spans


def _spaced(text: str) -> tuple[str, str]:
    """The text with separators as spaces, and the same in lower case with line ends as
    spaces (as the automaton reads it), offsets kept in both."""
    if text.isascii():
        raw = text.encode("ascii")
        return (
            raw.translate(_SPACED_BYTES).decode("ascii"),
            raw.translate(_LOWERED_BYTES).decode("ascii"),
        )
    spaced = text.translate(_SEPARATORS)
    return spaced, _folded(spaced)


def _found(gazetteer: Gazetteer, text: str, folded: str) -> list[Found]:
    """The names in the text (`folded`: the same as the automaton reads it, see `_spaced`),
    the longest where two overlap, in the order of the text."""
    # Keys begin with a space, so only a word's start can begin a name: one space in front
    # shifts every offset by one, which taking the name's own length (less its space) takes back.
    folded = " " + folded
    last = len(folded) - 1
    candidates = []
    for end, (length, name) in gazetteer.automaton.iter(folded):
        if end == last or not folded[end + 1].isalnum():
            candidates.append((end - length, -end, name))
    candidates.sort()  # by start, the longest first (two names never share start and end)
    chosen: list[Found] = []
    reach = 0
    for start, negated_end, name in candidates:
        end = -negated_end
        if start >= reach:
            chosen.append(Found(name, start, end, text[start:end]))
            reach = end
    return chosen


def _folded(spaced: str) -> str:
    """The text (not all ASCII), its separators already spaces, in lower case and line ends as
    spaces, offsets kept."""
    folded = spaced.replace("\n", " ")
    lowered = folded.lower()
    if len(lowered) != len(folded):  # a letter whose lower case is longer: keep offsets exact
        lowered = "".join(char.lower()[:1] for char in folded)
    return lowered


def _settle(gazetteer: Gazetteer, taken: list[Found], passed: list[PassedOver]) -> list[Located]:
    """The places of the names taken, pairs and shared names settled by the others."""
    places = gazetteer.places
    located: dict[str, Located] = {}
    definite: set[str] = set()
    provinces: set[str] = set()
    if any(item.pair or item.shared for item in taken):  # what settles them: the other names
        definite = {code for item in taken if not (item.pair or item.shared) for code in item.codes}
        provinces = {places[code].province_code for code in definite}
    for item in taken:
        codes = item.codes
        if not (item.pair or item.shared):  # the common case: nothing to settle
            for code in codes:
                if code not in located:  # the first cue that placed it
                    located[code] = Located(code, item.written, item.cue)
            continue
        if item.shared:
            codes = tuple(c for c in codes if gazetteer.places[c].province_code in provinces)
            if len({gazetteer.places[code].province_code for code in codes}) != 1:
                passed.append(PassedOver(item.written, "shared by places in two provinces"))
                continue
        if item.pair or item.shared:
            codes = tuple(code for code in codes if code in definite) or codes
        for code in codes:
            if code not in located:  # the first cue that placed it
                located[code] = Located(code, item.written, item.cue)
    for entry in list(located.values()):
        province = places[entry.code].province_code
        if province not in located:
            located[province] = Located(province, entry.name, "province of " + entry.name)
    return list(located.values())
