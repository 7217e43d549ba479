"""The CLI contract: exit codes, reports always written, clear messages for misuse."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from grader.cli import main
from tests.conftest import EXERCISES, REPO, SOLUTIONS

REQUIRED_KEYS = {"grader_version", "tensorflow_version", "seed", "submission", "score", "max_score", "topics"}
TOPIC_KEYS = {"topic", "score", "max_score", "checks"}
CHECK_KEYS = {"id", "function", "status", "points", "max_points", "message"}


def _results(out):
    return json.loads((out / "results.json").read_text())


def test_solutions_get_full_marks_and_all_reports(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["run", "activations", "--submission", str(SOLUTIONS), "--out", str(out), "--seed", "7"]) == 0
    data = _results(out)
    assert REQUIRED_KEYS <= set(data)
    assert data["score"] == data["max_score"] > 0 and data["seed"] == 7
    (topic,) = data["topics"]
    assert TOPIC_KEYS <= set(topic)
    assert all(CHECK_KEYS <= set(c) and c["status"] == "passed" for c in topic["checks"])
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


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "--submission", "/nonexistent/folder"], "does not exist"),
        (["run", "no_such_topic", "--submission", "."], "unknown topic"),
        (["run", "--audience", "teacher"], "--audience"),
        (["run", "--seed", "abc"], "seed"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert needle.lower() in (captured.err + captured.out).lower()


def test_bad_config_exit_2(tmp_path, capsys):
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text("[tool.grader]\ncall_timout = 3\n")
    assert main(["run", "--config", str(cfg), "--submission", str(SOLUTIONS)]) == 2
    assert "call_timout" in capsys.readouterr().err


def test_config_file_sets_limits(tmp_path):
    from grader.config import build_settings, load_pyproject

    cfg = tmp_path / "pyproject.toml"
    cfg.write_text("[tool.grader]\ncall_timeout = 3\nmnist_threshold = 0.95\n")
    s = build_settings(load_pyproject(cfg), call_timeout=None, seed=5)
    assert s.limits.call_timeout == 3.0 and s.mnist_threshold == 0.95 and s.seed == 5
    assert build_settings(load_pyproject(cfg), call_timeout=9.0).limits.call_timeout == 9.0


def test_list_shows_topics_checks_and_points(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "activations" in text and "test_softmax_matches_tf_on_large_inputs" in text and "points" in text


def test_stubs_command_reports_up_to_date(tmp_path, capsys):
    assert main(["stubs", "--check", "--solutions", str(SOLUTIONS), "--exercises", str(EXERCISES)]) == 0
    sub = tmp_path / "ex"
    assert main(["stubs", "--solutions", str(SOLUTIONS), "--exercises", str(sub)]) == 0
    assert (sub / "activations.py").read_text() == (EXERCISES / "activations.py").read_text()


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
