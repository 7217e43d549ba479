"""Keras workers forked from a zygote (grader/sandbox/zygote.py) for real: confined exactly like
spawned ones, holding nothing of the zygote, reporting their end through it, and replaced by a
spawned worker when the zygote is gone. The side-effect attacks run through it too
(tests/sandbox/test_side_effects.py, the ``models`` cases)."""

from __future__ import annotations

import contextlib
import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from grader.config import Limits
from grader.core.runner import WORKER_MODULES
from grader.errors import StudentCrashed, StudentRaised
from grader.sandbox.client import ForkedProcess, ModuleSpec, SubmissionCopy, Worker, WorkerPool, Zygote

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="the checks read /proc")

KERAS = ModuleSpec("models", "models.py", False)
NUMPY = ModuleSpec("activations", "activations.py", True)

PROBE = textwrap.dedent(
    '''
    import os, resource, signal, sys, tempfile
    import keras

    def _try(fn):
        try:
            fn()
            return "ok"
        except OSError as e:
            return type(e).__name__

    def inside(zygote):
        """What the worker holds, and what it may do to the zygote (its reaper's parent; the
        worker cannot read that from /proc, so the test tells it)."""
        runtime = sys.path[0]
        return {
            "pid": os.getpid(),
            "reaper": os.getppid(),
            "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
            "home": os.environ.get("HOME"),
            "keras_home": keras.src.backend.config.keras_home(),
            "tmp": tempfile.gettempdir(),
            "cwd": os.getcwd(),
            "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
            "uid": os.getuid(),
            "kill_zygote": _try(lambda: os.kill(zygote, signal.SIGKILL)),
            "zygote_environ": _try(lambda: open("/proc/%d/environ" % zygote, "rb").read()),
            "zygote_mem": _try(lambda: open("/proc/%d/mem" % zygote, "rb").read(1)),
            "poison_runtime": _try(lambda: open(os.path.join(runtime, "grader", "sandbox", "evil.py"), "w").write("1")),
            "append_worker": _try(lambda: open(os.path.join(runtime, "grader", "sandbox", "worker.py"), "a").write("#")),
            "write_zygote_home": _try(lambda: open(os.path.join(os.path.dirname(runtime), "work", "home", "x"), "w").write("1")),
            "fit": float(_fit()),
        }

    def _fit():
        import numpy as np
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        m.compile("sgd", "mse")
        return m.fit(np.ones((8, 3)), np.zeros((8, 2)), epochs=1, verbose=0).history["loss"][0]

    def crash():
        import ctypes
        ctypes.string_at(0)

    def spin():
        while True:
            pass
    '''
)


@pytest.fixture(scope="module")
def zygote():
    z = Zygote(WORKER_MODULES, "keras")
    yield z
    z.close()


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "models.py").write_text(PROBE)
    (tmp_path / "activations.py").write_text("import tensorflow\n")
    return tmp_path


@contextlib.contextmanager
def _pool(submission: Path, specs, zygote, limits: Limits | None = None):
    """A started pool on a copy of ``submission`` (forking from ``zygote``, one or a list); on the way
    out every worker must be gone, and the copy is removed."""
    zygotes = {z.kind: z for z in (zygote if isinstance(zygote, (list, tuple)) else [zygote]) if z is not None}
    copy = SubmissionCopy(submission, WORKER_MODULES)
    try:
        pool = WorkerPool(copy, list(specs), limits or Limits(), mode="strict", zygotes=zygotes)
        pool.start_all()
        try:
            yield copy, pool
        finally:
            pool.close()
        assert [pid for w in pool.workers.values() for pid in w.alive()] == []
    finally:
        copy.cleanup()


def test_a_forked_worker_is_confined_like_a_spawned_one_and_holds_nothing_of_the_zygote(submission, zygote):
    with _pool(submission, [KERAS], zygote, Limits(memory_mb=6000)) as (copy, pool):
        w = pool.get("models")
        assert isinstance(w.proc, ForkedProcess)
        got = w.call("inside", (zygote.proc.pid,), {})["value"]
        with open(f"/proc/{got['reaper']}/status") as fh:
            assert int(fh.read().split("PPid:")[1].split()[0]) == zygote.proc.pid
        forked = pool.sandbox()
    with _pool(submission, [KERAS], None) as (_, spawned):
        assert not isinstance(spawned.get("models").proc, ForkedProcess)
        alone = spawned.get("models").call("inside", (zygote.proc.pid,), {})["value"]
        reference = spawned.sandbox()

    states = {k: v["state"] for k, v in forked["mechanisms"].items()}
    assert states == {k: v["state"] for k, v in reference["mechanisms"].items()}
    # The Landlock plan the zygote kept for its workers (confine.keep_plans) is the one a spawned
    # worker computes itself: as many rules.
    assert forked["mechanisms"]["landlock_fs"] == reference["mechanisms"]["landlock_fs"]
    assert forked["confined"] and forked["mode"] == "strict"
    assert forked["forked"] == 1 and reference["forked"] == 0
    # The same descriptors as a spawned worker (its own pipes only): the zygote's socket is gone.
    # (The last one is listdir's own; its number differs with what the imports opened and closed.)
    assert got["fds"][:-1] == alone["fds"][:-1] == [0, 1, 2, 3, 4], (got["fds"], alone["fds"])
    assert alone["kill_zygote"] != "ok" and alone["zygote_environ"] != "ok"
    scratch = str(copy.work)
    for key in ("home", "keras_home", "tmp", "cwd"):
        assert got[key].startswith(scratch), (key, got[key])
    assert got["memory"] == 6000 * 1024 * 1024
    if os.geteuid() == 0:
        assert got["uid"] == 65534
    for attack in (
        "kill_zygote",
        "zygote_environ",
        "zygote_mem",
        "poison_runtime",
        "append_worker",
        "write_zygote_home",
    ):
        assert got[attack] != "ok", (attack, got)
    assert zygote.alive and zygote.proc.poll() is None
    assert got["fit"] == pytest.approx(got["fit"])  # TensorFlow runs in the forked child (a real number)


def test_numpy_only_workers_never_fork_from_a_zygote_holding_tensorflow(submission, zygote):
    """A numpy-only topic must be able to refuse TensorFlow, which a process holding it cannot: its
    workers fork from a numpy zygote (which holds no such module), or are spawned."""
    with contextlib.closing(Zygote(WORKER_MODULES, "numpy")) as numpy_zygote:
        with _pool(submission, [NUMPY, KERAS], zygote) as (_, pool):  # no numpy zygote: spawned
            assert not isinstance(pool.get("activations").proc, ForkedProcess)
            assert isinstance(pool.get("models").proc, ForkedProcess)
            reply = pool.get("activations").ensure_imported()
            assert reply["ok"] is False and reply["kind"] == "policy", reply
        (submission / "activations.py").write_text("import importlib\nimportlib.import_module('tensor' + 'flow')\n")
        with _pool(submission, [NUMPY, KERAS], [zygote, numpy_zygote]) as (copy, pool):
            w = pool.get("activations")
            assert isinstance(w.proc, ForkedProcess) and w.zygote is numpy_zygote
            reply = w.ensure_imported()  # past the static check: refused by the worker itself
            assert reply["ok"] is False and reply["kind"] == "policy", reply
            assert pool.get("models").ensure_imported()["ok"]
            assert pool.sandbox()["confined"] and pool.sandbox()["forked"] == 2
            with pytest.raises(ValueError, match="cannot fork"):
                Worker(NUMPY, copy, Limits(), zygotes={"numpy": zygote})


def test_exit_status_and_timeouts_cross_the_zygote(submission, zygote):
    with _pool(submission, [KERAS], zygote, Limits(call_timeout=2)) as (_, pool):
        w = pool.get("models")
        with pytest.raises(StudentCrashed, match="SIGSEGV"):
            w.call("crash", (), {})
        started = time.monotonic()
        with pytest.raises(Exception, match="longer than 2 s"):
            w.call("spin", (), {})
        assert time.monotonic() - started < 15
        assert w.alive() == []
        w.ensure_imported()  # a fresh fork after each
        assert isinstance(w.proc, ForkedProcess)
        with pytest.raises(StudentRaised):
            w.call("_try", (None,), {})


def test_a_dead_zygote_is_replaced_by_spawned_workers(submission):
    with contextlib.closing(Zygote(WORKER_MODULES, "keras")) as z:
        with _pool(submission, [KERAS], z) as (_, pool):
            w = pool.get("models")
            assert w.ensure_imported()["ok"]
            victim = w.call("inside", (z.proc.pid,), {})["value"]["pid"]
            os.kill(z.proc.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (z.alive or os.path.exists(f"/proc/{victim}")):
                time.sleep(0.05)
            assert not z.alive
            assert not os.path.exists(f"/proc/{victim}"), "the worker outlived its zygote"
        with _pool(submission, [KERAS], z) as (_, pool):
            w = pool.get("models")
            assert not isinstance(w.proc, ForkedProcess)
            assert w.ensure_imported()["ok"]


def test_a_zygote_that_dies_before_forking_costs_nothing(submission):
    """Requests already sent to a zygote that then ends are started the usual way."""
    with contextlib.closing(Zygote(WORKER_MODULES, "keras")) as z, _pool(submission, [KERAS], z) as (_, pool):
        w = pool.get("models")
        os.kill(z.proc.pid, signal.SIGKILL)  # still importing TensorFlow: nothing forked yet
        assert w.ensure_imported()["ok"]
        assert not isinstance(w.proc, ForkedProcess)
        assert pool.sandbox()["confined"]


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return int(fh.read().split("PPid:")[1].split()[0])


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_a_clone_forks_workers_like_its_zygote(submission, zygote):
    """A batch's processes share one TensorFlow import: each adopts a clone of the batch's zygote
    (Zygote.clone / Zygote.adopt), whose workers are confined like any other; closing the clone
    ends it, and only it."""
    clone = Zygote.adopt(zygote.clone(), "keras")
    try:
        with _pool(submission, [KERAS], clone, Limits(memory_mb=6000)) as (copy, pool):
            w = pool.get("models")
            assert isinstance(w.proc, ForkedProcess) and w.zygote is clone
            got = w.call("inside", (clone.proc.pid,), {})["value"]
            assert clone.ready and clone.proc.pid != zygote.proc.pid
            assert _ppid(got["reaper"]) == clone.proc.pid and _ppid(clone.proc.pid) == zygote.proc.pid
            assert os.getsid(clone.proc.pid) == clone.proc.pid  # a session of its own, as the zygote's
            for attack in ("kill_zygote", "zygote_environ", "zygote_mem", "poison_runtime", "append_worker"):
                assert got[attack] != "ok", (attack, got)
            assert got["fds"][:-1] == [0, 1, 2, 3, 4]
            for key in ("home", "keras_home", "tmp", "cwd"):
                assert got[key].startswith(str(copy.work)), (key, got[key])
            sandbox = pool.sandbox()
        assert sandbox["confined"] and sandbox["forked"] == 1
    finally:
        clone.close()
    assert _gone(clone.proc.pid), "the clone outlived its client"
    assert zygote.alive and zygote.proc.poll() is None


def test_a_clone_dies_with_its_zygote_and_then_workers_are_spawned(submission):
    with contextlib.closing(Zygote(WORKER_MODULES, "numpy")) as z:
        clone = Zygote.adopt(z.clone(), "numpy")
        try:
            with _pool(submission, [NUMPY], clone) as (_, pool):
                assert isinstance(pool.get("activations").proc, ForkedProcess)
                pool.get("activations").ensure_imported()
            assert clone.ready
            os.kill(z.proc.pid, signal.SIGKILL)
            assert _gone(clone.proc.pid), "the clone outlived its zygote"
            deadline = time.monotonic() + 10
            while (clone.alive or z.alive) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not clone.alive and not z.alive and z.clone() is None
            with _pool(submission, [NUMPY], clone) as (_, pool):
                assert not isinstance(pool.get("activations").proc, ForkedProcess)
        finally:
            clone.close()


def test_a_zygote_refuses_malformed_clone_requests(zygote):
    """A clone request carries one socket; anything else is refused and the zygote goes on."""
    import json
    import socket

    r, w = os.pipe()
    try:
        socket.send_fds(zygote._sock, [json.dumps({"id": 999_999, "clone": True}).encode()], [r, w])
    finally:
        os.close(r)
        os.close(w)
    clone = Zygote.adopt(zygote.clone(), "keras")
    try:
        deadline = time.monotonic() + 60
        while not clone.ready and time.monotonic() < deadline:
            time.sleep(0.05)
        assert clone.ready and zygote.alive
    finally:
        clone.close()
