"""grader/cli/run.py and app.py: misuse and bad configuration exit 2 with a message, before any grading."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from grader.cli import main
from tests.conftest import REPO, SOLUTIONS


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "--submission", "/nonexistent/folder"], "does not exist"),
        (["run", "no_such_topic", "--submission", "."], "unknown topic"),
        (["run", "--audience", "teacher"], "--audience"),
        (["run", "--seed", "abc"], "seed"),
        (["run", "--seed", "-1", "--submission", str(SOLUTIONS)], "--seed"),
        (["run", "--lang", "fr", "--submission", str(SOLUTIONS)], "--lang"),
        (["run", "--memory-mb", "10", "--submission", str(SOLUTIONS)], "--memory-mb"),
        (["run", "--timeout", "0", "--submission", str(SOLUTIONS)], "--timeout"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert needle.lower() in (captured.err + captured.out).lower()


@pytest.mark.parametrize(
    "table, needle",
    [
        ("call_timout = 3", "call_timout"),
        ("memory_mb = 10", "memory_mb"),
        ("mnist_threshold = 'high'", "mnist_threshold"),
        ("seed = [", "TOML"),
    ],
)
def test_bad_config_exit_2(tmp_path, capsys, table, needle):
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text(f"[tool.grader]\n{table}\n")
    assert main(["run", "--config", str(cfg), "--submission", str(SOLUTIONS)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "fix:" in err


def test_list_shows_titles_and_points_grouped_by_function(capsys):
    from grader.core.catalog import collect

    assert main(["list", "activations"]) == 0
    text = capsys.readouterr().out
    flat = " ".join(text.split())
    checks = collect(["activations"])
    softmax = [m for _, m in checks if m.function == "softmax"]
    assert "Activation functions (activations" in flat and "38 points" in flat
    # the function's heading with its points, then the titles reports use (not test ids)
    assert f"softmax {sum(m.points for m in softmax):g} points" in flat
    for meta in softmax:
        assert f"{meta.points:g} {meta.title}" in flat, meta.title
    assert "test_softmax_matches_tf_on_large_inputs" not in text
    assert flat.index("sigmoid") < flat.index("softmax")  # course order, one group per function


def test_list_in_chinese_and_with_ids(capsys):
    assert main(["list", "schedules", "--lang", "zh", "--ids"]) == 0
    text = capsys.readouterr().out
    assert "学习率退火" in text and "分" in text
    assert "schedules::test_" in text


def test_a_notebook_without_a_topic_needs_one_on_the_command_line(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "work.ipynb"
    nbformat.write(nb, str(path))
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "run", "--submission", str(path), "-o", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2, proc.stderr
    assert "cannot tell which topic" in proc.stderr


def test_set_overrides_any_key_and_is_validated(tmp_path, capsys):
    from grader.cli.common import settings_from_options

    s = settings_from_options(
        None,
        submission=SOLUTIONS,
        topics=None,
        out_dir=tmp_path,
        seed=None,
        timeout=None,
        memory_mb=None,
        mnist=None,
        lang=None,
        assignments=["import_timeout=30", "mnist_epochs=2", "lang=zh", "due=2026-12-15T23:59:00+08:00"],
    )
    assert (s.limits.import_timeout, s.mnist_epochs, s.lang) == (30.0, 2, "zh")
    assert s.due == "2026-12-15T23:59:00+08:00"
    for bad, needle in (
        (["mnist_epochs=0"], "mnist_epochs"),
        (["nokey=1"], "does not name a setting"),
        (["output_kb"], "does not name a setting"),
    ):
        assert main(["run", "--submission", str(SOLUTIONS), "--set", bad[0]]) == 2
        assert needle in capsys.readouterr().err


def test_config_lists_every_key_with_its_flag(capsys):
    from grader.config import KEYS

    assert main(["config"]) == 0
    text = capsys.readouterr().out
    for key in KEYS:
        assert f"{key} =" in text
    assert "--set import_timeout=S" in text and "--timeout" in text
