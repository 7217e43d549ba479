"""Batch processes on cores of their own (``batch_cpus=pin``): a pinned zygote's workers run on its
core only, whether the zygote is the process's own or a clone it adopted (pinned before the clone
said it is ready), and the pool gives each batch process a different core when there is one each."""

from __future__ import annotations

import contextlib
import os
import textwrap

import pytest

from grader.batch.pool import free_cpu
from grader.config import Limits
from grader.core.runner import WORKER_MODULES
from grader.sandbox.client import ModuleSpec, SubmissionCopy, WorkerPool, Zygote

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux CPU affinity")

SPEC = ModuleSpec("activations", "activations.py", True)
MODULE = textwrap.dedent(
    """
    import os

    def cores():
        return sorted(os.sched_getaffinity(0))
    """
)


def _worker_cores(tmp_path, zygote) -> list[int]:
    (tmp_path / "activations.py").write_text(MODULE)
    copy = SubmissionCopy(tmp_path, WORKER_MODULES)
    try:
        pool = WorkerPool(copy, [SPEC], Limits(), mode="strict", zygotes={"numpy": zygote})
        try:
            pool.start_all()
            return pool.get("activations").call("cores", (), {})["value"]
        finally:
            pool.close()
    finally:
        copy.cleanup()


def test_a_pinned_zygotes_workers_run_on_its_core(tmp_path):
    last = max(os.sched_getaffinity(0))
    with contextlib.closing(Zygote(WORKER_MODULES, "numpy")) as zygote:
        assert _worker_cores(tmp_path, zygote) == sorted(os.sched_getaffinity(0))  # not pinned: all
        zygote.pin({last})
        assert _worker_cores(tmp_path, zygote) == [last]


def test_an_adopted_clone_pinned_before_it_is_ready_pins_its_workers(tmp_path):
    last = max(os.sched_getaffinity(0))
    with contextlib.closing(Zygote(WORKER_MODULES, "numpy")) as zygote:
        sock = zygote.clone()
        assert sock is not None
        with contextlib.closing(Zygote.adopt(sock, "numpy")) as clone:
            clone.pin({last})  # at once: the clone has not said it is ready yet (or just has)
            assert _worker_cores(tmp_path, clone) == [last]
        assert _worker_cores(tmp_path, zygote) == sorted(os.sched_getaffinity(0))  # the original is not


def test_each_batch_process_gets_a_core_of_its_own_when_there_is_one(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {2, 5, 7})
    assert free_cpu([], 2) == 2
    assert free_cpu([2], 2) == 5
    assert free_cpu([2, None], 3) == 5  # a process that was not pinned takes no core
    assert free_cpu([5], 3) == 2  # a replaced process's core is free again
    assert free_cpu([], 1) is None  # one process: it may use every core
    assert free_cpu([], 4) is None  # fewer cores than processes: the system places them


def test_a_pin_the_zygote_cannot_apply_leaves_it_serving(tmp_path):
    with contextlib.closing(Zygote(WORKER_MODULES, "numpy")) as zygote:
        zygote.pin({10_000})  # no such core: refused by the kernel
        zygote._sock.send(b'{"pin": "all"}')  # malformed: ignored
        assert _worker_cores(tmp_path, zygote) == sorted(os.sched_getaffinity(0))
