"""What a batch process reports about itself with every student (followed by benchmarks/bench_soak.py)."""

from __future__ import annotations

import mmap
import os
import sys
from types import SimpleNamespace

import pytest

from grader.batch import process
from grader.batch.process import Job, grade_student, usage
from grader.batch.roster import Student
from grader.config import Settings

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS and fd counts: Linux")


def test_usage_follows_open_files_and_the_memory_peak(tmp_path):
    before = usage()
    assert set(before) == {"rss", "peak_rss", "fds"}
    assert before["rss"] > 0 and before["fds"] > 0
    assert before["peak_rss"] >= before["rss"] * 0.95  # the peak is a high-water mark (page accounting differs)

    fh = open(tmp_path / "f", "w")  # noqa: SIM115 - kept open on purpose
    try:
        assert usage()["fds"] == before["fds"] + 1
    finally:
        fh.close()
    assert usage()["fds"] == before["fds"]

    grow = before["peak_rss"] - before["rss"] + (64 << 20)  # past the old peak by 64 MB
    # Fresh pages of our own, each written so that it is resident: a malloc'ed block may be served
    # from freed heap memory that is resident already (a grading process keeps it: core.allocator).
    block = mmap.mmap(-1, grow)
    try:
        for offset in range(0, grow, mmap.PAGESIZE):
            block[offset] = 1
        now = usage()
        assert now["rss"] >= before["rss"] + grow * 0.9
        assert now["peak_rss"] >= before["peak_rss"] + (48 << 20)
    finally:
        block.close()


def test_every_graded_student_carries_the_process_usage(tmp_path, monkeypatch):
    folder = tmp_path / "ann"
    folder.mkdir()
    (folder / "activations.py").write_text("x = 1\n")
    result = SimpleNamespace(score=1.0, max_score=2.0, all_passed=False, internal_errors=[])
    stats = {"hits": 0, "misses": 0, "passthrough": 0}
    monkeypatch.setattr(process._Process, "cache", SimpleNamespace(stats=lambda: stats))
    monkeypatch.setattr(process, "_grade", lambda job, *path: (result, {}))
    monkeypatch.setattr(process, "_deliver", lambda *a: None)

    job = Job(Student("ann", folder, "dir"), tmp_path / "out", Settings(seed=1, topics=("activations",)), "student")
    info = grade_student(job)
    assert info["name"] == "ann" and info["pid"] == os.getpid()
    assert info["rss"] > 0 and info["peak_rss"] >= info["rss"] * 0.95 and info["fds"] > 0


def test_keras_global_state_is_dropped_after_every_student(tmp_path, monkeypatch):
    """The models checks rebuild each student's network with the grader's Keras; what Keras keeps
    globally about them grew a batch process by ~4 MB per student (benchmarks/bench_soak.py)."""
    import sys

    cleared = []
    monkeypatch.setitem(
        sys.modules, "keras", SimpleNamespace(backend=SimpleNamespace(clear_session=lambda: cleared.append(1)))
    )
    folder = tmp_path / "ann"
    folder.mkdir()
    result = SimpleNamespace(score=1.0, max_score=2.0, all_passed=False, internal_errors=[])
    stats = {"hits": 0, "misses": 0, "passthrough": 0}
    monkeypatch.setattr(process._Process, "cache", SimpleNamespace(stats=lambda: stats))
    monkeypatch.setattr(process, "_grade", lambda job, *path: (result, {}))
    job = Job(Student("ann", folder, "dir"), tmp_path / "out", Settings(seed=1, topics=("activations",)), "student")
    process.grade_unrecorded(job)
    process.grade_unrecorded(job)
    assert cleared == [1, 1]
