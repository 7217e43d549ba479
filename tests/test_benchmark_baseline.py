"""The floor bench_run.py measures against must keep running the checks it claims to run.

benchmarks/baseline.py calls the check functions in-process with a stand-in for StudentModule;
when the checks grow a new StudentModule method the stand-in must follow, or bench_run.py has no
floor to compare with (as happened when the checks started announcing calls: ``prefetch``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from grader.course.topics import TOPICS

REPO = Path(__file__).resolve().parent.parent


def test_the_baseline_passes_every_check_of_the_reference_solutions():
    topics = [t.slug for t in TOPICS if t.slug != "mnist"]  # as bench_run.py's default
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "benchmarks/baseline.py", *topics],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    counts = re.search(r"(\d+) passed, (\d+) failed", proc.stdout + proc.stderr)
    assert counts, proc.stdout[-2000:]
    passed, failed = map(int, counts.groups())
    assert failed == 0 and passed >= 150, counts.group(0)  # 185 checks when written
