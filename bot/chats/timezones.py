"""Which of Indonesia's three clocks each province keeps, to offer a chat the clock of its place.

Provinces by their Kemendagri code (a kabupaten/kota's code starts with its province's, as
"81.71" Kota Ambon in "81" Maluku) and by name, as regions and the gazetteer write them. The
zones are those of Presidential Decree 41/1987 (Keppres No. 41 Tahun 1987), which still holds;
the provinces made since sit in their parent's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from storage.models import TimeZone

# (code, name, zone) of the 38 provinces.
PROVINCES: Final[tuple[tuple[str, str, TimeZone], ...]] = (
    ("11", "Aceh", TimeZone.WIB),
    ("12", "Sumatera Utara", TimeZone.WIB),
    ("13", "Sumatera Barat", TimeZone.WIB),
    ("14", "Riau", TimeZone.WIB),
    ("15", "Jambi", TimeZone.WIB),
    ("16", "Sumatera Selatan", TimeZone.WIB),
    ("17", "Bengkulu", TimeZone.WIB),
    ("18", "Lampung", TimeZone.WIB),
    ("19", "Kepulauan Bangka Belitung", TimeZone.WIB),
    ("21", "Kepulauan Riau", TimeZone.WIB),
    ("31", "DKI Jakarta", TimeZone.WIB),
    ("32", "Jawa Barat", TimeZone.WIB),
    ("33", "Jawa Tengah", TimeZone.WIB),
    ("34", "DI Yogyakarta", TimeZone.WIB),
    ("35", "Jawa Timur", TimeZone.WIB),
    ("36", "Banten", TimeZone.WIB),
    ("51", "Bali", TimeZone.WITA),
    ("52", "Nusa Tenggara Barat", TimeZone.WITA),
    ("53", "Nusa Tenggara Timur", TimeZone.WITA),
    ("61", "Kalimantan Barat", TimeZone.WIB),
    ("62", "Kalimantan Tengah", TimeZone.WIB),
    ("63", "Kalimantan Selatan", TimeZone.WITA),
    ("64", "Kalimantan Timur", TimeZone.WITA),
    ("65", "Kalimantan Utara", TimeZone.WITA),
    ("71", "Sulawesi Utara", TimeZone.WITA),
    ("72", "Sulawesi Tengah", TimeZone.WITA),
    ("73", "Sulawesi Selatan", TimeZone.WITA),
    ("74", "Sulawesi Tenggara", TimeZone.WITA),
    ("75", "Gorontalo", TimeZone.WITA),
    ("76", "Sulawesi Barat", TimeZone.WITA),
    ("81", "Maluku", TimeZone.WIT),
    ("82", "Maluku Utara", TimeZone.WIT),
    ("91", "Papua", TimeZone.WIT),
    ("92", "Papua Barat", TimeZone.WIT),
    ("93", "Papua Selatan", TimeZone.WIT),
    ("94", "Papua Tengah", TimeZone.WIT),
    ("95", "Papua Pegunungan", TimeZone.WIT),
    ("96", "Papua Barat Daya", TimeZone.WIT),
)
# The long official names of the two special regions, as Kemendagri writes them.
_OTHER_NAMES: Final[Mapping[str, str]] = {
    "daerah khusus ibukota jakarta": "31",
    "daerah khusus jakarta": "31",
    "daerah istimewa yogyakarta": "34",
}
_ZONE_BY_CODE: Final[Mapping[str, TimeZone]] = {code: zone for code, _, zone in PROVINCES}
_CODE_BY_NAME: Final[Mapping[str, str]] = {
    **{name.casefold(): code for code, name, _ in PROVINCES},
    **_OTHER_NAMES,
}


def zone_of_code(code: str) -> TimeZone | None:
    """The zone of a province, or of a kabupaten/kota, by its Kemendagri code; None if unknown."""
    return _ZONE_BY_CODE.get(code.partition(".")[0])


def zone_of_province(name: str) -> TimeZone | None:
    """The zone of a province by name (any case); None for a name that is no province."""
    code = _CODE_BY_NAME.get(" ".join(name.split()).casefold())
    return None if code is None else _ZONE_BY_CODE[code]


def zone_to_offer(current: TimeZone, region: str, followed: list[str]) -> TimeZone | None:
    """The clock to offer a chat that has just followed `region` (a place's code or a region's
    name): its province's, when that is the first place the chat follows and the chat reads
    another clock; else None."""
    if [name.casefold() for name in followed] != [region.casefold()]:
        return None
    zone = zone_of_code(region) if region[:1].isdigit() else zone_of_province(region)
    return zone if zone is not None and zone != current else None
