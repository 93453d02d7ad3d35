"""The gazetteer: every province and kabupaten/kota of upstream, and the names readers write."""

from __future__ import annotations

import io
import tarfile
import tomllib
from pathlib import Path

import pytest

from bot.places.gazetteer import Gazetteer
from bot.places.refresh import main as refresh
from bot.places.refresh import render

DATA = Path(__file__).resolve().parent.parent.parent / "bot" / "data" / "gazetteer"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def test_every_province_and_regency_with_its_province(gazetteer: Gazetteer) -> None:
    provinces = gazetteer.provinces()
    assert len(provinces) == 38
    assert sum(len(gazetteer.children(province.code)) for province in provinces) == 514
    garut = gazetteer.by_code("32.05")
    assert garut is not None
    assert (garut.name, garut.kind, garut.province_code) == ("Garut", "regency", "32")
    assert [place.name for place in gazetteer.children("31")] == [
        "Kepulauan Seribu", "Jakarta Pusat", "Jakarta Utara", "Jakarta Barat", "Jakarta Selatan",
        "Jakarta Timur",
    ]  # fmt: skip


def test_the_source_is_recorded(gazetteer: Gazetteer) -> None:
    assert gazetteer.source["package"] == "idn-area-data"
    assert gazetteer.source["version"] == "4.0.1"


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("Malut", ["82"]),
        ("NTT", ["53"]),
        ("Jogja", ["34"]),
        ("Jaksel", ["31.74"]),
        ("Kota Ambon", ["81.71"]),
        ("Garut", ["32.05"]),
        ("Malang", ["35.07", "35.73"]),
        ("Kabupaten Malang", ["35.07"]),
        ("Kota Malang", ["35.73"]),
        ("Tanjungpinang", ["21.72"]),
        ("Palangka Raya", ["62.71"]),
        ("Cibinong", ["32.01"]),
        ("Ubud", ["51.04"]),
        ("Labuan Bajo", ["53.15"]),
        ("Papua Nugini", []),
        ("Singapura", []),
    ],
)
def test_lookup_by_name_short_form_capital_or_landmark(
    gazetteer: Gazetteer, name: str, codes: list[str]
) -> None:
    assert sorted(place.code for place in gazetteer.lookup(name)) == codes


def test_the_refresh_writes_what_the_loader_reads(tmp_path: Path) -> None:
    tables = {
        "provinces": [{"code": "11", "name": "Aceh"}],
        "regencies": [{"code": "11.71", "province_code": "11", "name": "Kota Banda Aceh"}],
    }
    parsed = tomllib.loads(render("9.9.9", "2026-01-02", tables))
    assert parsed["source"]["version"] == "9.9.9"
    assert parsed["areas"]["regencies"] == [
        {"code": "11.71", "province": "11", "name": "Kota Banda Aceh"}
    ]


def test_every_curated_name_points_at_a_place(gazetteer: Gazetteer) -> None:
    curated = tomllib.loads((DATA / "curated.toml").read_text(encoding="utf-8"))
    for key in ("capitals", "short_forms", "landmarks"):
        for written, code in curated[key]:
            assert gazetteer.by_code(code) is not None, written


def test_the_refresh_rebuilds_the_file_from_the_package_tarball(tmp_path: Path) -> None:
    tarball = tmp_path / "idn-area-data-9.9.9.tgz"
    files = {
        "package/data/provinces.csv": "code,name\n11,Aceh\n96,Papua Barat Daya\n",
        "package/data/regencies.csv": "code,province_code,name\n11.71,11,Kota Banda Aceh\n"
        "96.03,96,Kabupaten Raja Ampat\n",
    }
    with tarfile.open(tarball, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    output = tmp_path / "kemendagri.toml"
    arguments = ["--tarball", str(tarball), "--version", "9.9.9", "--published", "2026-01-02"]
    assert refresh([*arguments, "--output", str(output)]) == 0
    parsed = tomllib.loads(output.read_text(encoding="utf-8"))
    assert parsed["source"]["version"] == "9.9.9"
    assert parsed["source"]["published"] == "2026-01-02"
    assert [row["name"] for row in parsed["areas"]["regencies"]] == [
        "Kota Banda Aceh",
        "Kabupaten Raja Ampat",
    ]
