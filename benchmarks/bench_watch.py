"""Time a re-grade by `grader watch` after a save against a cold `grader run` of the same topic.

A (the product): `grader watch TOPIC` running in its own process on a scratch copy of the
reference solution. After its first grade, the script saves the topic module N times,
alternating a wrong and the correct version (so every save changes the verdict), and times
each save from the write to the moment results.json holds the new verdict (what a student
waits for: event, intake, fresh workers, checks, the three reports).

B (what it replaces): a cold `grader run TOPIC` of the same submission in a fresh process
(TensorFlow import, pytest start-up and collection, workers, checks, reports), N times.

A and B are measured in the same run, B between A's saves (so both see the same load). The
script prints both medians and their ratio. Target: A <= 1 s for a numpy topic on 2 cores.

C (the notebook): ``self_check("softmax")`` called repeatedly in one fresh Python process (a
kernel), editing the function between calls: the first call's time (TensorFlow and the
checks load) and the median of the later ones. Target: later calls < 2 s.

    python benchmarks/bench_watch.py [--topic activations] [--saves 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# One realistic slip per topic: the save flips the verdict of at least one check.
SLIPS = {
    "activations": ("z = x - np.max(x, axis=axis, keepdims=True)", "z = x"),
    "losses": ("np.clip(", "(lambda v, lo, hi: v)("),
    "schedules": ('side="left"', 'side="right"'),
    # A Keras topic: its re-graded worker forks from the session's TensorFlow zygote.
    "models": (
        'activation="sigmoid", kernel_initializer="he_normal", name="layer3"',
        'activation="relu", name="layer3"',
    ),
}


def _verdict(path: Path) -> tuple[float, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data["score"], data["started_at"]


def _wait(path: Path, old, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        now = _verdict(path)
        if now is not None and now != old:
            return time.perf_counter()
        time.sleep(0.005)
    raise SystemExit(f"no new results in {path} after {timeout} s")


_SELF_CHECK = """
import json, sys, time
src = open(sys.argv[1]).read()
wrong = src.replace(sys.argv[2], sys.argv[3], 1)
from grader.notebook import self_check
times = []
for i in range(int(sys.argv[4]) + 1):
    code = wrong if i % 2 else src
    ns = {}
    exec(compile(code, "<cell>", "exec"), ns)
    ns["_ih"] = ["", code]
    t = time.perf_counter()
    report = self_check("softmax", ns, show=False, seed=1)
    times.append(time.perf_counter() - t)
    assert report.max_score > 0
print(json.dumps(times))
"""


def self_check_times(calls: int, env: dict) -> list[float]:
    old, new = SLIPS["activations"]
    proc = subprocess.run(
        [sys.executable, "-c", _SELF_CHECK, str(REPO / "solutions" / "activations.py"), old, new, str(calls)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"self_check failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topic", default="activations", choices=sorted(SLIPS))
    ap.add_argument("--saves", type=int, default=7, help="saves to time (>= 5)")
    args = ap.parse_args()
    if args.saves < 5:
        raise SystemExit("--saves must be at least 5")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO)}
    tmp = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    sub, out, cold_out = tmp / "sub", tmp / "watch-out", tmp / "run-out"
    sub.mkdir()
    correct = (REPO / "solutions" / f"{args.topic}.py").read_text(encoding="utf-8")
    old, new = SLIPS[args.topic]
    assert old in correct, f"the slip for {args.topic} no longer applies"
    wrong = correct.replace(old, new, 1)
    module = sub / f"{args.topic}.py"
    module.write_text(correct, encoding="utf-8")

    watch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader.cli",
            "watch",
            args.topic,
            "--submission",
            str(sub),
            "--out",
            str(out),
            "--seed",
            "1",
            "--lang",
            "en",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    regrades, colds = [], []
    try:
        started = time.perf_counter()
        results = out / "results.json"
        _wait(results, None, 600)
        print(f"watch: first grade (TF import, checks loaded) after {time.perf_counter() - started:.2f} s", flush=True)
        for i in range(args.saves):
            time.sleep(1.0)  # a student reads the summary before the next save
            before = _verdict(results)
            t0 = time.perf_counter()
            module.write_text(wrong if i % 2 == 0 else correct, encoding="utf-8")
            regrades.append(_wait(results, before, 120) - t0)
            t1 = time.perf_counter()
            cold = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "grader.cli",
                    "run",
                    args.topic,
                    "--submission",
                    str(sub),
                    "--out",
                    str(cold_out),
                    "--seed",
                    "1",
                    "-q",
                    "--lang",
                    "en",
                ],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
            )
            colds.append(time.perf_counter() - t1)
            if cold.returncode not in (0, 1):
                raise SystemExit(f"grader run failed ({cold.returncode}): {cold.stderr[-2000:]}")
            print(f"save {i + 1}: re-grade {regrades[-1]:.3f} s   cold grader run {colds[-1]:.2f} s", flush=True)
    finally:
        watch.send_signal(signal.SIGINT)
        try:
            watch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            watch.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    a, b = statistics.median(regrades), statistics.median(colds)
    nb = self_check_times(args.saves, env)
    print()
    print(
        f"topic: {args.topic}; saves: {args.saves}; cores: {os.cpu_count()}; "
        f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"median re-grade after a save (grader watch) : {a:.3f} s   (min {min(regrades):.3f}, max {max(regrades):.3f})"
    )
    print(f"median cold grader run                      : {b:.2f} s")
    print(
        f"ratio cold / re-grade                       : {b / a:.1f}x   target re-grade <= 1 s: "
        f"{'met' if a <= 1.0 else 'NOT met'}"
    )
    later = statistics.median(nb[1:])
    print(
        f"self_check('softmax') in one process       : first call {nb[0]:.2f} s, then median {later:.3f} s "
        f"over {len(nb) - 1} calls   target < 2 s: {'met' if later < 2.0 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
