"""The first grader code a worker process runs: confine it, then serve (:mod:`grader.sandbox.worker`).

:mod:`grader.sandbox.client` starts ``python -I -S -c BOOT PARAMS`` where PARAMS is JSON with the
run's private folders only (the runtime copy of the worker-side modules this file is read from,
the worker's scratch, the submission copy and the data folder, what to leave out of the read
grants); no path of the grader's installation or checkout is in it. ``-S``: no ``site`` processing,
so no ``.pth`` file or editable-install finder of the grading machine runs (they name source
folders); the site-packages folders are appended to ``sys.path`` by hand.

In order, while the process is still single-threaded (numpy is not imported yet):

1. **The reaper.** The process makes itself a child subreaper and forks: the parent stays behind as
   the reaper (no student code ever runs in it), the child becomes the worker. Everything the worker
   starts is reparented to the reaper when its parent dies, so when the worker ends (or the grader
   sends the reaper SIGTERM) the reaper kills every process left below it, waits until it has no
   child at all, and only then exits with the worker's status. The grader therefore knows that the
   worker and anything it started are gone once the reaper has exited.
2. **confine()** (:mod:`grader.sandbox.confine`) in the worker: privilege drop, prctl, Landlock,
   seccomp; strict mode exits before running anything when a mechanism is missing.
3. **Hello.** The first frame on the response pipe says what was confined (sent before any student
   code runs, so the grader can trust it), then :func:`grader.sandbox.worker.serve` takes over.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import sys
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
EXIT_CONFINEMENT = 70  # the worker refused to start: strict confinement could not be applied


def main(params: dict) -> None:
    sys.argv = sys.argv[:1]  # the parameters stay out of what student code can read back
    _cap_memory(int(params.get("memory_mb") or 0))
    resp_fd = int(params["resp_fd"])
    for p in params.get("site", ()):
        if p not in sys.path:
            sys.path.append(p)
    _site_builtins()
    skip = list(params.get("skip", ()))  # benchmarks of the sandbox's cost only
    # _become_reaper returns in the worker only.
    subreaper = _status("skipped", "by the caller") if "subreaper" in skip else _become_reaper(resp_fd)
    from grader.sandbox import confine as C

    scratch = params["scratch"]
    try:
        if set(C.MECHANISMS) <= set(skip):  # as if there were no sandbox at all (benchmarks)
            status = C.Confinement({k: C.MechanismStatus("skipped", "by the caller") for k in C.MECHANISMS})
        else:
            status = C.confine(
                scratch,
                read_roots=params.get("read", ()),
                exclude=params.get("exclude", ()),
                strict=bool(params.get("strict")),
                include_sys_path=True,
                skip=[s for s in skip if s in C.MECHANISMS],
            )
    except C.ConfinementError as exc:
        _send(
            resp_fd,
            {
                "ok": False,
                "hello": True,
                "kind": "sandbox",
                "message": str(exc),
                "confinement": _mechanisms(exc.status, subreaper, None),
            },
        )
        os._exit(EXIT_CONFINEMENT)
    for sub in ("home", "mpl", "tmp"):
        os.makedirs(os.path.join(scratch, sub), exist_ok=True)
    rules, hook = _file_rules(C, status, scratch, params)
    _send(
        resp_fd,
        {
            "ok": True,
            "hello": True,
            "pid": os.getpid(),
            "start": _start_time(),
            "seconds": round(status.seconds, 4),
            "uid": status.uid,
            "forked": bool(params.get("forked")),  # by the zygote (grader.sandbox.zygote)
            "confinement": _mechanisms(status, subreaper, hook),
        },
    )
    params.clear()
    from grader.sandbox.worker import serve

    serve(resp_fd, rules)


def _cap_memory(mb: int) -> None:
    """The address-space cap, first, so that it binds the reaper, the worker and all they start."""
    if mb <= 0:
        return
    try:
        import resource
    except ImportError:  # pragma: no cover - not Unix
        return
    cap = mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _site_builtins() -> None:
    """exit(), quit(), help() and copyright as ``site`` would define them (-S skips it)."""
    try:
        import site

        site.setquit()
        site.setcopyright()
        site.sethelper()
    except Exception:  # noqa: BLE001 - cosmetic only
        pass


def _status(state: str, detail: str = "") -> dict:
    return {"state": state, "detail": detail}


def _mechanisms(status, subreaper: dict, hook: dict | None) -> dict:
    out = {}
    if status is not None:
        out = {name: _status(s.state, s.detail) for name, s in status.mechanisms.items()}
    out["subreaper"] = subreaper
    if hook is not None:
        out["audit_hook"] = hook
    return out


def _file_rules(C, status, scratch: str, params: dict) -> tuple[list, dict]:
    """The file rules the worker's audit hook applies to Python-level opens (friendlier refusals).

    Landlock's own rules when it was applied; otherwise the same plan computed without applying
    it, so that a machine without Landlock still refuses Python-level reads of what Landlock
    would protect (native code can bypass that: the report says so).
    """
    if status.mechanisms["landlock_fs"].state == "applied":
        return status.landlock_rules, _status("applied", "friendlier refusals of Python-level opens")
    if status.mechanisms["landlock_fs"].state == "skipped":
        return [], _status("skipped", "by the caller")
    try:
        plan, _missing = C._landlock_plan(
            scratch, list(params.get("read", ())), list(params.get("exclude", ())), [], True
        )
    except Exception as exc:  # noqa: BLE001 - best effort by definition
        return [], _status("failed", f"{type(exc).__name__}: {exc}")
    rules = [(p, C._rights_text(r)) for p, r in plan]
    return rules, _status(
        "applied",
        "Python-level file opens limited to the Landlock rules; native code (ctypes, extensions) is not stopped",
    )


def _start_time() -> int | None:
    """This process's start time in clock ticks (/proc/self/stat field 22): with the pid, an identity
    that a recycled pid does not share."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


# ------------------------------------------------------------------------------------ reaper


def _prctl(option: int, arg: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if (
        libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        != 0
    ):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def _become_reaper(resp_fd: int) -> dict:
    """Fork; the parent becomes the reaper and never returns. Returns the status in the worker."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return _status(
            "unavailable",
            f"child subreapers are Linux only (this is {sys.platform}); processes the worker starts could outlive it",
        )
    grader = os.getppid()
    child = [0]
    stopping = [False]

    def stop(signum, frame):  # the grader's "end this worker": the worker first, its leftovers after
        stopping[0] = True
        if child[0]:
            with contextlib.suppress(OSError):
                os.kill(child[0], signal.SIGKILL)

    try:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    except OSError as exc:
        return _status("unavailable", f"PR_SET_CHILD_SUBREAPER failed: {exc}")
    signal.signal(signal.SIGTERM, stop)  # before the fork: no window where SIGTERM skips the clean-up
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with contextlib.suppress(OSError):  # the worker's own orphans go to the reaper, not to it
            _prctl(_PR_SET_CHILD_SUBREAPER, 0)
        return _status("applied", "every process the worker starts is killed when it ends; the grader waits for that")
    child[0] = pid
    if stopping[0]:  # SIGTERM came between installing the handler and knowing the child
        os.kill(pid, signal.SIGKILL)
    _reap(pid, grader, resp_fd)
    raise AssertionError("unreachable")  # pragma: no cover


def _reap(child: int, grader: int, resp_fd: int) -> None:
    # Hold nothing of the worker's: its pipes must reach EOF when the worker dies.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    with contextlib.suppress(OSError):
        os.close(resp_fd)
    try:  # the reaper ends (and ends the worker) when the grader does
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != grader:
            os.kill(os.getpid(), signal.SIGTERM)
    except OSError:
        pass
    status = None
    while status is None:
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == child:
            status = st
    _kill_descendants()
    if status is not None and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), sig)  # the grader reads the worker's fate from the reaper's
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if status is not None else 0)


def _kill_descendants() -> None:
    """SIGKILL every child until none is left (orphans keep being reparented here meanwhile)."""
    while True:
        for pid in _children():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no child left, not even a zombie
        if pid == 0:
            time.sleep(0.005)


def _children() -> list[int]:
    me = os.getpid()
    try:
        with open(f"/proc/self/task/{me}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        pass
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    if int(fh.read().rsplit(b")", 1)[1].split()[1]) == me:
                        out.append(int(name))
            except (OSError, ValueError, IndexError):
                pass
    return out


# ------------------------------------------------------------------------------------ hello


def _send(fd: int, value) -> None:
    """One reply frame in :mod:`grader.sandbox.codec`'s format, for plain JSON-like values (no numpy yet)."""
    head = json.dumps({"v": _enc(value), "b": []}).encode()
    data = struct.pack("<Q", len(head)) + head
    data = struct.pack("<Q", len(data)) + data
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _enc(v):
    if v is None or type(v) in (bool, str):
        return v
    if type(v) is int:
        return {"__int__": str(v)}
    if type(v) is float:
        return {"__float__": float.hex(v)}
    if type(v) in (list, tuple):
        return {"__list__": [_enc(x) for x in v]}
    if type(v) is dict:
        return {"__dict__": [[_enc(k), _enc(x)] for k, x in v.items()]}
    return str(v)
