"""The CLI contract: exit codes, reports always written, clear messages for misuse."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from grader.cli import main
from tests.conftest import EXERCISES, SOLUTIONS

REQUIRED_KEYS = {"grader_version", "tensorflow_version", "seed", "submission", "score", "max_score", "topics"}
TOPIC_KEYS = {"topic", "score", "max_score", "checks"}
CHECK_KEYS = {"id", "function", "status", "points", "max_points", "message"}


def _results(out):
    return json.loads((out / "results.json").read_text())


def test_solutions_get_full_marks_and_all_reports(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["run", "activations", "--submission", str(SOLUTIONS), "--out", str(out), "--seed", "7"]) == 0
    data = _results(out)
    assert set(data) >= REQUIRED_KEYS
    assert data["score"] == data["max_score"] > 0 and data["seed"] == 7
    (topic,) = data["topics"]
    assert set(topic) >= TOPIC_KEYS
    assert all(set(c) >= CHECK_KEYS and c["status"] == "passed" for c in topic["checks"])
    html = (out / "report.html").read_text()
    assert "<!DOCTYPE html>" in html and data["tensorflow_version"] in html
    assert "Total:" in capsys.readouterr().out
    assert (out / "report.md").read_text().startswith("# Grading report")


def test_stubs_are_not_attempted_exit_1(tmp_path):
    out = tmp_path / "rep"
    assert main(["run", "activations", "--submission", str(EXERCISES), "--out", str(out)]) == 1
    (topic,) = _results(out)["topics"]
    assert topic["score"] == 0 and topic["checks"]
    assert {c["status"] for c in topic["checks"]} == {"not_attempted"}


def test_installed_console_script_runs(tmp_path):
    """The `grader` entry point works from any folder (finds its checks and templates)."""
    exe = shutil.which("grader")
    cmd = [exe] if exe else [sys.executable, "-m", "grader.cli"]
    proc = subprocess.run(
        [*cmd, "run", "activations", "--submission", str(SOLUTIONS), "--out", str(tmp_path / "r"), "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "r" / "report.html").exists()
