"""The CLI contract: exit codes, reports always written, clear messages for misuse."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from grader.cli import main
from tests.conftest import EXERCISES, REPO, SOLUTIONS, assert_no_native_tf_lines

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
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "r" / "report.html").exists()
    assert_no_native_tf_lines(proc.stderr)


# ------------------------------------------------------------------------------ rough edges


def test_version(capsys):
    import grader

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"grader {grader.__version__}"
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "--version"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and grader.__version__ in proc.stdout


def _complete(words: str, env_extra=None) -> list[str]:
    """Ask the CLI for bash completions of ``words`` (the cursor after the last word), as bash does."""
    import os

    env = {
        **os.environ,
        "_GRADER_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli"], env=env, capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_shell_completion_script_and_completions(capsys):
    assert main(["--show-completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "_GRADER_COMPLETE=complete_bash" in script and "complete " in script
    assert _complete("grader wa") == ["watch"]
    assert "--seed" in _complete("grader run --se")
    assert _complete("grader run act") == ["activations"]
    assert set(_complete("grader watch ")) >= {"activations", "losses", "mnist"}


def _commands():
    from grader.cli.app import app

    return sorted(c.name for c in app.registered_commands)


def _plain_help(text: str) -> str:
    """--help output without rich's box drawing, wrapped lines joined."""
    import re

    return " ".join(re.sub(r"[\u2500-\u257f]", " ", text).split())


@pytest.mark.parametrize("command", _commands())
def test_help_texts_are_intact(command, capsys):
    import typer.main

    from grader.cli.app import app

    assert main([command, "--help"]) == 0
    shown = _plain_help(capsys.readouterr().out)
    click_cmd = typer.main.get_command(app).commands[command]
    for param in click_cmd.params:
        helptext = getattr(param, "help", None)
        if helptext:
            # every option's help appears whole: nothing eaten as markup, nothing cut
            assert " ".join(helptext.replace("\\[", "[").split()) in shown, (command, param.name, helptext)
    if any(p.name == "config" for p in click_cmd.params):
        assert "pyproject.toml with a [tool.grader] table" in shown


BAD_NUMBERS = [
    (["--seed", "-5"], "--seed"),
    (["--seed", "abc"], "seed"),
    (["--seed", "1.5"], "seed"),
    (["--timeout", "-1"], "--timeout"),
    (["--timeout", "0"], "--timeout"),
    (["--timeout", "nan"], "--timeout"),
    (["--memory-mb", "10"], "--memory-mb"),
    (["--memory-mb", "-1"], "--memory-mb"),
]


@pytest.mark.parametrize("command", ["run", "watch", "batch"])
@pytest.mark.parametrize("flag, needle", BAD_NUMBERS, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_every_numeric_option_is_validated(command, flag, needle, tmp_path, capsys):
    head = (
        ["batch", str(tmp_path), "--out", str(tmp_path / "out")]
        if command == "batch"
        else [command, "--submission", str(SOLUTIONS), "--out", str(tmp_path / "out")]
    )
    assert main([*head, *flag]) == 2
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert needle in text and "Traceback" not in text and "internal error" not in text
    assert not (tmp_path / "out").exists()  # refused before grading anything


@pytest.mark.parametrize(
    "flag",
    [["--jobs", "0"], ["--jobs", "-2"], ["--shard", "0/2"], ["--shard", "3/2"], ["--shard", "a/b"], ["--shard", "1/2"]],
)
def test_batch_options_are_validated(flag, tmp_path, capsys):
    # --shard without --seed is refused too: shards must share one seed
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "out"), *flag]) == 2
    captured = capsys.readouterr()
    assert flag[0].lstrip("-") in (captured.out + captured.err) and "Traceback" not in captured.err


def test_the_same_errors_from_a_real_process():
    """End to end through the console entry point: exit 2 and a message, never a traceback or exit 3."""
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "run", "--seed", "-5", "--submission", str(SOLUTIONS)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 2 and "--seed must be >= 0" in proc.stderr and "Traceback" not in proc.stderr
