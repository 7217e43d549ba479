"""What misconception detection costs: a wrong submission graded with and without it.

For each topic the submission is the reference solution with as many of the catalogued,
detectable mistakes (tests/mutants/<topic>.py entries with ``detects=``) applied as fit
together, so that most of the topic's checks fail and detection runs on each of them.

A (the product): the grader as shipped. B: the same grader with ``grader.core.plugin.detect``
replaced by a function that finds nothing. Both run in this one process (TensorFlow imported
once, before timing), alternating A and B for ``--rounds`` rounds. Prints per-topic medians,
the ratio A/B (target <= 1.10: feedback must not make grading noticeably slower) and how many
failing checks named a mistake.

    python benchmarks/bench_feedback.py [--rounds 5] [--topics activations losses ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grader.course.topics import TOPICS  # noqa: E402 - after the checkout is on sys.path

# The numpy-only topics (the Keras topics' mistakes are about models, not values).
DEFAULT_TOPICS = [t.slug for t in TOPICS if t.numpy_only]


def slipped_source(topic: str) -> tuple[str, list[str]]:
    """The reference with every detectable mistake that still applies after the earlier ones."""
    from tests.mutants import all_mutants

    src = (REPO / "solutions" / f"{topic}.py").read_text(encoding="utf-8")
    applied, functions = [], set()
    for m in all_mutants().get(topic, []):
        if not m.detects or m.function in functions:
            continue
        try:
            src = m.apply(src)
        except AssertionError:  # its text was changed by an earlier mistake
            continue
        applied.append(m.detects)
        functions.add(m.function)
    return src, applied


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--topics", nargs="*", default=DEFAULT_TOPICS)
    ap.add_argument("--seed", type=int, default=20261127)
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import tensorflow  # noqa: F401 - imported once, outside every timing

    import grader.core.plugin as plugin
    from grader.config import Settings
    from grader.core.runner import run

    real_detect = plugin.detect
    tmp = Path(tempfile.mkdtemp(prefix="bench-feedback-"))
    rows = []
    for topic in args.topics:
        src, applied = slipped_source(topic)
        if not applied:
            print(f"{topic}: no detectable mistakes catalogued; skipped")
            continue
        sub = tmp / topic
        sub.mkdir()
        (sub / f"{topic}.py").write_text(src, encoding="utf-8")
        times = {"A": [], "B": []}
        named = failed = 0
        for r in range(args.rounds + 1):  # round 0 warms caches and is not counted
            for label in ("A", "B") if r % 2 else ("B", "A"):
                plugin.detect = real_detect if label == "A" else (lambda *args, **kwargs: None)
                t0 = time.perf_counter()
                result = run(Settings(submission=sub, topics=(topic,), seed=args.seed, lang="en"))
                elapsed = time.perf_counter() - t0
                if r:
                    times[label].append(elapsed)
                if label == "A":
                    checks = [c for t in result.topics for c in t.checks]
                    failed = sum(c.status == "failed" for c in checks)
                    named = sum(bool(c.details.get("misconception")) for c in checks)
        plugin.detect = real_detect
        a, b = statistics.median(times["A"]), statistics.median(times["B"])
        rows.append((topic, len(applied), failed, named, a, b))
    print(
        f"\n{'topic':16} {'mistakes':>8} {'failed':>6} {'named':>5} {'A with (s)':>10} {'B without (s)':>13} {'A/B':>6}"
    )
    for topic, n, failed, named, a, b in rows:
        print(f"{topic:16} {n:8d} {failed:6d} {named:5d} {a:10.3f} {b:13.3f} {a / b:6.3f}")
    total_a, total_b = sum(r[4] for r in rows), sum(r[5] for r in rows)
    print(
        f"{'all':16} {sum(r[1] for r in rows):8d} {sum(r[2] for r in rows):6d} {sum(r[3] for r in rows):5d} "
        f"{total_a:10.3f} {total_b:13.3f} {total_a / total_b:6.3f}   (sum of medians, {args.rounds} rounds)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
