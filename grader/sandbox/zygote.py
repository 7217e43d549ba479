"""The zygote: one process that imports NumPy (or TensorFlow) once and forks workers from it.

A Keras topic's worker spends ~3 s of CPU importing TensorFlow before it runs a line of the
student's code, a numpy-only one ~0.1 s starting Python and NumPy; in a batch that is paid again
for every student and topic. A zygote pays it once per grading process (one of each kind:
``keras`` imports NumPy, TensorFlow and Keras, ``numpy`` only NumPy).
:class:`grader.sandbox.client.Zygote` starts it exactly as it starts a worker (``python -I -S``,
the run's private runtime copy of the worker-side modules first on ``sys.path``, a clean
environment naming its own scratch; see :mod:`grader.sandbox.boot`); it imports, then only forks.

Nothing of a student ever runs in the zygote. Each request carries the new worker's pipes (as
SCM_RIGHTS file descriptors) and the same parameters, environment and working directory a
spawned worker gets. The forked child is single-threaded (TensorFlow's import starts no thread;
its pools start at the first operation, in the child), so it then goes through exactly the boot
of a spawned worker (:func:`grader.sandbox.boot.main`): memory cap, reaper, privilege drop,
Landlock, seccomp, hello. Before that it keeps nothing of the zygote's: every other descriptor
is closed, the environment is replaced, it gets its own session, and the places TensorFlow and
Keras computed from the zygote's environment at import time (the temporary folder, Keras' home)
are pointed at the child's scratch.

A numpy-only topic's worker must be able to refuse ``import tensorflow``, which a process that
already holds it in ``sys.modules`` cannot: it forks only from a ``numpy`` zygote, which refuses
to serve if any module such a worker must refuse was imported while it loaded.

Wire (a SOCK_SEQPACKET socket pair, one JSON message per packet):

- grader -> zygote: ``{"id": N, "params": {...}, "env": {...}, "cwd": "..."}`` with three
  descriptors attached: the worker's stdin (requests), its stdout/stderr, its response pipe.
- zygote -> grader: ``{"ready": true, "pid": P}`` once the imports are done, ``{"id": N, "pid": P}``
  after each fork, ``{"exit": P, "code": C}`` when a child ends (C as ``Popen.returncode``: negative
  for a signal), ``{"id": N, "error": "..."}`` when a fork failed.
- grader -> zygote: ``{"id": N, "clone": true}`` with one descriptor attached, a socket of the same
  kind: the zygote forks a copy of itself that serves that socket as its own control socket (it
  says ``ready`` there), so that another grading process (a batch process) forks its workers from
  a TensorFlow imported once for the whole batch. A clone is a zygote like this one: it never ran
  anything either, it leaves the descriptors of the zygote behind, gets a session of its own, dies
  with the zygote and ends when its grading process closes its end (or dies).

The zygote dies with the grading process (PDEATHSIG), and its children's reapers with it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import traceback

_PR_SET_PDEATHSIG = 1
_MAX_MESSAGE = 1 << 20
_CHILD_FDS = 3  # stdin, stdout+stderr, response pipe
_RESP_FD = 3  # where the child's response pipe lands (below every other descriptor it keeps)


def main(params: dict) -> None:
    sys.argv = sys.argv[:1]
    ctl = socket.socket(fileno=int(params["ctl_fd"]))
    for p in params.get("site", ()):
        if p not in sys.path:
            sys.path.append(p)
    from grader.sandbox import boot

    boot._site_builtins()
    parent = os.getppid()
    with contextlib.suppress(OSError):
        boot._prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the grader died before the request above took effect
        os._exit(0)
    kind = params.get("kind", "keras")
    exclude = list(params.get("exclude", ()))
    params.clear()
    _preload(kind, exclude)
    _send(ctl, {"ready": True, "pid": os.getpid()})
    _serve(ctl)


def _preload(kind: str, exclude: list[str]) -> None:
    """What a worker of this kind imports before the student's module, and the worker's own modules;
    the Landlock plan of the folders every worker reads (``exclude``: what the workers must not)."""
    import numpy  # noqa: F401

    if kind == "keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras  # noqa: F401
        import tensorflow  # noqa: F401

    from grader.sandbox import codec, confine, worker  # noqa: F401

    with contextlib.suppress(ImportError):  # confine imports it when it applies seccomp
        import pyseccomp  # noqa: F401
    with contextlib.suppress(Exception):  # without it, each worker computes the whole plan itself
        confine.keep_plans(exclude)
    if kind == "numpy":
        from grader.sandbox.policy import FORBIDDEN_IN_NUMPY_ONLY

        held = sorted(m for m in FORBIDDEN_IN_NUMPY_ONLY if m in sys.modules)
        if held:  # its workers could no longer refuse these: serve nothing (workers are spawned)
            raise SystemExit(f"a numpy zygote imported {', '.join(held)}")
    # Every worker would otherwise walk (and, by touching their headers, copy) all of TensorFlow's
    # objects in each full collection; frozen, they stay shared with the zygote and are never walked.
    # No gc.collect() first: ~0.3 s here, on a single run's critical path, to free a little garbage.
    gc.freeze()


def _send(ctl: socket.socket, message: dict) -> None:
    ctl.send(json.dumps(message).encode())


def _serve(ctl: socket.socket) -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_w)
    while True:
        try:
            ready, _, _ = select.select([ctl.fileno(), wake_r], [], [])
        except InterruptedError:
            ready = []
        if wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
        _reap(ctl)
        if ctl.fileno() not in ready:
            continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(ctl, _MAX_MESSAGE, _CHILD_FDS)
        except OSError:
            data, fds = b"", []
        if not data:  # the grader closed its end: nothing more to fork; the children die with us
            os._exit(0)
        try:
            request = json.loads(data)
            del data  # the child keeps this frame: nothing of the request but what it was handed
            if type(request) is not dict:
                raise ValueError("not an object")
            want = 1 if request.get("clone") is True else 0 if "pin" in request else _CHILD_FDS
            if len(fds) != want:
                raise ValueError(f"expected {want} descriptors, got {len(fds)}")
        except ValueError as exc:
            for fd in fds:
                os.close(fd)
            _send(ctl, {"id": None, "error": f"bad request: {exc}"})
            continue
        if "pin" in request:  # before the forks asked for after it: they inherit it
            _pin(request["pin"])
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            _send(ctl, {"id": request.get("id"), "error": f"fork failed: {exc}"})
            continue
        if pid == 0:
            if request.get("clone") is True:
                _clone(fds[0])
            _child(request, fds)
        for fd in fds:
            os.close(fd)
        _send(ctl, {"id": request.get("id"), "pid": pid})


def _pin(cpus) -> None:
    """Run on ``cpus`` only (a batch process's core; see Zygote.pin). Best effort."""
    if isinstance(cpus, list) and cpus and all(type(c) is int and c >= 0 for c in cpus):
        with contextlib.suppress(OSError, AttributeError, ValueError):
            os.sched_setaffinity(0, cpus)


def _reap(ctl: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(ctl, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become what ``python -I -S -c BOOT`` would have been, then boot."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        stdin, out, resp = fds
        os.dup2(stdin, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.dup2(resp, _RESP_FD)
        os.closerange(_RESP_FD + 1, _max_fd())  # the zygote's socket and wake-up pipe, these fds' originals
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _forget_zygote_paths()
        params = dict(request["params"])
        params["resp_fd"] = _RESP_FD
        params["forked"] = True
        request.clear()
        from grader.sandbox import boot

        boot.main(params)  # serves until told to exit; ends the process itself
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - before any student code: the grader's problem, shown in the output
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _clone(ctl_fd: int) -> None:
    """In the forked child: become a zygote serving ``ctl_fd`` (another grading process's end)."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.dup2(ctl_fd, _RESP_FD)
        os.closerange(_RESP_FD + 1, _max_fd())  # the zygote's socket and wake-up pipe
        os.setsid()  # a group of its own: a grader's last-resort killpg reaches it, not its siblings
        from grader.sandbox import boot

        parent = os.getppid()
        boot._prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the zygote it was forked from
        if os.getppid() != parent:
            os._exit(0)
        ctl = socket.socket(fileno=_RESP_FD)
        _send(ctl, {"ready": True, "pid": os.getpid()})
        _serve(ctl)  # ends the process itself
    except BaseException:  # noqa: BLE001 - nothing of a student runs here; the client sees EOF
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        os._exit(code)


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        return 1 << 16


def _forget_zygote_paths() -> None:
    """Paths computed from the zygote's environment while importing: point them at the child's."""
    import tempfile

    tempfile.tempdir = None  # recomputed from TMPDIR (confine points it at scratch/tmp anyway)
    config = sys.modules.get("keras.src.backend.config")
    home = os.environ.get("KERAS_HOME")
    if config is not None and home and hasattr(config, "_KERAS_DIR"):
        config._KERAS_DIR = home  # type: ignore[attr-defined]  # Keras' private home, read at import
