"""Shared helpers for the project's own tests, and the two tiers.

Tiers, decided by where a test lives (nothing to remember when writing one):

* ``tests/unit/`` mirrors the package (``tests/unit/<subpackage>/test_<module>.py``) and holds
  the tests that need no full grading run, no training, no notebook kernel and no browser:
  the fast tier, ``python -m pytest -m "not slow"``.
* Every other test (``tests/test_*.py``: behaviour suites that grade whole submissions) is
  marked ``slow`` here at collection.

Other test modules import the helpers below as ``tests.conftest`` (``tests`` is a package, so
pytest imports this file under that one name too).
"""

from __future__ import annotations

import gc
import os
import re
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
# The course's shared folder (the exercise spec, real MNIST) sits beside the checkout; a git
# worktree nested deeper finds it further up.
SHARED = next((d / "shared" for d in REPO.parents if (d / "shared").is_dir()), REPO.parent / "shared")
MNIST_NPZ = SHARED / "data" / "mnist.npz"
# Tests never download: the real MNIST beside the checkout (CI sets the same).
os.environ.setdefault("GRADER_MNIST", str(MNIST_NPZ))
# Reference values the tests compute stay out of the user's cache (~/.cache/tfgrader), and a
# test run never reuses an earlier run's values.
os.environ.setdefault("GRADER_CACHE_DIR", tempfile.mkdtemp(prefix="grader-test-cache-"))

UNIT = Path(__file__).resolve().parent / "unit"


def pytest_collection_finish(session: pytest.Session) -> None:
    # Collection imports TensorFlow (the accepted alternatives do), which leaves ~a million
    # long-lived objects; freezing them keeps every later full garbage collection from walking
    # them again (one module fixture went from 3 s to 25 s without it).
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything outside tests/unit/ is slow (the marker is registered in pyproject.toml)."""
    slow = pytest.mark.slow
    for item in items:
        if UNIT not in Path(item.path).resolve().parents:
            item.add_marker(slow)


def grade_dir(path: Path, topics: tuple[str, ...], seed: int = 20261127, **settings):
    """Grade ``path`` (a folder, notebook or zip) in-process, as `grader run` does.

    The grader itself still isolates student code in workers.
    """
    from grader.config import Settings
    from grader.core.runner import run
    from grader.intake.prepare import prepared
    from grader.outputs.report import render

    with prepared(path, topics) as work:
        result = run(Settings(submission=work.path, topics=work.narrow(topics), seed=seed, **settings), label=path)
    # Every graded result must render: a check's details must never cost the student a report.
    for template in ("report.html.j2", "report.md.j2"):
        for audience in ("student", "instructor"):
            render(result, template, audience=audience)
    return result


def grade_source(tmp_path: Path, topic: str, source: str, seed: int = 20261127, **settings):
    """Write ``source`` as ``<topic>.py`` in a fresh folder and grade that one topic."""
    sub = tmp_path / f"sub-{topic}"
    sub.mkdir(parents=True, exist_ok=True)
    (sub / f"{topic}.py").write_text(source, encoding="utf-8")
    result = grade_dir(sub, (topic,), seed=seed, **settings)
    (topic_result,) = result.topics
    return topic_result


def assert_no_native_tf_lines(stderr: str) -> None:
    """TensorFlow's native start-up lines (absl's pre-init header, oneDNN/CUDA notes, the failed
    GPU probe) do not reach a grader command's stderr (grader.core.tfimport)."""
    for marker in ("absl::InitializeLog", "oneDNN custom operations", "cuda drivers", "cuInit"):
        assert marker not in stderr, stderr
    assert not re.search(r"^[IWE]\d{4} \d\d:\d\d:", stderr, re.MULTILINE), stderr


@pytest.fixture
def grade(tmp_path):
    def _grade(topic: str, source: str, **kw):
        return grade_source(tmp_path, topic, source, **kw)

    return _grade
