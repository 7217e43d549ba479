"""What TF's op determinism costs the MNIST training, and whether the same seed repeats.

Alternates fresh processes that train the reference network (solutions/mnist.py) for the
course's batch size on the first 55,000 training images, seeded as the grader's driver
seeds them (grader.course.mnist_driver.seed_everything), with op determinism off (A) and on
(B). Prints the fit time medians, the ratio B/A and, per mode, whether every run with the same
seed reached the same test accuracy and weights.

    python benchmarks/mnist_determinism.py [--rounds 3] [--epochs 1] [--seed 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import importlib.util, json, os, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from grader.course.mnist_driver import seed_everything
det, seed, epochs, npz = sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
spec = importlib.util.spec_from_file_location("ref_mnist", os.path.join(sys.argv[1], "solutions", "mnist.py"))
ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
with np.load(npz) as f:
    xtr, ytr, xte, yte = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
seed_everything(seed, det)
x, y = ref.preprocess(xtr[:55000], ytr[:55000])
xv, yv = ref.preprocess(xtr[55000:], ytr[55000:])
model = ref.build_model()
t0 = time.perf_counter()
model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, validation_data=(xv, yv))
seconds = time.perf_counter() - t0
xt, _ = ref.preprocess(xte, yte)
acc = float((model.predict(xt, batch_size=1000, verbose=0).argmax(1) == yte).mean())
print(json.dumps({"seconds": seconds, "accuracy": acc, "weights": float(np.sum(model.weights[0].numpy(), dtype=np.float64))}))
"""


def _one(det: bool, seed: int, epochs: int, npz: str) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(REPO), "1" if det else "0", str(seed), str(epochs), npz],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--mnist", default=os.environ.get("GRADER_MNIST"))
    args = ap.parse_args()
    if not args.mnist:
        ap.error("pass --mnist PATH or set GRADER_MNIST")
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for r in range(args.rounds):
        for det in (False, True):
            res = _one(det, args.seed, args.epochs, args.mnist)
            runs[det].append(res)
            print(
                f"round {r + 1} {'B determinism on ' if det else 'A determinism off'}: fit {res['seconds']:.1f} s, "
                f"accuracy {res['accuracy']:.4f}",
                flush=True,
            )
    a = statistics.median(x["seconds"] for x in runs[False])
    b = statistics.median(x["seconds"] for x in runs[True])
    print(f"\nfit time median: A (off) {a:.1f} s, B (on) {b:.1f} s, ratio B/A {b / a:.2f}")
    for det, rs in runs.items():
        same = len({(x["accuracy"], x["weights"]) for x in rs}) == 1
        print(
            f"{'B' if det else 'A'}: {len(rs)} runs with seed {args.seed} {'all identical' if same else 'DIFFER'} "
            f"(accuracies {sorted({x['accuracy'] for x in rs})})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
