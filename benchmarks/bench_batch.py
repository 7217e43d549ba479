"""Time `grader batch` on a generated class against single `grader run` calls, same machine, same run.

The class: N submissions generated from solutions/ (every third one correct, the others with one
or two realistic mistakes from tests/mutants/<topic>.py applied as text patches).

A (the product): `grader batch CLASS TOPICS --out DIR --seed S [--jobs J]` in a fresh process;
    cost per student = wall time / N.
B (the old way): `grader run TOPICS --submission STUDENT --seed S` in a fresh process for each
    of the same N students, one after another; cost per student = the median of those.

To limit drift on a shared machine, half of the single runs go before the batch and half
after. Prints medians, the ratio A/B (target <= 0.15, issue #14), and checks that the verdicts agree.

A' (--spawn-too): the same batch again with `--set worker_start=spawn` (every worker a fresh
interpreter instead of a fork from the batch process's zygotes), right after A.

A'' (--share-rounds K): K more pairs right after A, alternating `--set batch_cpus=share` (batch
processes and their workers wherever the system schedules them) and the default `pin` (each on a
core of its own); prints both medians (A counts as a pinned run).

    python benchmarks/bench_batch.py [--students 20] [--topics activations] [--jobs J] [--spawn-too]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
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


def make_class(dest: Path, topics: list[str], n: int, seed: int = 0) -> list[str]:
    """Write ``n`` student folders under ``dest``; returns their names."""
    from tests.mutants import all_mutants

    catalogue = all_mutants()
    rnd = random.Random(seed)
    names = []
    for i in range(n):
        name = f"student{i:03d}"
        folder = dest / name
        folder.mkdir(parents=True)
        for topic in topics:
            src = (REPO / "solutions" / f"{topic}.py").read_text(encoding="utf-8")
            mutants = list(catalogue.get(topic, []))
            if i % 3 and mutants:
                for m in rnd.sample(mutants, k=min(len(mutants), 1 + (i % 2))):
                    with contextlib.suppress(AssertionError):  # two mutants touching the same text: keep the first
                        src = m.apply(src)
            (folder / f"{topic}.py").write_text(src, encoding="utf-8")
        names.append(name)
    return names


# MNIST trains for minutes per student: it would measure Keras' fit, not the grader.
ALL_BUT_MNIST = [
    "activations",
    "initializers",
    "models",
    "losses",
    "backprop",
    "optimizers",
    "schedules",
    "regularization",
]


def _timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def _verdicts(results_json: Path) -> dict[str, tuple[str, float]]:
    data = json.loads(results_json.read_text())
    return {c["id"]: (c["status"], c["points"]) for t in data["topics"] for c in t["checks"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=20)
    ap.add_argument("--topics", nargs="*", default=ALL_BUT_MNIST, help="default: the 8 topics without MNIST")
    ap.add_argument(
        "--jobs", type=int, default=None, help="batch processes (default: grader's default, the core count)"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("--spawn-too", action="store_true", help="also time the batch with worker_start=spawn")
    ap.add_argument(
        "--share-rounds", type=int, default=0, help="pairs of batches with batch_cpus=share and pin, alternated"
    )
    args = ap.parse_args()

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    klass = work / "class"
    names = make_class(klass, args.topics, args.students)
    print(
        f"class: {len(names)} students in {klass}; topics {' '.join(args.topics)}; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    single_times: dict[str, float] = {}

    def singles(subset: list[str]) -> None:
        for name in subset:
            out = work / "single" / name
            cmd = [
                sys.executable,
                "-m",
                "grader.cli",
                "run",
                *args.topics,
                "--submission",
                str(klass / name),
                "--out",
                str(out),
                "--seed",
                str(args.seed),
                "-q",
            ]
            t, proc = _timed(cmd, env)
            if proc.returncode not in (0, 1):
                print(proc.stdout[-2000:], proc.stderr[-2000:])
                raise SystemExit(f"grader run failed for {name} with exit {proc.returncode}")
            single_times[name] = t
            print(f"  grader run {name}: {t:.2f} s", flush=True)

    half = len(names) // 2
    singles(names[:half])
    batch_out = work / "batch"
    cmd = [
        sys.executable,
        "-m",
        "grader.cli",
        "batch",
        str(klass),
        *args.topics,
        "--out",
        str(batch_out),
        "--seed",
        str(args.seed),
        "-q",
    ]
    if args.jobs is not None:
        cmd += ["--jobs", str(args.jobs)]
    load_before = os.getloadavg()[0]
    t_batch, proc = _timed(cmd, env)
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit(f"grader batch failed with exit {proc.returncode}")
    print(f"  grader batch ({len(names)} students): {t_batch:.2f} s", flush=True)
    print("  " + proc.stdout.strip().replace("\n", "\n  "), flush=True)
    t_spawn = None
    if args.spawn_too:
        spawn_cmd = [*cmd, "--set", "worker_start=spawn"]
        spawn_cmd[spawn_cmd.index(str(batch_out))] = str(work / "batch-spawn")
        t_spawn, proc = _timed(spawn_cmd, env)
        if proc.returncode not in (0, 1):
            print(proc.stdout[-2000:], proc.stderr[-2000:])
            raise SystemExit(f"grader batch (spawn) failed with exit {proc.returncode}")
        print(f"  grader batch, worker_start=spawn: {t_spawn:.2f} s", flush=True)
    pinned, shared = [t_batch], []
    for i in range(args.share_rounds):
        for placement, times in (("share", shared), ("pin", pinned)):
            out = work / f"batch-{placement}-{i}"
            run_cmd = [*cmd, "--set", f"batch_cpus={placement}"]
            run_cmd[run_cmd.index(str(batch_out))] = str(out)
            t, proc = _timed(run_cmd, env)
            if proc.returncode not in (0, 1):
                print(proc.stdout[-2000:], proc.stderr[-2000:])
                raise SystemExit(f"grader batch (batch_cpus={placement}) failed with exit {proc.returncode}")
            times.append(t)
            print(f"  grader batch, batch_cpus={placement}: {t:.2f} s", flush=True)
    singles(names[half:])

    mismatches = [
        n for n in names if _verdicts(batch_out / n / "results.json") != _verdicts(work / "single" / n / "results.json")
    ]
    manifest = json.loads((batch_out / "batch.json").read_text())
    per_student = [json.loads((batch_out / n / "results.json").read_text())["duration"] for n in names]
    med_single = statistics.median(single_times.values())
    per_batch = t_batch / len(names)
    print()
    print(
        f"students: {len(names)}; topics: {' '.join(args.topics)}; batch processes: {manifest['jobs']}; "
        f"cores: {os.cpu_count()}; load average before the batch: {load_before:.1f}"
    )
    print(
        f"median single `grader run` (wall, fresh process) : {med_single:.2f} s "
        f"(min {min(single_times.values()):.2f}, max {max(single_times.values()):.2f})"
    )
    print(f"`grader batch` wall time                         : {t_batch:.2f} s")
    print(f"batch cost per student (wall / students)         : {per_batch:.2f} s")
    print(f"median in-batch grading time of one student      : {statistics.median(per_student):.2f} s")
    # Where the batch's wall time goes: grading, spread over the processes, and the rest (starting
    # the processes and their zygotes, TensorFlow's imports, the class files at the end).
    jobs = int(manifest["jobs"] or 1)
    grading = sum(per_student) / jobs
    print(
        f"grading (sum of students' times / processes)    : {grading:.2f} s; the rest (start-up, "
        f"imports, class files) {t_batch - grading:.2f} s; first student of each process "
        f"{', '.join(f'{x:.2f}' for x in per_student[:jobs])} s"
    )
    print(f"ratio batch per student / single run             : {per_batch / med_single:.3f}  (target <= 0.15)")
    if t_spawn is not None:
        print(
            f"same batch with worker_start=spawn               : {t_spawn:.2f} s "
            f"({t_spawn / len(names):.2f} s per student, ratio {t_spawn / len(names) / med_single:.3f}; "
            f"fork/spawn {t_batch / t_spawn:.3f})"
        )
    if shared:
        mp, ms = statistics.median(pinned), statistics.median(shared)
        print(
            f"batch_cpus=pin / share (medians of {len(pinned)} / {len(shared)}) : {mp:.2f} / {ms:.2f} s "
            f"(pin/share {mp / ms:.3f})"
        )
    print(f"reference cache (all batch processes)            : {manifest.get('reference_cache')}")
    same = "yes" if not mismatches else "NO: " + ", ".join(mismatches)
    print(f"verdicts identical to `grader run`               : {same}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not mismatches else 1


if __name__ == "__main__":
    raise SystemExit(main())
