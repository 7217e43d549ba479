"""What the OS sandbox of the workers costs: the same work with and without it, side by side.

ON : as shipped, every worker confined (privilege drop, prctl, Landlock, seccomp, subreaper).
OFF: the same with GRADER_UNSAFE_NO_SANDBOX=1 (every mechanism skipped; benchmarks only).

Three measurements, ON and OFF alternating in every round so drift on a shared machine hits both:

1. worker start-up: spawn -> the worker's first frame (boot, confinement), one worker on an
   empty submission, in this process;
2. a full `grader run` of the reference solutions (fresh process, TOPICS);
3. `grader batch` of a generated class of N students (benchmarks/bench_batch.py's class).

Prints the medians, the ratio ON/OFF of each, and what ON applied.

    python benchmarks/bench_sandbox.py [--rounds 3] [--topics activations ...] [--students 20] [--jobs J]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OFF = "GRADER_UNSAFE_NO_SANDBOX"


def _timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-3000:])
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed with exit {proc.returncode}")
    return elapsed, proc


def _startup(sandbox_on: bool, n: int) -> tuple[list[float], dict]:
    """Seconds from spawning a worker to its first frame (boot and confinement), n times."""
    from grader.config import Limits
    from grader.sandbox import client

    if sandbox_on:
        os.environ.pop(OFF, None)
    else:
        os.environ[OFF] = "1"
    times, report = [], {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-empty-") as empty:
            for _ in range(n):
                copy = client.SubmissionCopy(Path(empty))
                pool = client.WorkerPool(
                    copy, [client.ModuleSpec("bench", "bench.py", True)], Limits(), mode="best-effort"
                )
                try:
                    t0 = time.perf_counter()
                    pool.start_all()
                    pool.get("bench")._await_hello()
                    times.append(time.perf_counter() - t0)
                finally:
                    pool.close()
                    copy.cleanup()
                report = pool.sandbox()
    finally:
        os.environ.pop(OFF, None)
    return times, report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--topics", nargs="*", default=["activations", "losses", "optimizers"])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--batch-topics", nargs="*", default=["activations"])
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--startups", type=int, default=10, help="worker start-ups per side and round")
    args = ap.parse_args()

    from benchmarks.bench_batch import make_class

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop(OFF, None)
    env_off = {**env, OFF: "1"}
    work = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    klass = work / "class"
    make_class(klass, args.batch_topics, args.students)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; rounds {args.rounds}", flush=True)

    start = {True: [], False: []}
    runs = {True: [], False: []}
    batches = {True: [], False: []}
    applied = {}
    for i in range(args.rounds):
        for on in (True, False) if i % 2 == 0 else (False, True):
            ts, report = _startup(on, args.startups)
            start[on] += ts
            if on:
                applied = report
                if not report.get("confined"):
                    raise SystemExit(
                        f"workers are not fully confined here ({report.get('not_confined')}): "
                        f"this measures nothing; see `grader doctor`"
                    )
            out = work / f"run-{i}-{on}"
            t, _ = _timed(
                [
                    sys.executable,
                    "-m",
                    "grader.cli",
                    "run",
                    *args.topics,
                    "--submission",
                    "solutions",
                    "--out",
                    str(out),
                    "--seed",
                    "1",
                    "-q",
                ],
                env if on else env_off,
            )
            box = json.loads((out / "results.json").read_text())["sandbox"]
            assert box["confined"] == on, box
            runs[on].append(t)
            bout = work / f"batch-{i}-{on}"
            cmd = [
                sys.executable,
                "-m",
                "grader.cli",
                "batch",
                str(klass),
                *args.batch_topics,
                "--out",
                str(bout),
                "--seed",
                "1",
                "-q",
                "--sandbox",
                "strict" if on else "best-effort",
            ]
            if args.jobs is not None:
                cmd += ["--jobs", str(args.jobs)]
            t, _ = _timed(cmd, env if on else env_off)
            batches[on].append(t)
        print(
            f"round {i + 1}: start-up on {statistics.median(start[True][-args.startups :]) * 1000:.0f} ms / off "
            f"{statistics.median(start[False][-args.startups :]) * 1000:.0f} ms; run on {runs[True][-1]:.2f} s / off "
            f"{runs[False][-1]:.2f} s; batch on {batches[True][-1]:.2f} s / off {batches[False][-1]:.2f} s",
            flush=True,
        )

    def line(what: str, on: list[float], off: list[float], unit: str = "s", scale: float = 1.0) -> None:
        mon, moff = statistics.median(on) * scale, statistics.median(off) * scale
        print(f"{what:<44}: on {mon:8.2f} {unit}   off {moff:8.2f} {unit}   on/off {mon / moff:.3f}")

    print()
    print(f"applied when on: {', '.join(applied.get('applied', []))}")
    line("worker start-up to its first frame (median)", start[True], start[False], "ms", 1000)
    line(f"grader run {' '.join(args.topics)}", runs[True], runs[False])
    line(f"grader batch of {args.students} ({' '.join(args.batch_topics)})", batches[True], batches[False])
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
