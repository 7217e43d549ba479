"""Hostile submissions: none of them may break, fool or stall the grader.

Each case plants a hostile ``activations.py`` next to correct modules of the other numpy
topics and checks the per-check verdicts, that every other topic is still graded in full,
that reports are written, and that the run stays within a bound.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from grader.cli import main
from grader.config import Limits
from grader.core.catalog import available_topics
from grader.course.topics import BY_SLUG
from tests.conftest import REPO, SOLUTIONS, grade_dir

ACT = (SOLUTIONS / "activations.py").read_text()
OTHERS = [t for t in available_topics() if t != "activations" and BY_SLUG[t].numpy_only][:1]
LIMITS = Limits(call_timeout=3.0, import_timeout=15.0, memory_mb=2048, output_kb=64)


def _body(fn: str, code: str) -> str:
    """The reference module with ``fn``'s body replaced by ``code`` (4-space indented)."""
    start = ACT.index(f"def {fn}(")
    begin = ACT.index("# BEGIN SOLUTION", start)
    end = ACT.index("# END SOLUTION", begin) + len("# END SOLUTION")
    return ACT[:begin] + code.strip().replace("\n", "\n    ") + ACT[end:]


def _grade(tmp_path, source: str):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "activations.py").write_text(source)
    for t in OTHERS:
        shutil.copy(SOLUTIONS / f"{t}.py", sub / f"{t}.py")
    t0 = time.monotonic()
    result = grade_dir(sub, ("activations", *OTHERS), limits=LIMITS)
    elapsed = time.monotonic() - t0
    topics = {t.topic: t for t in result.topics}
    for t in OTHERS:
        assert topics[t].score == topics[t].max_score, f"{t} was not graded in full: {topics[t]}"
    return topics["activations"], elapsed


def _by_function(topic, fn):
    checks = [c for c in topic.checks if c.function == fn]
    assert checks
    return checks


def _others_pass(topic, fn):
    return all(c.status == "passed" for c in topic.checks if c.function not in (fn, "sigmoid_grad"))


TOPIC_WIDE = {
    "syntax_error": ("def sigmoid(x)\n    return x\n", "error", "SyntaxError"),
    "missing_import": ("import numpy_helpers_that_do_not_exist\n" + ACT, "error", "No module named"),
    "loop_at_import": ("while True:\n    pass\n" + ACT, "error", "longer than 15"),
    "sys_exit_at_import": ("import sys\nsys.exit(0)\n" + ACT, "error", "sys.exit(0)"),
    "os_exit_at_import": ("import os\nos._exit(0)\n" + ACT, "error", "exited with code 0"),
    "import_solutions": ("from solutions.activations import *\n", "error", "reference solutions are not available"),
}


@pytest.mark.parametrize("case", sorted(TOPIC_WIDE))
def test_topic_wide_failures(tmp_path, case):
    source, status, needle = TOPIC_WIDE[case]
    topic, elapsed = _grade(tmp_path, source)
    assert topic.status == status and needle in topic.message, topic.message
    assert topic.score == 0
    assert elapsed < 120


FUNCTION_CASES = {
    # case: (function, body, expected status, message needle)
    "infinite_loop": ("softmax", "while True:\n    pass", "timeout", "longer than 3"),
    "huge_allocation": ("relu", "return np.ones((2**31,), dtype=np.float64)", "error", "memory limit"),
    "sys_exit": ("relu", "import sys\nsys.exit(3)", "error", "sys.exit(3)"),
    "os_exit": ("relu", "import os\nos._exit(0)", "error", "exited with code 0"),
    "kill_self": ("relu", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "error", "SIGKILL"),
    "recursion": ("relu", "return relu(x)", "error", "RecursionError"),
    "kill_grader": ("relu", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", "error", "not allowed"),
    "read_solutions": (
        "relu",
        f"return eval(open({str(SOLUTIONS / 'activations.py')!r}).read())",
        "error",
        "not allowed",
    ),
    "shell_out": (
        "relu",
        f"import subprocess\nsubprocess.run(['cat', {str(SOLUTIONS / 'activations.py')!r}])\nreturn x",
        "error",
        "not allowed",
    ),
    "lying_object": (
        "relu",
        "class Liar:\n    def __eq__(self, o): return True\n    def __sub__(self, o): return 0\n"
        "    __array_priority__ = 1000\nreturn Liar()",
        "failed",
        "NumPy array",
    ),
    "lying_subclass": (
        "relu",
        "class A(np.ndarray):\n    def __eq__(self, o): return np.ones(self.shape, bool)\n"
        "    def __sub__(self, o): return np.zeros(self.shape)\nreturn np.full(np.shape(x), 7.0).view(A)",
        "failed",
        "differ",
    ),
    # The name is built at run time, so only the worker's import-time guard can catch it.
    "tf_tensor": (
        "relu",
        "import importlib\ntf = importlib.import_module('tensor' + 'flow')\nreturn tf.nn.relu(x)",
        "error",
        "numpy-only",
    ),
}


@pytest.mark.parametrize("case", sorted(FUNCTION_CASES))
def test_function_level_failures(tmp_path, case):
    fn, body, status, needle = FUNCTION_CASES[case]
    topic, elapsed = _grade(tmp_path, _body(fn, body))
    checks = _by_function(topic, fn)
    assert checks[0].status == status and needle in checks[0].message, checks[0].message
    assert all(c.status != "passed" for c in checks)
    assert _others_pass(topic, fn), [(c.id, c.status, c.message) for c in topic.checks if c.status != "passed"]
    assert elapsed < 120


def test_megabytes_of_printing_are_capped_and_harmless(tmp_path):
    source = "print('x' * 5_000_000)\n" + _body("relu", "print('y' * 3_000_000)\nreturn np.maximum(x, 0)")
    topic, elapsed = _grade(tmp_path, source)
    assert topic.score == topic.max_score
    assert elapsed < 120


def test_patching_numpy_in_the_worker_cannot_fool_the_grader(tmp_path):
    patch = (
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "np.array_equal = lambda *a, **k: True\n"
        "np.isfinite = lambda a: np.ones(np.shape(a), bool)\n"
    )
    topic, _ = _grade(tmp_path, patch + _body("softmax", "return np.zeros_like(x)"))
    assert all(c.status == "failed" for c in _by_function(topic, "softmax"))


def test_fake_results_file_is_overwritten_by_the_grader(tmp_path):
    out = tmp_path / "report"
    fake = json.dumps({"score": 999, "max_score": 31})
    evil = (
        "import os\n"
        f"os.makedirs({str(out)!r}, exist_ok=True)\n"
        f"open(os.path.join({str(out)!r}, 'results.json'), 'w').write({fake!r})\n"
        f"open(os.path.join({str(out)!r}, 'report.html'), 'w').write('<h1>31/31</h1>')\n"
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "activations.py").write_text(evil + _body("relu", "return x"))
    code = main(["run", "activations", "--submission", str(sub), "--out", str(out), "-q"])
    assert code == 1
    data = json.loads((out / "results.json").read_text())
    assert data["score"] < data["max_score"] and data["topics"][0]["topic"] == "activations"
    assert "31/31" not in (out / "report.html").read_text()


def test_repo_solutions_path_is_protected_not_just_hidden():
    assert (REPO / "solutions" / "activations.py").exists()


# ------------------------------------------------------------------------- a bad --out


def _unwritable(tmp_path):
    """A folder this process really cannot create files in (root ignores permission bits: sysfs refuses)."""
    if os.geteuid() == 0:
        return Path("/sys/grader-report")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder / "report"


@pytest.mark.parametrize("case", ["file", "inside_a_file", "folder_where_a_report_goes", "unwritable"])
@pytest.mark.parametrize("command", ["run", "batch"])
def test_a_bad_out_is_a_usage_error_with_a_fix(tmp_path, capsys, case, command):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "activations.py").write_text(ACT)
    if case == "file":
        out = tmp_path / "out.txt"
        out.write_text("not a folder")
    elif case == "inside_a_file":
        (tmp_path / "out.txt").write_text("not a folder")
        out = tmp_path / "out.txt" / "report"
    elif case == "folder_where_a_report_goes":
        out = tmp_path / "out"
        (out / ("results.json" if command == "run" else "gradebook.csv")).mkdir(parents=True)
    else:
        out = _unwritable(tmp_path)
    if command == "run":
        args = ["run", "activations", "--submission", str(sub), "--out", str(out), "-q"]
    else:
        args = ["batch", str(tmp_path), "activations", "--out", str(out), "-q", "--sandbox", "best-effort"]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2, captured.out + captured.err
    assert "fix:" in captured.err and "Traceback" not in captured.err and "internal error" not in captured.err
    assert str(out).split("/")[-1] in captured.err or "--out" in captured.err


def test_write_reports_turns_os_errors_into_usage_errors(tmp_path, monkeypatch):
    from grader.errors import UsageError
    from grader.outputs import report

    result = grade_dir(_one_topic(tmp_path), ("activations",), limits=LIMITS)

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(report, "atomic_write", refuse)
    with pytest.raises(UsageError) as info:
        report.write_reports(result, tmp_path / "out")
    assert "cannot write" in info.value.message and info.value.fix


def _one_topic(tmp_path):
    sub = tmp_path / "one"
    sub.mkdir()
    (sub / "activations.py").write_text(ACT)
    return sub
