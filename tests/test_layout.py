"""Imports point one way: handlers → bot → storage, and the pipeline's folders stay apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")

# What each part of the code must never import (a prefix covers the modules under it).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "storage": ("bot", "handlers"),
    "bot.feeds": ("handlers", "bot.delivery", "bot.chats", "bot.demo", "bot.standin"),
    "bot.matching": ("handlers", "storage", "bot.feeds", "bot.delivery", "bot.chats", "bot.ops"),
    "bot.topics": ("handlers", "bot.feeds", "bot.delivery", "bot.chats", "bot.ops"),
    # Below configuration and the fetcher alike: imports nothing of the project.
    "bot.net": ("handlers", "storage", "bot.config", "bot.feeds", "bot.matching", "bot.app"),
    "bot.delivery": ("handlers", "bot.feeds", "bot.matching", "bot.chats", "bot.demo"),
    # The gazetteer and the locator are a pure library: data in, places out.
    "bot.places": (
        "handlers",
        "storage",
        "bot.feeds",
        "bot.delivery",
        "bot.chats",
        "bot.ops",
        "bot.demo",
        "bot.standin",
        "bot.matching",
        "bot.app",
        "bot.config",
    ),
    "bot.chats": ("handlers", "bot.feeds", "bot.delivery", "bot.demo", "bot.standin"),
    "bot.ops": ("handlers", "bot.feeds", "bot.matching", "bot.delivery", "bot.chats"),
    "bot.config": (
        "handlers",
        "bot.app",
        "bot.feeds",
        "bot.delivery",
        "bot.chats",
        "bot.ops",
        "storage",
    ),
    "bot.context": ("handlers",),
    "bot.jobs": ("handlers",),
    "bot.cli": ("handlers", "bot.standin"),
    "bot.demo": ("handlers",),
    # The Mini App changes chats through bot.chats, as the commands do, never through handlers.
    "bot.webapp": ("handlers", "bot.feeds", "bot.demo", "bot.standin", "bot.app"),
    "bot.standin": ("handlers", "storage"),
    "handlers": ("bot.standin", "bot.demo", "bot.app"),
}


def module_name(path: Path) -> str:
    """The dotted name of a source file of the project."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name a source file imports, at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def covers(prefix: str, name: str) -> bool:
    """Whether a dotted name is the prefix or lies under it."""
    return name == prefix or name.startswith(prefix + ".")


def wrong_way_imports() -> list[str]:
    """Each import that points the wrong way, as 'importer → imported'."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            importer = module_name(path)
            rules = [bans for part, bans in FORBIDDEN.items() if covers(part, importer)]
            for imported in sorted(imported_modules(path)):
                if any(covers(ban, imported) for bans in rules for ban in bans):
                    found.append(f"{importer} → {imported}")
    return found


def test_imports_point_one_way() -> None:
    assert wrong_way_imports() == []


def test_only_the_composition_root_in_bot_imports_handlers() -> None:
    importers = {
        module_name(path)
        for path in (ROOT / "bot").rglob("*.py")
        if any(covers("handlers", name) for name in imported_modules(path))
    }
    assert importers == {"bot.app"}


@pytest.mark.parametrize(
    ("importer", "imported"),
    [("storage.outbox", "bot.delivery.render"), ("bot.feeds.poller", "handlers.latest")],
)
def test_the_check_sees_a_wrong_way_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, importer: str, imported: str
) -> None:
    # The same walk over a copy of the layout with one wrong import added must report it.
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            target = tmp_path / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    module = tmp_path / Path(*importer.split(".")).with_suffix(".py")
    module.write_text(module.read_text(encoding="utf-8") + f"\nimport {imported}\n", "utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert wrong_way_imports() == [f"{importer} → {imported}"]
