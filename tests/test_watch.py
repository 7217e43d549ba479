"""``grader watch`` and the grading session behind it: re-grade what a save touched, nothing else."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from grader.config import Settings
from grader.core.session import GradingSession, find_function
from grader.errors import UsageError
from grader.intake.watch import SubmissionWatcher
from tests.conftest import EXERCISES, REPO, SOLUTIONS

SOFTMAX_SHIFT = "z = x - np.max(x, axis=axis, keepdims=True)"
NO_SHIFT = (SOLUTIONS / "activations.py").read_text().replace(SOFTMAX_SHIFT, "z = x")


def _folder(tmp_path: Path, **modules: str) -> Path:
    sub = tmp_path / "sub"
    sub.mkdir()
    for name, source in modules.items():
        (sub / f"{name}.py").write_text(source, encoding="utf-8")
    return sub


# ------------------------------------------------------------------------------ which topics a save touches


def _notebook(path: Path, code: str, output: str = "") -> None:
    cell = nbformat.v4.new_code_cell(code)
    if output:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["grader"] = {"topic": "schedules"}
    nbformat.write(nb, str(path))


def test_a_save_touches_its_topic_only_when_the_code_changed(tmp_path):
    sub = _folder(tmp_path, activations="x = 1\n", losses="y = 2\n", helpers="z = 3\n")
    _notebook(sub / "my_schedules.ipynb", "def piecewise_constant(step, boundaries, values):\n    pass")
    (sub / "grader-report").mkdir()
    topics = ["activations", "losses", "schedules", "optimizers"]
    w = SubmissionWatcher(sub, topics, ignore=[sub / "grader-report"])

    assert w.topics_for([sub / "activations.py"]) == set()  # touched, not changed
    (sub / "activations.py").write_text("x = 2\n")
    assert w.topics_for([sub / "activations.py"]) == {"activations"}
    assert w.topics_for([sub / "activations.py"]) == set()  # already graded that version

    (sub / "helpers.py").write_text("z = 4\n")  # any topic module may import it
    assert w.topics_for([sub / "helpers.py"]) == set(topics)

    # a notebook counts for its topic, but only its code: outputs and metadata do not
    _notebook(sub / "my_schedules.ipynb", "def piecewise_constant(step, boundaries, values):\n    pass", "out")
    assert w.topics_for([sub / "my_schedules.ipynb"]) == set()
    _notebook(sub / "my_schedules.ipynb", "def piecewise_constant(step, boundaries, values):\n    return 1")
    assert w.topics_for([sub / "my_schedules.ipynb"]) == {"schedules"}

    (sub / "grader-report" / "x.py").write_text("1")  # the reports' folder never triggers a grade
    (sub / "notes.txt").write_text("hello")
    assert w.topics_for([sub / "grader-report" / "x.py", sub / "notes.txt"]) == set()
    (sub / "losses.py").unlink()  # a deleted module is graded too (as missing)
    assert w.topics_for([sub / "losses.py"]) == {"losses"}


def test_a_notebook_beside_its_module_is_not_what_is_graded(tmp_path):
    sub = _folder(tmp_path, schedules="x = 1\n")
    _notebook(sub / "schedules.ipynb", "x = 1")
    w = SubmissionWatcher(sub, ["schedules"])
    _notebook(sub / "schedules.ipynb", "x = 2")
    assert w.topics_for([sub / "schedules.ipynb"]) == set()


def test_a_single_notebook_or_archive_touches_every_topic_it_may_hold(tmp_path):
    import zipfile

    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("activations.py", "x = 1\n")
    w = SubmissionWatcher(archive, ["activations", "losses"])
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("activations.py", "x = 2\n")
    (tmp_path / "other.py").write_text("y = 1\n")  # beside it, not part of it
    assert w.topics_for([archive, tmp_path / "other.py"]) == {"activations", "losses"}


def test_changes_come_from_real_file_events(tmp_path):
    sub = _folder(tmp_path, activations="x = 1\n", losses="y = 1\n")
    w = SubmissionWatcher(sub, ["activations", "losses"])
    stop = threading.Event()
    seen: list[set[str]] = []

    def consume():
        for touched in w.changes(stop, debounce_ms=400, step_ms=50):
            seen.append(touched)
            stop.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    time.sleep(0.5)  # the watcher is set up
    (sub / "losses.py").write_text("y = 2\n")
    thread.join(timeout=30)
    stop.set()
    assert seen == [{"losses"}]


def test_a_save_before_the_watch_began_is_not_lost(tmp_path):
    sub = _folder(tmp_path, activations="x = 1\n")
    w = SubmissionWatcher(sub, ["activations"])
    (sub / "activations.py").write_text("x = 22\n")  # saved while the first grade ran, before watching
    stop = threading.Event()
    seen: list[set[str]] = []

    def consume():
        for touched in w.changes(stop, rescan_ms=200):
            seen.append(touched)
            stop.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(timeout=30)
    stop.set()
    assert seen == [{"activations"}]


# ------------------------------------------------------------------------------ the session


@pytest.fixture(scope="module")
def session_result(tmp_path_factory):
    sub = _folder(
        tmp_path_factory.mktemp("session"),
        activations=(SOLUTIONS / "activations.py").read_text(),
        schedules=(EXERCISES / "schedules.py").read_text(),
    )
    session = GradingSession(Settings(submission=sub, topics=("activations", "schedules"), lang="en"))
    session.warm_up()
    first = session.grade()
    (sub / "activations.py").write_text(NO_SHIFT)
    second = session.grade(topics=["activations"])
    only = session.grade(topics=["activations"], functions=["softmax"])
    return session, first, second, only


def test_a_session_regrades_one_topic_and_keeps_the_others(session_result):
    session, first, second, _ = session_result
    assert [t.topic for t in first.topics] == [t.topic for t in second.topics] == ["activations", "schedules"]
    assert first.topics[0].score == first.topics[0].max_score > 0
    assert second.topics[1] is first.topics[1]  # schedules was not graded again
    failed = {c.function for c in second.topics[0].checks if c.status != "passed"}
    assert failed == {"softmax"}
    assert second.seed == first.seed == session.seed  # same inputs on every grade
    assert second.score == round(sum(t.score for t in second.topics), 4)
    assert f"--seed {session.seed}" in second.replay


def test_a_session_grades_one_function(session_result):
    _, _, second, only = session_result
    (act,) = [t for t in only.topics if t.topic == "activations"]
    assert act.checks and {c.function for c in act.checks} == {"softmax"}
    full = [c for c in second.topics[0].checks if c.function == "softmax"]
    assert act.max_score == sum(c.max_points for c in full)
    assert [c.status for c in act.checks] == [c.status for c in full]


def test_functions_are_found_by_name():
    assert find_function("softmax") == "activations" and find_function("adam_step") == "optimizers"
    with pytest.raises(UsageError, match="no check is about"):
        find_function("softmaks")


# ------------------------------------------------------------------------------ the command, end to end


def _wait_for(path: Path, changed_from: str | None, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = None
        if text is not None and text != changed_from:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{path} did not change within {timeout} s")


@pytest.mark.slow
def test_watch_regrades_a_saved_file_and_rewrites_the_reports(tmp_path):
    sub = _folder(tmp_path, activations=(SOLUTIONS / "activations.py").read_text())
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader.cli",
            "watch",
            "activations",
            "--submission",
            str(sub),
            "--out",
            str(out),
            "--seed",
            "5",
            "--lang",
            "en",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # Ctrl-C as in a terminal
    )
    try:
        results = out / "results.json"
        first = _wait_for(results, None, 300)
        data = json.loads(first)
        assert data["score"] == data["max_score"] > 0 and data["seed"] == 5

        (sub / "activations.py").write_text(NO_SHIFT)  # the student saves a wrong softmax
        second = _wait_for(results, first, 120)
        checks = json.loads(second)["topics"][0]["checks"]
        assert {c["function"] for c in checks if c["status"] != "passed"} == {"softmax"}
        assert "softmax" in (out / "report.html").read_text() and "needs work" in (out / "report.html").read_text()

        (sub / "activations.py").write_text(NO_SHIFT.replace("def softmax(", "def softmax(:", 1))  # syntax error
        third = _wait_for(results, second, 120)
        topic = json.loads(third)["topics"][0]
        assert topic["status"] == "error" and "SyntaxError" in topic["message"]
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Stopped watching." in stderr and "Traceback" not in stderr
    # the last summary may be cut short by the Ctrl-C that follows its reports at once
    assert stdout.count("Total:") >= 2 and "Watching" in stdout
