"""grader/cli/course.py: stubs, handout and release commands (no notebook is executed here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grader.cli import main
from tests.conftest import EXERCISES, REPO, SOLUTIONS


def test_stubs_command_reports_up_to_date(tmp_path, capsys):
    assert main(["stubs", "--check", "--solutions", str(SOLUTIONS), "--exercises", str(EXERCISES)]) == 0
    sub = tmp_path / "ex"
    assert main(["stubs", "--solutions", str(SOLUTIONS), "--exercises", str(sub)]) == 0
    assert (sub / "activations.py").read_text() == (EXERCISES / "activations.py").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["handout", "--lang", "fr"],
        ["handout", "--edition", "teacher"],
        ["handout", "nosuchtopic"],
        ["release", "--out", "bundle.tar"],
    ],
)
def test_cli_misuse_is_a_usage_error(args, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2, proc.stdout + proc.stderr
