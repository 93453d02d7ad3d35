"""Resident memory of this process and every process it started, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")


def tree_resident_bytes(root: int) -> int:
    """The resident set of the process and all its descendants, in bytes (0: no /proc)."""
    page = os.sysconf("SC_PAGE_SIZE")
    return sum(_resident_pages(pid) for pid in (root, *descendants(root))) * page


def descendants(root: int) -> set[int]:
    """Every live process started by root or by one of its own."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    frontier = [root]
    while frontier:
        frontier = [child for pid in frontier for child in children.get(pid, ())]
        found.update(frontier)
    return found


def _parents() -> list[tuple[int, int]]:
    """(process, its parent) for every process this one can see."""
    pairs = []
    for entry in _scandir():
        if not entry.isdigit():
            continue
        try:
            stat = (_PROC / entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:  # ended since the listing
            continue
        # The command name may hold spaces and parentheses: the fields follow its last ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            pairs.append((int(entry), int(fields[1])))
    return pairs


def _scandir() -> list[str]:
    try:
        return os.listdir(_PROC)
    except OSError:  # no /proc: nothing to count
        return []


def _resident_pages(pid: int) -> int:
    try:
        return int((_PROC / str(pid) / "statm").read_text(encoding="ascii").split()[1])
    except (OSError, IndexError, ValueError):  # ended, or not Linux
        return 0
