"""Time the project's own test tiers against their budgets.

A (the fast tier): `python -m pytest -m "not slow"` in a fresh process, N rounds: everything
under tests/unit/. Budget: 180 s on 2 cores.

B (the full suite, with --full): `python -m pytest -n 2 --dist loadgroup` once, as scripts/test
runs it (without the linters). Budget: 900 s on 2 cores.

The script prints the median, min and max wall time of each, the ratio to its budget, the test
counts pytest reported, and the load average before and after, since a figure taken on a shared
machine says little: measure on a quiet one.

    python benchmarks/bench_tests.py [--rounds 3] [--full]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FAST_BUDGET, FULL_BUDGET = 180.0, 900.0
FAST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow"]
FULL = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup"]


def _run(cmd: list[str]) -> tuple[float, str, int]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    tail = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return elapsed, (tail[-1].strip("= ") if tail else proc.stdout[-300:]), proc.returncode


def _report(name: str, times: list[float], budget: float, summary: str, rc: int) -> None:
    med = statistics.median(times)
    print(
        f"{name:12} median {med:7.1f} s  min {min(times):7.1f}  max {max(times):7.1f}  "
        f"budget {budget:5.0f} s  median/budget {med / budget:5.2f}  (exit {rc}: {summary})"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the fast tier")
    ap.add_argument("--full", action="store_true", help="also time the full suite once")
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load average before {os.getloadavg()[0]:.1f}")
    times, summary, rc = [], "", 0
    for _ in range(args.rounds):
        elapsed, summary, rc = _run(FAST)
        times.append(elapsed)
    _report("fast tier", times, FAST_BUDGET, summary, rc)
    worst = rc
    if args.full:
        elapsed, summary, rc = _run(FULL)
        _report("full suite", [elapsed], FULL_BUDGET, summary, rc)
        worst = worst or rc
    print(f"load average after {os.getloadavg()[0]:.1f}")
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
