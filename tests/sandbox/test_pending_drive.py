"""A drive the grader does not wait for (Worker.start_drive) for real: the grader goes on while the
worker runs it (the MNIST checks evaluate a shipped model meanwhile), the worker takes no other call
until the result is read, a result read late still keeps the drive's own time limit, and a drive
nobody reads any more is stopped with its worker."""

from __future__ import annotations

import contextlib
import textwrap
import time

import numpy as np
import pytest

from grader.config import Limits
from grader.core.runner import WORKER_MODULES
from grader.errors import InternalError, StudentTimeout
from grader.sandbox.client import ModuleSpec, SubmissionCopy, WorkerPool, Zygote
from grader.sandbox.student import StudentModule

SPEC = ModuleSpec("mnist", "mnist.py", False)
DRIVER = "grader.course.mnist_driver:train_and_save"

# preprocess() is the first student function the MNIST driver calls; the rest is never reached.
MODULE = textwrap.dedent(
    """
    import time

    def preprocess(x, y):
        time.sleep(float(open(__file__ + ".delay").read()))
        raise ValueError("preprocess gave up")

    def build_model():
        raise NotImplementedError

    def train(model, x, y, x_val, y_val, epochs=4, batch_size=128):
        raise NotImplementedError

    def ping():
        return "pong"
    """
)


@pytest.fixture(scope="module")
def zygote():
    with contextlib.closing(Zygote(WORKER_MODULES, "keras")) as z:
        yield z


@contextlib.contextmanager
def _student(tmp_path, zygote, delay: float):
    (tmp_path / "mnist.py").write_text(MODULE)
    (tmp_path / "mnist.py.delay").write_text(str(delay))
    copy = SubmissionCopy(tmp_path, WORKER_MODULES)
    try:
        pool = WorkerPool(copy, [SPEC], Limits(), mode="strict", zygotes={"keras": zygote})
        pool.start_all()
        try:
            yield StudentModule(pool.get("mnist")), pool
        finally:
            pool.close()
    finally:
        copy.cleanup()


def _start(student: StudentModule, timeout: float):
    zeros = np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.uint8)
    data = student.provide("d.npz", {"x_train": zeros[0], "y_train": zeros[1], "x_val": zeros[0], "y_val": zeros[1]})
    return student.start_drive(
        DRIVER,
        timeout=timeout,
        what="training",
        data=data,
        out_dir=student.outbox(),
        probe=np.zeros((1, 784), np.float32),
        seed=1,
    )


def test_the_grader_goes_on_while_the_worker_runs_the_drive(tmp_path, zygote):
    with _student(tmp_path, zygote, delay=1.5) as (student, pool):
        assert student.call("ping") == "pong"  # imported: only the drive's own time is measured below
        started = time.monotonic()
        pending = _start(student, timeout=60)
        sent = time.monotonic() - started
        with pytest.raises(InternalError, match="still running"):
            student.call("ping")  # one call at a time: the worker is busy with the drive
        reply = pending.value()
        waited = time.monotonic() - started
        assert sent < 1.0 < waited  # start_drive returned before preprocess() slept its 1.5 s
        assert reply["status"] == "raised" and "preprocess gave up" in reply["message"], reply
        assert pending.value() is reply  # read once, kept
        assert student.call("ping") == "pong"  # the worker takes calls again
        assert pool.get("mnist").alive()


def test_a_drive_read_late_keeps_its_own_time_limit(tmp_path, zygote):
    with _student(tmp_path, zygote, delay=30) as (student, pool):
        student.call("ping")
        pending = _start(student, timeout=2)
        time.sleep(2.5)  # the grader was busy past the drive's limit
        started = time.monotonic()
        with pytest.raises(StudentTimeout, match="longer than 2 s"):
            pending.value()
        assert time.monotonic() - started < 1.0  # not a fresh 2 s from the moment it was read
        with pytest.raises(StudentTimeout):  # the same outcome again, not a second wait
            pending.value()
        assert pool.get("mnist").alive() == []  # stopped at its limit
        assert student.call("ping") == "pong"  # a fresh worker


def test_a_drive_nobody_reads_is_stopped_with_its_worker(tmp_path, zygote):
    with _student(tmp_path, zygote, delay=30) as (student, pool):
        student.call("ping")
        pending = _start(student, timeout=60)
        worker = pool.get("mnist")
        assert worker.alive()
        pending.cancel()
        assert worker.alive() == []
        with pytest.raises(InternalError, match="cancelled"):
            pending.value()
        assert student.call("ping") == "pong"


def test_closing_the_pool_during_a_drive_does_not_wait_for_it(tmp_path, zygote):
    with _student(tmp_path, zygote, delay=30) as (student, pool):
        student.call("ping")
        _start(student, timeout=60)
        worker = pool.get("mnist")
        started = time.monotonic()
        pool.close()
        assert time.monotonic() - started < 10  # not the 30 s preprocess() would sleep
        assert worker.alive() == []


def test_ctrl_c_while_waiting_for_a_drive_stops_its_worker(tmp_path, zygote, monkeypatch):
    with _student(tmp_path, zygote, delay=30) as (student, pool):
        student.call("ping")
        pending = _start(student, timeout=60)
        worker = pool.get("mnist")

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(worker, "_frame", interrupted)
        with pytest.raises(KeyboardInterrupt):
            pending.value()
        assert worker.alive() == []  # not left running the driver for the pool's close to find
