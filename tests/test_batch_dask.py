"""`grader batch --scheduler`: a class graded as Dask tasks on a real cluster (two worker
processes on loopback) gives the gradebook of a local batch; the client records, resumes,
charges a broken task to its student alone, stops on Ctrl-C; misuse is a usage error."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import distributed  # in the test extra: CI always has it (no skip may hide the backend)
import pytest

from grader.batch import dask_backend
from grader.batch.roster import graded_students, load_results
from grader.batch.run import run_batch
from grader.cli import main
from grader.config import Settings
from grader.errors import ExitCode, UsageError
from tests.conftest import EXERCISES, REPO, SOLUTIONS

TOPIC = "activations"  # numpy-only: quick to grade
SEED = 424242
SOLUTION = (SOLUTIONS / f"{TOPIC}.py").read_text()
RELU_SLIP = SOLUTION.replace("return np.maximum(x, 0)", "return np.max(x, 0)")
SOFTMAX_SLIP = SOLUTION.replace("z = x - np.max(x, axis=axis, keepdims=True)", "z = x")
SLOW = SOLUTION.replace("def relu(x):\n", "def relu(x):\n    import time\n    time.sleep(600)\n", 1)
assert len({SOLUTION, RELU_SLIP, SOFTMAX_SLIP, SLOW}) == 4


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c


def _student(root: Path, name: str, source: str) -> Path:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / f"{TOPIC}.py").write_text(source, encoding="utf-8")
    return root / name


def _class(root: Path) -> Path:
    """The reference solution, a mutant, an untouched stub, and a mutant handed in as a .zip."""
    _student(root, "correct", SOLUTION)
    _student(root, "relu_slip", RELU_SLIP)
    (root / "stub").mkdir(parents=True)
    (root / "stub" / f"{TOPIC}.py").write_bytes((EXERCISES / f"{TOPIC}.py").read_bytes())
    with zipfile.ZipFile(root / "zipped.zip", "w") as zf:
        zf.writestr(f"zipped/{TOPIC}.py", SOFTMAX_SLIP)
    return root


def _verdicts(out: Path) -> dict:
    return {
        name: (r.score, r.max_score, [(c.id, c.status, c.points) for t in r.topics for c in t.checks])
        for name, r in load_results(out).items()
    }


def test_dask_batch_gives_the_local_gradebook_and_resumes(cluster, tmp_path, capsys):
    cls = _class(tmp_path / "class")
    local, remote = tmp_path / "local", tmp_path / "dask"
    base = ["batch", str(cls), TOPIC, "--seed", str(SEED), "-q"]
    assert main([*base, "--out", str(local), "--jobs", "1"]) == ExitCode.FAILED
    capsys.readouterr()
    assert main([*base, "--out", str(remote), "--scheduler", cluster.scheduler_address]) == ExitCode.FAILED
    assert "graded 4, skipped 0" in capsys.readouterr().out

    assert (remote / "gradebook.csv").read_text() == (local / "gradebook.csv").read_text()
    assert _verdicts(remote) == _verdicts(local)
    scores = {r["student"]: float(r["total"]) for r in csv.DictReader((remote / "gradebook.csv").open())}
    assert scores["stub"] == 0 < scores["relu_slip"] < scores["correct"] and scores["zipped"] < scores["correct"]
    for name in ("correct", "relu_slip", "stub", "zipped"):  # the whole layout, written by the client
        assert (remote / name / "report.html").is_file() and (remote / name / "gradescope.json").is_file()
        assert (remote / ".instructor" / f"{name}.json").is_file()
    assert (remote / ".instructor" / "sources" / "correct" / f"{TOPIC}.py").read_text() == SOLUTION
    assert json.loads((remote / ".instructor" / "zipped.submission.json").read_text())["path"] == str(
        cls / "zipped.zip"
    )  # named where it was handed in, not where a worker unpacked it
    manifest = json.loads((remote / "batch.json").read_text())
    assert manifest["scheduler"] == cluster.scheduler_address and manifest["finished_at"]
    assert not [p.name for p in remote.iterdir() if p.name.startswith(".") and p.name != ".instructor"]

    assert main([*base, "--out", str(remote), "--scheduler", cluster.scheduler_address]) == ExitCode.FAILED
    assert "graded 0, skipped 4" in capsys.readouterr().out  # resumed: nothing to grade again


def test_a_task_raising_on_a_worker_is_an_internal_error_for_its_student_only(cluster, tmp_path):
    cls = tmp_path / "class"
    _student(cls, "ann", SOLUTION)
    _student(cls, "broken", SOLUTION)
    out = tmp_path / "out"

    def break_grading(broken: bool) -> None:  # runs on each Dask worker (pickled by value)
        from grader.batch import dask_backend as backend
        from grader.batch import process

        def grade(job, path=None):
            if job.student.name == "broken":
                raise RuntimeError("the grader broke here")
            return process.grade_unrecorded(job, path)

        backend.grade_unrecorded = grade if broken else process.grade_unrecorded

    settings = Settings(topics=(TOPIC,), seed=SEED)
    with distributed.Client(cluster.scheduler_address) as client:
        client.run(break_grading, True)
        try:
            summary = run_batch(cls, settings, out, scheduler=cluster.scheduler_address)
        finally:
            client.run(break_grading, False)
    assert summary.graded == ["ann", "broken"] and summary.internal_errors >= 1
    results = load_results(out)
    assert results["ann"].all_passed and not results["ann"].internal_errors
    assert results["broken"].internal_errors
    assert "the grader broke here" in (out / ".instructor" / "broken.json").read_text()

    again = run_batch(cls, settings, out, scheduler=cluster.scheduler_address)
    assert again.graded == ["broken"] and again.regraded_internal == ["broken"]  # never a final grade
    assert load_results(out)["broken"].all_passed


def test_scheduler_misuse_and_a_wrong_address_are_usage_errors(tmp_path, capsys, monkeypatch):
    cls = tmp_path / "class"
    _student(cls, "ann", SOLUTION)
    out = str(tmp_path / "out")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    nowhere = f"tcp://127.0.0.1:{port}"
    assert main(["batch", str(cls), TOPIC, "--out", out, "--scheduler", nowhere, "-j", "2"]) == ExitCode.USAGE
    assert "alternatives" in capsys.readouterr().err
    with pytest.raises(UsageError, match="alternatives"):
        run_batch(cls, Settings(topics=(TOPIC,), seed=1), tmp_path / "lib", jobs=1, scheduler=nowhere)

    import dask

    started = time.monotonic()
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        assert main(["batch", str(cls), TOPIC, "--out", out, "--scheduler", nowhere, "-q"]) == ExitCode.USAGE
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err and nowhere in err
    assert not (tmp_path / "out" / "ann").exists()

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    assert main(["batch", str(cls), TOPIC, "--out", out, "--scheduler", nowhere, "-q"]) == ExitCode.USAGE
    assert "pip install 'tfgrader[dask]'" in capsys.readouterr().err


def test_a_submission_travels_as_it_was_handed_in(tmp_path):
    sub = _student(tmp_path / "class", "ann", SOLUTION)
    (sub / "notes").mkdir()
    (sub / "notes" / "a.txt").write_text("hello")
    secret = tmp_path / "secret.txt"
    secret.write_text("the client's file")
    os.symlink(secret, sub / "link.txt")
    os.utime(sub / f"{TOPIC}.py", (1_000_000, 1_000_000))
    packed = dask_backend.pack(sub)
    assert b"the client's file" not in repr(packed).encode()  # a symlink travels as its target, unread
    copy = dask_backend.unpack(packed, tmp_path / "scratch")
    assert copy.name == "ann" and (copy / f"{TOPIC}.py").read_text() == SOLUTION
    assert (copy / "notes" / "a.txt").read_text() == "hello"
    assert os.readlink(copy / "link.txt") == str(secret)
    assert (copy / f"{TOPIC}.py").stat().st_mtime == 1_000_000  # notebooks are picked by modification time


def test_ctrl_c_cancels_and_records_only_finished_students(cluster, tmp_path):
    cls = tmp_path / "class"
    _student(cls, "a_slow", SLOW)
    _student(cls, "b_fast", SOLUTION)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    argv = [sys.executable, "-m", "grader.cli", "batch", str(cls), TOPIC, "--out", str(out), "--seed", "5"]
    # --timeout: the cancelled a_slow keeps its Dask worker busy until its check times out.
    argv += ["--scheduler", cluster.scheduler_address, "--timeout", "20", "-q"]
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "b_fast" / "results.json").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "b_fast was never graded"
            time.sleep(0.2)
        time.sleep(0.5)
        sent = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert took <= 15, f"took {took:.1f} s to stop"
    assert f"--scheduler {cluster.scheduler_address}" in stderr  # the command that resumes
    assert set(graded_students(out)) == {"b_fast"}
    assert not (out / ".instructor" / "a_slow.json").exists()
    assert not [p.name for p in out.iterdir() if ".partial-" in p.name]
    assert json.loads((out / "batch.json").read_text())["interrupted_at"]
