"""Run every benchmark, each in its own process, and append their figures to bench/results.md.

    python -m bench [--engine sqlite|postgresql|both] [--day]

--day adds the opt-in long run: a day of news at national scale (bench_day, both layouts, one
simulated hour each by default; about 25 minutes).

/latest and memory share one generated SQLite database (a million items take a while to write).
With --engine postgresql (or both), /latest, ingestion and fan-out run on a PostgreSQL server
that each starts for itself (the others, which do not depend on the database, on SQLite).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = (
    "bench_ingest",
    "bench_match",
    "bench_locate",
    "bench_fanout",
    "bench_latency",
    "bench_latest",
    "bench_preview",
    "bench_webapp_page",  # needs Debian's chromium
    "bench_memory",
    "bench_search_load",
    "bench_poll_load",
    "bench_roles",
    "bench_websub",
    "bench_schedule",
    "bench_fulltext",
    "bench_pollers",  # always on PostgreSQL: several poller processes share one database
    "bench_senders",
    "bench_hostile",  # the hardening pass mark under hostile sites; about five minutes
    "bench_wordforms",
    "bench_process_tree",  # without the feedparser project's documents (see its docstring)
)
SHARED_DATABASE = frozenset({"bench_latest", "bench_preview", "bench_memory"})
ON_EITHER_ENGINE = frozenset(
    {"bench_latest", "bench_preview", "bench_ingest", "bench_fanout", "bench_senders"}
)
# Long runs, only when asked for.
OPT_IN = ("bench_day",)


def runs(name: str, database: Path, engine: str) -> list[list[str]]:
    """The arguments of each run of one benchmark module on the chosen engine(s)."""
    if name == "bench_day":
        return [["--layout", "both"]]
    shared = ["--database", str(database)] if name in SHARED_DATABASE else []
    if name not in ON_EITHER_ENGINE or engine == "sqlite":
        return [shared]
    if engine == "both" and shared:
        return [shared, ["--engine", "postgresql"]]
    return [["--engine", engine]]


def run_one(name: str, database: Path, engine: str) -> float:
    """Run one benchmark module; return its seconds (raises if it failed)."""
    print(f"\n=== bench.{name} ===", flush=True)
    started = time.monotonic()
    for arguments in runs(name, database, engine):
        subprocess.run([sys.executable, "-m", f"bench.{name}", *arguments], check=True)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--day", action="store_true", help="also run bench_day (opt-in)")
    args = parser.parse_args()
    engine = args.engine
    print(f"benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    timings: dict[str, float] = {}
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "shared.db"
        for name in (*BENCHMARKS, *(OPT_IN if args.day else ())):
            try:
                timings[name] = run_one(name, database, engine)
            except subprocess.CalledProcessError:
                failed.append(name)
    print("\n=== done ===")
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.0f} s")
    print(f"  total: {sum(timings.values()):.0f} s; figures in bench/results.md")
    if failed:
        print(f"  FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
