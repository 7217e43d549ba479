"""Ctrl-C on a real `grader batch`: prompt stop, nothing half-graded recorded, class files, resume.

A terminal's Ctrl-C is SIGINT to the whole process group; `kill -INT` reaches the parent
alone. Both must stop the batch within seconds, kill every batch process and every worker
(workers run in sessions of their own), record only the students whose grading finished,
write the class files for them and exit 130 with the command that resumes.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest

from grader.batch.roster import graded_students
from grader.cli import main
from grader.errors import ExitCode
from tests.conftest import REPO, SOLUTIONS, assert_no_native_tf_lines
from tests.test_batch import in_process  # noqa: F401 - fixture

TOPIC = "activations"
SOLUTION = (SOLUTIONS / f"{TOPIC}.py").read_text()
SLOW = SOLUTION.replace("def relu(x):\n", "def relu(x):\n    import time\n    time.sleep(600)\n", 1)
assert SLOW != SOLUTION


def _class(root: Path) -> Path:
    # Two processes: one is stuck on a_slow while the other grades b_fast, then c_fast.
    for name, source in (("a_slow", SLOW), ("b_fast", SOLUTION), ("c_fast", SOLUTION)):
        (root / name).mkdir(parents=True)
        (root / name / f"{TOPIC}.py").write_text(source)
    return root


def _start(cls: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader.cli",
            "batch",
            str(cls),
            TOPIC,
            "--out",
            str(out),
            "--seed",
            "11",
            "--jobs",
            "2",
            "--timeout",
            "900",
            "-q",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):  # a finished student's worker on its way out
        return ""


def _alive(procs: list[psutil.Process]) -> list[int]:
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.pid)
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.mark.slow
@pytest.mark.parametrize("target", ["group", "parent", "twice"])
def test_ctrl_c_stops_promptly_and_records_only_finished_students(tmp_path, target, capsys, in_process):  # noqa: F811
    cls, out = _class(tmp_path / "class"), tmp_path / "out"
    proc = _start(cls, out)
    try:
        deadline = time.monotonic() + 400
        while not (out / "b_fast" / "results.json").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "b_fast was never graded"
            time.sleep(0.2)
        time.sleep(0.5)
        tree = psutil.Process(proc.pid).children(recursive=True)
        # The worker and its reaper: spawned (boot) or forked from a zygote (which are here too).
        workers = [p for p in tree if any(m in _cmdline(p) for m in ("grader.sandbox.boot", "grader.sandbox.zygote"))]
        assert any("grader.sandbox.zygote" in _cmdline(p) for p in workers)  # worker_start = fork
        assert workers, "a_slow's worker should be running now"
        assert all(os.getsid(w.pid) != os.getsid(proc.pid) for w in workers)  # out of the terminal's reach
        # NumPy (like TensorFlow) is imported once per batch, not per process: one zygote, a child
        # of the batch command, cloned for each of the two batch processes, which come from the
        # fork server that imported the grader's side once.
        # (b_fast's process may have graded c_fast and retired already, its clone with it.)
        zygotes = [p for p in workers if p.ppid() == proc.pid]
        assert len(zygotes) == 1, zygotes
        clones = zygotes[0].children()
        assert 1 <= len(clones) <= 2
        assert {p.pid for p in workers} == {zygotes[0].pid} | {p.pid for p in zygotes[0].children(recursive=True)}
        servers = [p for p in tree if "multiprocessing.forkserver" in _cmdline(p) and p.ppid() == proc.pid]
        assert len(servers) == 1 and 1 <= len(servers[0].children()) <= 2
        sent = time.monotonic()
        if target == "parent":
            os.kill(proc.pid, signal.SIGINT)
        else:
            os.killpg(proc.pid, signal.SIGINT)
            if target == "twice":
                time.sleep(0.05)
                os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert took <= 10, f"took {took:.1f} s to stop"
    time.sleep(0.5)
    assert _alive(tree) == [], "every batch process and worker is gone"
    assert "To resume, run: grader batch" in stderr and f"--out {out}" in stderr
    assert_no_native_tf_lines(stderr)  # the fork server's and the batch processes' imports

    graded = set(graded_students(out))
    assert "b_fast" in graded and "a_slow" not in graded  # a_slow's grading never finished
    assert not (out / ".instructor" / "a_slow.json").exists()
    assert not [p.name for p in out.iterdir() if ".partial-" in p.name or ".old-" in p.name]
    manifest = json.loads((out / "batch.json").read_text())
    assert manifest["interrupted_at"] and manifest["finished_at"] is None
    if target != "twice" or (out / "gradebook.csv").exists():
        rows = list(csv.DictReader((out / "gradebook.csv").open()))
        assert {r["student"] for r in rows} == graded  # class files for exactly the finished students
        suites = {s.get("name") for s in ET.parse(out / "junit.xml").getroot().iter("testsuite")}
        assert suites == graded
        assert "interrupted" in (out / "index.html").read_text()
    if target == "parent":
        return

    # Resume: the same command grades a_slow (now fast), keeps c_fast if it was finished, and
    # regrades b_fast, whose recorded result holds an internal grader error (never a final grade).
    (cls / "a_slow" / f"{TOPIC}.py").write_text(SOLUTION)
    path = out / ".instructor" / "b_fast.json"
    broken = json.loads(path.read_text())
    broken["topics"][0]["checks"][0].update(internal_error=True, status="error", points=0.0)
    path.write_text(json.dumps(broken))
    capsys.readouterr()
    assert main(["batch", str(cls), TOPIC, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "regrading 1 student(s) whose results were internal grader errors" in err and "b_fast" in err
    assert set(graded_students(out)) == {"a_slow", "b_fast", "c_fast"}
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert all(r["total"] == r["max_total"] for r in rows.values())


@pytest.mark.slow
def test_ctrl_c_while_grading_in_process_records_nobody_half_graded(tmp_path):
    """--jobs 0 grades in this process, where pytest itself catches the KeyboardInterrupt and
    returns early with every unfinished check an "internal error": that result must not be kept."""
    import threading

    from grader.batch.run import run_batch
    from grader.config import Settings

    cls, out = tmp_path / "class", tmp_path / "out"
    for name, source in (("a_fast", SOLUTION), ("b_slow", SLOW), ("c_fast", SOLUTION)):
        (cls / name).mkdir(parents=True)
        (cls / name / f"{TOPIC}.py").write_text(source)
    sent = {}

    def interrupt_during_b_slow():
        while not (out / "a_fast" / "results.json").exists():
            time.sleep(0.1)
        time.sleep(2)  # b_slow is inside its sleeping relu now
        sent["at"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_during_b_slow, daemon=True).start()
    from grader.config import Limits

    summary = run_batch(cls, Settings(topics=(TOPIC,), seed=5, limits=Limits(call_timeout=900)), out, jobs=0)
    assert summary.interrupted and time.monotonic() - sent["at"] <= 10
    assert summary.graded == ["a_fast"] and summary.left == ["b_slow", "c_fast"]
    assert graded_students(out) == ["a_fast"] and not (out / ".instructor" / "b_slow.json").exists()
    assert [r["student"] for r in csv.DictReader((out / "gradebook.csv").open())] == ["a_fast"]
