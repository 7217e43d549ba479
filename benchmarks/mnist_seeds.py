"""The reference solution's MNIST test accuracy over many run seeds, as the grader measures it.

Each seed is one `grader run mnist --submission solutions --seed S` (in-process, the full
course training: 4 epochs on the first 55,000 training images, validation on the last 5,000,
test accuracy measured by the grader on the 10,000 test images). Seeds run one after another
(each training uses the machine's cores). Prints every seed's accuracy, the distribution, and
the margin of the smallest accuracy over the configured threshold (grader.config.Settings).
One run takes ~15-60 s depending on the machine.

    python benchmarks/mnist_seeds.py [--seeds 12] [--first 1] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=12, help="how many seeds (default 12)")
    ap.add_argument("--first", type=int, default=1, help="the first seed (default 1)")
    ap.add_argument("--epochs", type=int, default=None, help="override the course's 4 epochs")
    ap.add_argument("--mnist", default=os.environ.get("GRADER_MNIST"), help="mnist.npz (default: $GRADER_MNIST)")
    args = ap.parse_args()

    from grader.config import Settings
    from grader.core.runner import run
    from grader.course.mnist_data import locate_mnist

    npz = str(locate_mnist(args.mnist))
    threshold = Settings(submission=REPO / "solutions").mnist_threshold
    accs: list[float] = []
    for seed in range(args.first, args.first + args.seeds):
        t0 = time.perf_counter()
        result = run(
            Settings(submission=REPO / "solutions", topics=("mnist",), seed=seed, mnist=npz, mnist_epochs=args.epochs)
        )
        checks = {c.name: c for c in result.topics[0].checks}
        acc = checks["test_train_reaches_the_test_accuracy_threshold"].details.get("accuracy")
        other = [
            f"{c.name}: {c.status}"
            for c in checks.values()
            if c.status != "passed" and c.name != "test_train_reaches_the_test_accuracy_threshold"
        ]
        if acc is None:
            print(f"seed {seed}: no accuracy ({other})", flush=True)
            continue
        accs.append(float(acc))
        print(
            f"seed {seed:3d}: test accuracy {acc:.4f}  ({time.perf_counter() - t0:.0f} s){'  ' + str(other) if other else ''}",  # noqa: E501
            flush=True,
        )
    if not accs:
        return 1
    print(
        f"\n{len(accs)} seeds: min {min(accs):.4f}  median {statistics.median(accs):.4f}  "
        f"mean {statistics.fmean(accs):.4f}  std {statistics.pstdev(accs):.4f}  max {max(accs):.4f}"
    )
    print(
        f"threshold {threshold:g}: smallest margin {min(accs) - threshold:+.4f} "
        f"({(min(accs) - statistics.fmean(accs)) / (statistics.pstdev(accs) or 1):+.1f} std from the mean); "
        f"{sum(a >= threshold for a in accs)}/{len(accs)} seeds pass"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
