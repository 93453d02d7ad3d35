"""The feeds file: a TOML list of feeds, bundled by default."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from storage.models import FeedSeed, FullTextMode

MAX_REGION_BYTES = 60  # a region is a button label and part of topics ("banjir @Banten")


class FeedListError(ValueError):
    """The feeds file cannot be used; the message says where and why."""


def load_feed_list(path: Path | None, *, setting: str | None = "WARTA_FEEDS") -> list[FeedSeed]:
    """Read feeds from a TOML file, or the bundled Indonesian list when no path is given.

    An error names the file, after the setting that named it (None: a file given directly).
    """
    try:
        return _load(path)
    except FeedListError as error:
        if setting is None:
            raise
        raise FeedListError(f"{setting}: {error}") from None


def _load(path: Path | None) -> list[FeedSeed]:
    if path is None:
        source = "bundled feeds-id.toml"
        text = resources.files("bot").joinpath("data", "feeds-id.toml").read_text("utf-8")
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise FeedListError(f"cannot read {path}: {error.strerror}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FeedListError(f"{source} is not valid TOML: {error}") from None
    return _seeds(document.get("feeds", []), source)


def _seeds(entries: object, source: str) -> list[FeedSeed]:
    if not isinstance(entries, list):
        raise FeedListError(f"{source} must contain [[feeds]] tables")
    seeds: dict[str, FeedSeed] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise FeedListError(f"{source}: feed #{number} is not a table")
        url = str(entry.get("url", "")).strip()
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise FeedListError(f"{source}: feed #{number} has no http(s) url")
        name = str(entry.get("name", "")).strip() or parts.netloc
        region = region_name(str(entry.get("region", "")))
        mode = _full_text(entry.get("full_text", "auto"), f"{source}: feed #{number}")
        seeds.setdefault(url, FeedSeed(url, name, region, mode))
    return list(seeds.values())


def _full_text(raw: object, where: str) -> FullTextMode:
    """A feed's `full_text` setting: "auto" (the default), "always" or "never"."""
    try:
        return FullTextMode(str(raw).strip().lower())
    except ValueError:
        choices = ", ".join(f'"{mode.value}"' for mode in FullTextMode)
        raise FeedListError(f"{where} has full_text {raw!r}, not {choices}") from None


def region_name(raw: str) -> str:
    """A region as stored: spaces collapsed, cut to MAX_REGION_BYTES at a character boundary."""
    collapsed = " ".join(raw.split())
    cut = collapsed.encode("utf-8")[:MAX_REGION_BYTES].decode("utf-8", errors="ignore")
    return cut.rstrip()
