"""Time `grader run --submission solutions` against a bare in-process baseline.

A (the product): the `grader` command on the reference solutions, in a fresh process:
TF import, one isolated worker per topic, pytest collection, checks, all three reports.

B (the floor): one fresh plain Python process that imports TensorFlow and executes the very
same check functions with the very same TF reference computations, calling the solution
functions directly in-process (no pytest, no workers, no codec, no reports).

A is run with the reference store off (every expected value computed, as on a first run);
A+ (the repeated run) is A with a warm reference store (GRADER_CACHE_DIR, filled by one untimed
run first): what `grader run --seed N` costs the second time, as a student re-grading does.

A' (the sandbox's cost): A with every worker's OS confinement skipped
(GRADER_UNSAFE_NO_SANDBOX=1; benchmarks only). The ratio A/B next to A'/B is the sandbox's share.

A~ (how workers start): A with `--set worker_start=spawn` (each worker a fresh interpreter
instead of a fork from the run's zygotes).

A, A+, A', A~ and B alternate, N rounds each; the script prints medians and the ratios A/B, A+/B,
A'/B and A/A', plus where A's time goes (TF import alone, checks, report rendering).

    python benchmarks/bench_run.py [--rounds 3] [--topics activations losses ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grader.course.topics import TOPICS  # noqa: E402 - after the checkout is on sys.path

# Every topic but MNIST, whose training takes a minute on its own.
DEFAULT_TOPICS = [t.slug for t in TOPICS if t.slug != "mnist"]


def _timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--topics", nargs="*", default=DEFAULT_TOPICS)
    args = ap.parse_args()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = Path(tempfile.mkdtemp(prefix="bench-"))
    grader_cmd = [
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
    ]
    base_cmd = [sys.executable, str(Path(__file__).with_name("baseline.py")), *args.topics, "--seed", "1"]
    tf_cmd = [sys.executable, "-c", "import tensorflow, keras"]

    cold_cmd = [*grader_cmd, "--set", "reference_cache=off"]
    warm_env = {**env, "GRADER_CACHE_DIR": tempfile.mkdtemp(prefix="bench-cache-")}
    warm_out = tempfile.mkdtemp(prefix="bench-warm-")
    warm_cmd = [warm_out if arg == str(out) else arg for arg in grader_cmd]
    first = subprocess.run(warm_cmd, cwd=REPO, env=warm_env, capture_output=True, text=True)
    if first.returncode != 0:
        raise SystemExit(f"filling the reference store failed with exit {first.returncode}: {first.stderr[-2000:]}")
    off_env = {**env, "GRADER_UNSAFE_NO_SANDBOX": "1"}
    out_off = Path(tempfile.mkdtemp(prefix="bench-off-"))
    out_spawn = tempfile.mkdtemp(prefix="bench-spawn-")
    spawn_cmd = [out_spawn if arg == str(out) else arg for arg in cold_cmd] + ["--set", "worker_start=spawn"]
    a_times, warm_times, off_times, b_times, tf_times, check_sums, render_times = [], [], [], [], [], [], []
    spawn_times = []
    for i in range(args.rounds):
        ta, pa = _timed(cold_cmd, env)
        if pa.returncode != 0:
            print(pa.stdout[-2000:], pa.stderr[-2000:])
            raise SystemExit(f"grader run failed with exit {pa.returncode}")
        if not json.loads((out / "results.json").read_text())["sandbox"].get("confined"):
            raise SystemExit("the workers were not fully confined: this measures nothing (see `grader doctor`)")
        tw, pw = _timed(warm_cmd, warm_env)
        if pw.returncode != 0:
            raise SystemExit(f"grader run with a warm store failed with exit {pw.returncode}: {pw.stderr[-2000:]}")
        warm_times.append(tw)
        off_cmd = [str(out_off) if arg == str(out) else arg for arg in cold_cmd]
        toff, poff = _timed(off_cmd, off_env)
        if poff.returncode != 0:
            print(poff.stdout[-2000:], poff.stderr[-2000:])
            raise SystemExit(f"grader run without the sandbox failed with exit {poff.returncode}")
        off_times.append(toff)
        ts, ps = _timed(spawn_cmd, env)
        if ps.returncode != 0:
            raise SystemExit(f"grader run with spawned workers failed with exit {ps.returncode}: {ps.stderr[-2000:]}")
        spawn_times.append(ts)
        tb, pb = _timed(base_cmd, env)
        if pb.returncode != 0:
            print(pb.stdout[-2000:], pb.stderr[-2000:])
            raise SystemExit(f"baseline failed with exit {pb.returncode}")
        tt, _ = _timed(tf_cmd, env)
        data = json.loads((out / "results.json").read_text())
        check_sums.append(sum(c["duration"] for t in data["topics"] for c in t["checks"]))
        render_times.append(_render_time(out))
        a_times.append(ta)
        b_times.append(tb)
        tf_times.append(tt)
        print(
            f"round {i + 1}: grader {ta:.2f} s   repeated (warm store) {tw:.2f} s   "
            f"grader without sandbox {toff:.2f} s   spawned workers {ts:.2f} s   baseline {tb:.2f} s   "
            f"import tensorflow {tt:.2f} s",
            flush=True,
        )

    ma, mb, moff = statistics.median(a_times), statistics.median(b_times), statistics.median(off_times)
    print()
    print(f"topics: {' '.join(args.topics)}; rounds: {args.rounds}; TF {data['tensorflow_version']}")
    print(f"median grader run          : {ma:.2f} s   (workers confined: {', '.join(data['sandbox']['applied'])})")
    mw = statistics.median(warm_times)
    print(f"median repeated run (warm) : {mw:.2f} s   (ratio to baseline {mw / mb:.2f})")
    print(f"median grader, no sandbox  : {moff:.2f} s")
    ms = statistics.median(spawn_times)
    print(f"median worker_start=spawn  : {ms:.2f} s   (fork / spawn {ma / ms:.3f})")
    print(f"median in-process baseline : {mb:.2f} s")
    print(
        f"ratio grader / baseline    : {ma / mb:.2f}   (without the sandbox: {moff / mb:.2f}; "
        f"sandbox on / off: {ma / moff:.3f})"
    )
    print(
        f"where the grader's time goes (medians): import tensorflow {statistics.median(tf_times):.2f} s, "
        f"checks (sum of pytest call durations) {statistics.median(check_sums):.2f} s, "
        f"rendering the three reports {statistics.median(render_times) * 1000:.0f} ms, "
        f"rest (start-up, workers, collection) "
        f"{ma - statistics.median(tf_times) - statistics.median(check_sums):.2f} s"
    )
    return 0


def _render_time(out: Path) -> float:
    from grader.core.results import RunResult
    from grader.outputs.report import write_reports

    result = RunResult.from_dict(json.loads((out / "results.json").read_text()))
    t0 = time.perf_counter()
    write_reports(result, Path(tempfile.mkdtemp(prefix="render-")))
    return time.perf_counter() - t0


if __name__ == "__main__":
    raise SystemExit(main())
