"""Benchmark locating: the cost per item of the gazetteer's locator, and its resident memory.

Run: python -m bench.bench_locate [--items N] [--rounds N]

Items are bench_match's generated headlines with their leads (about 500 characters), and
article bodies of 4,000 characters made of those leads. Each round times both sets, one after
the other; the figure is the median round. Memory is measured in a fresh process: resident
set before and after importing the locator and loading the gazetteer.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_match import SEED, make_items
from bench.report import append_result
from bot.places.gazetteer import Gazetteer
from bot.places.locate import locate

BODY_CHARS = 4000
_MEMORY_PROBE = """
import resource, sys
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()
before = rss()
from bot.places.gazetteer import Gazetteer
from bot.places.locate import locate
gazetteer = Gazetteer.load()
locate(gazetteer, title="Banjir di Garut", teaser="SORONG, ANTARA - Harga naik.")
print(rss() - before)
"""


def bodies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(title, 4,000-character body) pairs made of generated leads."""
    pool = make_items(rng, count * 8)
    made = []
    for number in range(count):
        text = ""
        while len(text) < BODY_CHARS:
            text += " " + rng.choice(pool).text
        made.append((pool[number].title, text[:BODY_CHARS]))
    return made


def per_item_ms(gazetteer: Gazetteer, items: list[tuple[str, str]], *, article: bool) -> float:
    """CPU milliseconds per item to locate every item once (the machine is shared: CPU time
    is what locating costs, wall time also what other processes take)."""
    started = time.process_time()
    for title, text in items:
        if article:
            locate(gazetteer, title=title, article=text)
        else:
            locate(gazetteer, title=title, teaser=text)
    return (time.process_time() - started) * 1000 / len(items)


def resident_mb() -> float:
    """Resident memory the locator and a loaded gazetteer add to a fresh process, in MB."""
    root = Path(__file__).resolve().parents[1]
    answer = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE], check=True, capture_output=True, text=True, cwd=root
    )
    return int(answer.stdout) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(SEED)
    started = time.perf_counter()
    gazetteer = Gazetteer.load()
    load_ms = (time.perf_counter() - started) * 1000
    teasers = [(item.title, item.text) for item in make_items(rng, args.items)]
    articles = bodies(rng, args.items // 4)
    short, long = [], []
    for _ in range(args.rounds):
        short.append(per_item_ms(gazetteer, teasers, article=False))
        long.append(per_item_ms(gazetteer, articles, article=True))
    memory = resident_mb()
    teaser_ms, body_ms = statistics.median(short), statistics.median(long)
    print(f"load {load_ms:.0f} ms; headline+teaser {teaser_ms:.4f} ms/item; ", end="")
    print(f"4,000-char body {body_ms:.4f} ms/item; resident +{memory:.1f} MB")
    append_result(
        "locate: places of an item (bench/bench_locate.py)",
        f"headline+teaser {teaser_ms:.3f} ms/item, 4,000-char body {body_ms:.3f} ms/item, "
        f"gazetteer +{memory:.1f} MB resident, load {load_ms:.0f} ms",
        "<= 0.2 ms/item, <= 30 MB",
        f"{args.items} teasers (~500 chars) / {len(articles)} bodies, median of {args.rounds} "
        "rounds, CPU time",
    )


if __name__ == "__main__":
    main()
