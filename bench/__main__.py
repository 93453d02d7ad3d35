"""Run every benchmark, each in its own process, and append their figures to bench/results.md.

    python -m bench

/latest and memory share one generated database (a million items take a while to write).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = (
    "bench_ingest",
    "bench_match",
    "bench_fanout",
    "bench_latency",
    "bench_latest",
    "bench_memory",
    "bench_search_load",
)
SHARED_DATABASE = frozenset({"bench_latest", "bench_memory"})


def run_one(name: str, database: Path) -> float:
    """Run one benchmark module; return its seconds (raises if it failed)."""
    arguments = ["--database", str(database)] if name in SHARED_DATABASE else []
    print(f"\n=== bench.{name} ===", flush=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", f"bench.{name}", *arguments], check=True)
    return time.monotonic() - started


def main() -> int:
    print(f"benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    timings: dict[str, float] = {}
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "shared.db"
        for name in BENCHMARKS:
            try:
                timings[name] = run_one(name, database)
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
