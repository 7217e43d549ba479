"""The grader's side of the worker processes: start, talk to, police and replace them.

A :class:`Worker` is one process for one module of one submission (:mod:`grader.sandbox.boot`
and :mod:`grader.sandbox.worker` are its other end). Requests go pickled on its stdin (trusted:
the grader built them); replies come back through a pipe as plain data
(:mod:`grader.sandbox.codec`). A worker that hangs, dies or sends garbage is killed and
replaced, so the next check starts clean.

Every worker is confined by the operating system (:mod:`grader.sandbox.confine`) before it
runs anything, and sees only the run's private folders (:class:`SubmissionCopy`): the copy of
the submission and the data handed to it (read-only), the worker-side grader modules copied
into a runtime folder (read-only), its own scratch folder (the only place it may write). No
path of the grader's installation or checkout reaches it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pickle
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.config import Limits
from grader.errors import InternalError, NotAttempted, StudentCrashed, StudentRaised, StudentTimeout, UsageError
from grader.i18n import _, t
from grader.sandbox import codec
from grader.sandbox import confine as _confine
from grader.sandbox.policy import FORBIDDEN_IN_NUMPY_ONLY, forbidden_imports
from grader.sandbox.replies import _raised_text, import_error, localize

# The worker's first line: only the runtime folder (a private copy, see build_runtime) is put on
# sys.path, and boot takes it from there. -S: no site processing (see grader.sandbox.boot).
_BOOT = (
    "import sys, json; P = json.loads(sys.argv[1]); sys.path.insert(0, P['runtime']); "
    "from grader.sandbox.boot import main; main(P)"
)
_PACKAGE = __name__.partition(".")[0]  # "grader": this package, wherever it is installed
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
# What every worker runs besides the caller's modules (which name the course's worker-side code).
SANDBOX_MODULES = (
    f"{_PACKAGE}.sandbox.boot",
    f"{_PACKAGE}.sandbox.confine",
    f"{_PACKAGE}.sandbox.worker",
    f"{_PACKAGE}.sandbox.codec",
)
MODES = ("strict", "best-effort")
HELLO_TIMEOUT = 60.0  # seconds from spawn to the worker's first frame (start-up + confinement; no student code)
REAP_TIMEOUT = 10.0  # seconds the reaper may take to kill a worker and all it left behind
MECHANISMS = (*_confine.MECHANISMS, "subreaper", "audit_hook")
# For benchmarks that measure what confinement costs, and nothing else: when set, workers skip
# every mechanism (reported as "skipped", and strict mode refuses to grade).
UNSAFE_NO_SANDBOX = "GRADER_UNSAFE_NO_SANDBOX"


def _skipped() -> list[str]:
    return [*_confine.MECHANISMS, "subreaper"] if os.environ.get(UNSAFE_NO_SANDBOX) else []


def _scratch(path: Path) -> Path:
    """A folder the worker may write: owned by the uid it will run as (see confine.prepare_scratch)."""
    drops = "privilege_drop" not in _skipped() and probe()["privilege_drop"]["state"] == "available"
    if not drops and hasattr(os, "geteuid"):  # the worker keeps this uid (without capabilities, as root)
        return Path(_confine.prepare_scratch(path, os.geteuid(), os.getegid()))
    return Path(_confine.prepare_scratch(path))


# Worst first: the state a pool reports for a mechanism is the worst any of its workers had.
_STATE_RANK = {"failed": 0, "unavailable": 1, "skipped": 2, "missing": 3, "not_needed": 4, "applied": 5}


@dataclass(frozen=True)
class ModuleSpec:
    """What a worker needs to know about the module it runs (nothing of the course)."""

    name: str  # import name, e.g. "losses"
    filename: str  # file in the submission, e.g. "losses.py"
    numpy_only: bool  # TensorFlow, Keras, PyTorch and JAX are refused


# ------------------------------------------------------------------------------ the run's folders


def _module_files(name: str) -> list[Path]:
    """The source file of module ``name`` of this package and the __init__.py of every package above it,
    relative to the folder holding the package."""
    parts = name.split(".")
    if parts[0] != _PACKAGE:
        raise ValueError(f"{name} is not a module of the {_PACKAGE} package")
    base = _PACKAGE_DIR.parent
    out = [Path(*parts[:i], "__init__.py") for i in range(1, len(parts))]
    as_package = Path(*parts, "__init__.py")
    out.append(as_package if (base / as_package).exists() else Path(*parts[:-1], parts[-1] + ".py"))
    return out


def build_runtime(folder: Path, modules: Iterable[str] = ()) -> Path:
    """Copy the worker-side modules (:data:`SANDBOX_MODULES` plus ``modules``) into ``folder``.

    The worker imports this package from there and from nowhere else, so it never learns where
    the grader is installed and cannot read the rest of it (the course's checks, known-mistake
    catalogues, solutions beside a checkout). Sources keep their times, so the compiled files
    copied with them stay valid.
    """
    base = _PACKAGE_DIR.parent
    folder.mkdir(mode=0o755)
    files: dict[Path, None] = {}
    for name in (*SANDBOX_MODULES, *modules):
        files.update(dict.fromkeys(_module_files(name)))
    for rel in files:
        src, dst = base / rel, folder / rel
        dst.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        os.chmod(dst, 0o644)
        try:
            cached = Path(importlib.util.cache_from_source(str(src)))
        except (NotImplementedError, ValueError):
            continue
        if cached.is_file():
            target = Path(importlib.util.cache_from_source(str(dst)))
            target.parent.mkdir(mode=0o755, exist_ok=True)
            shutil.copy2(cached, target)
            os.chmod(target, 0o644)
    for d in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        os.chmod(d, 0o755)
    return folder


def _readable_by_all(root: Path) -> None:
    """Add read (and, for folders, search) for everyone: the worker may run as another user."""
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, os.stat(dirpath).st_mode | 0o555)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | 0o444)


def _rmtree(path: Path) -> None:
    """Remove ``path`` even where a worker left a folder without permissions."""

    def retry(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)


class SubmissionCopy:
    """The run's private folders; the worker runs in ``root``, never in the original submission.

    ``tmp/submission`` the copy of the submission (read-only for workers), ``tmp/data`` what
    :meth:`Worker.provide` hands them (read-only), ``tmp/runtime`` the worker-side modules
    (:func:`build_runtime`: this package's sandbox plus ``worker_modules``, read-only) and
    ``tmp/work/<topic>-<n>`` one scratch folder per worker process (the only writable place).
    """

    def __init__(self, source: Path, worker_modules: Iterable[str] = ()):
        self.source = source
        self.tmp = Path(tempfile.mkdtemp(prefix="grader-sub-"))
        try:
            # Traversable, not listable: a worker that runs as another user finds its folders by name.
            os.chmod(self.tmp, 0o711)
            self.root = self.tmp / "submission"
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "grader-report")
            shutil.copytree(source, self.root, ignore=ignore, symlinks=False)
            _readable_by_all(self.root)
            self.data = self.tmp / "data"
            self.data.mkdir(mode=0o755)
            os.chmod(self.data, 0o755)
            self.runtime = build_runtime(self.tmp / "runtime", worker_modules)
            self.work = self.tmp / "work"
            self.work.mkdir()
            os.chmod(self.work, 0o711)
        except BaseException:
            _rmtree(self.tmp)
            raise

    def cleanup(self) -> None:
        _rmtree(self.tmp)


def _site_dirs() -> list[str]:
    import site

    dirs = list(site.getsitepackages())
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


_EXCLUDED: list[list[str]] = []


def _exclusions() -> list[str]:
    """What the worker must not read although it lies in its read grants (computed once per process)."""
    if not _EXCLUDED:
        _EXCLUDED.append(_confine.private_entries(_PACKAGE_DIR, _site_dirs()))
    return _EXCLUDED[0]


# ------------------------------------------------------------------------------ confinement policy

_PROBE: list[dict] = []

_FIXES = {
    "landlock_fs": "Landlock needs Linux >= 5.13 (network rules >= 6.7, scopes >= 6.12) built with "
    "CONFIG_SECURITY_LANDLOCK and 'landlock' in the lsm= boot parameter",
    "seccomp": "install libseccomp (Debian/Ubuntu: apt-get install libseccomp2) and pyseccomp (pip install pyseccomp)",
    "privilege_drop": "as root the worker becomes uid 65534: install Python where that user can read it "
    "(e.g. /usr/local or /opt), or run the grader as an ordinary user",
}


def probe() -> dict[str, dict]:
    """What this machine offers for confining workers, without changing anything (cached).

    {mechanism: {"state": available | unavailable | not_needed, "detail": why}}, the
    mechanisms of :mod:`grader.sandbox.confine` plus the subreaper that reaps what a worker started.
    """
    if not _PROBE:
        found = {k: {"state": v.state, "detail": v.detail} for k, v in _confine.probe().items()}
        if sys.platform.startswith("linux") and hasattr(os, "fork"):
            found["subreaper"] = {"state": "available", "detail": "PR_SET_CHILD_SUBREAPER"}
        else:
            found["subreaper"] = {"state": "unavailable", "detail": f"Linux only (this is {sys.platform})"}
        _PROBE.append(found)
    return {k: dict(v) for k, v in _PROBE[0].items()}


def check_mode(mode: str | None) -> str:
    if mode is None:
        return "best-effort"
    if mode not in MODES:
        raise UsageError(f"unknown sandbox mode {mode!r}", fix="use --sandbox strict or --sandbox best-effort")
    return mode


def require(mode: str | None) -> dict[str, dict]:
    """The probe, after refusing strict mode where full confinement is unavailable (UsageError, exit 2)."""
    mode = check_mode(mode)
    found = probe()
    for name in _skipped():
        found[name] = {"state": "skipped", "detail": f"{UNSAFE_NO_SANDBOX} is set (benchmarks only)"}
    missing = {k: v for k, v in found.items() if v["state"] not in ("available", "not_needed")}
    if mode == "strict" and missing:
        why = "; ".join(f"{k}: {v['detail']}" for k, v in missing.items())
        fixes = list(dict.fromkeys(_FIXES.get("landlock_fs" if k.startswith("landlock") else k, "") for k in missing))
        fix = "; ".join(f for f in fixes if f)
        raise UsageError(
            f"strict sandbox: this machine cannot fully confine student code ({why})",
            fix=(fix + "; " if fix else "") + "run `grader doctor` for details, or grade with --sandbox "
            'best-effort (sandbox = "best-effort" in [tool.grader]) if you trust the code',
        )
    return found


def report(hellos: list[dict], mode: str) -> dict:
    """What confined the workers of a run, per mechanism (the worst state any worker had), for results."""
    mechanisms: dict[str, dict] = {}
    started = [h for h in hellos if isinstance(h.get("confinement"), dict)]
    for name in MECHANISMS:
        seen = [h["confinement"].get(name) or {"state": "missing", "detail": "not reported"} for h in started]
        if not seen:
            continue
        worst = min(seen, key=lambda s: _STATE_RANK.get(s.get("state"), 0))
        entry = {"state": str(worst.get("state")), "detail": str(worst.get("detail", ""))}
        states = {s.get("state") for s in seen}
        if len(states) > 1:
            n = sum(1 for s in seen if s.get("state") == worst.get("state"))
            entry["detail"] += f" (in {n} of {len(seen)} worker processes)"
        mechanisms[name] = entry
    failed = [h for h in hellos if not h.get("ok")]
    confined = (
        bool(mechanisms) and not failed and all(m["state"] in ("applied", "not_needed") for m in mechanisms.values())
    )
    return {
        "mode": mode,
        "confined": confined,
        "workers": len(hellos),
        "forked": sum(1 for h in hellos if h.get("forked") is True),  # from a zygote (grader.sandbox.zygote)
        "applied": [k for k, m in mechanisms.items() if m["state"] == "applied"],
        "not_confined": [k for k, m in mechanisms.items() if m["state"] not in ("applied", "not_needed")],
        "mechanisms": mechanisms,
        "failed_starts": [str(h.get("message", ""))[:500] for h in failed],
    }


def _alive(pid: int, start: int | None) -> bool:
    """Is the process (pid, start time) still there (a zombie counts as gone)?"""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        if sys.platform.startswith("linux"):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if fields[0] == b"Z":
        return False
    return start is None or int(fields[19]) == start


class _OutputDrain(threading.Thread):
    """Reads the worker's stdout/stderr so it never blocks, keeping only the first bytes."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        while True:
            chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536)
            if not chunk:
                with contextlib.suppress(OSError):
                    self.stream.close()
                return
            room = self.cap - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]
            self.dropped += max(0, len(chunk) - max(room, 0))


def _describe_exit(code: int | None) -> str:
    if code is None:
        return t("the process stopped responding")
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:
            return t("the process was killed ({signal}; often the memory limit)", signal=name)
        return t("the process was killed by {signal}", signal=name)
    return t("the process exited with code {code}", code=code)


def worker_env(scratch_dir: Path) -> dict[str, str]:
    """The whole environment of a worker (or zygote) whose scratch is ``scratch_dir``."""
    keep = ("LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    scratch = str(scratch_dir)
    tmp = os.path.join(scratch, "tmp")
    user = "nobody" if hasattr(os, "geteuid") and os.geteuid() == 0 else os.environ.get("USER", "student")
    env.update(
        PATH=os.defpath,  # nothing of the grader's PATH (it may name a checkout's virtualenv)
        # A fresh HOME: Keras reads ~/.keras/keras.json, and a HOME it may not read crashes TF.
        HOME=os.path.join(scratch, "home"),
        # Named outright: where HOME is not writable Keras falls back to /tmp/.keras, whose
        # keras.json (someone else's, if any) Landlock then refuses, and every import fails.
        KERAS_HOME=os.path.join(scratch, "home", ".keras"),
        MPLCONFIGDIR=os.path.join(scratch, "mpl"),
        TMPDIR=tmp,
        TEMP=tmp,
        TMP=tmp,
        USER=user,
        LOGNAME=user,  # getpass.getuser() without reading /etc/passwd
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONDONTWRITEBYTECODE="1",
        # The worker computes single small calls; extra BLAS threads only fight the grader.
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
        OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"),
    )
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if k in os.environ:  # needed for correct results on some CPUs (see env docs)
            env[k] = os.environ[k]
    return env


# ------------------------------------------------------------------------------ the zygote

_ZYGOTE_BOOT = (
    "import sys, json; P = json.loads(sys.argv[1]); sys.path.insert(0, P['runtime']); "
    "from grader.sandbox.zygote import main; main(P)"
)


class ForkedProcess:
    """The parts of :class:`subprocess.Popen` a :class:`Worker` uses, for a worker forked by a
    :class:`Zygote` (its parent is the zygote, which reports its pid and its end)."""

    args = "forked by the zygote"

    def __init__(self, zygote: Zygote, stdin_fd: int, stdout_fd: int):
        self._zygote = zygote
        self.stdin = os.fdopen(stdin_fd, "wb")
        self.stdout = os.fdopen(stdout_fd, "rb")
        self._pid: int | None = None
        self.returncode: int | None = None

    @property
    def pid(self) -> int | None:
        """The reaper's pid once the zygote forked it (waits for that); None if it never was."""
        with self._zygote._changed:
            self._zygote._changed.wait_for(
                lambda: self._pid is not None or self.returncode is not None, timeout=HELLO_TIMEOUT
            )
        return self._pid

    @property
    def forked_pid(self) -> int | None:
        """The pid if the zygote has reported the fork, without waiting."""
        return self._pid

    def poll(self) -> int | None:
        return self.returncode

    def close(self) -> None:
        for f in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                f.close()

    def wait(self, timeout: float | None = None) -> int:
        with self._zygote._changed:
            if not self._zygote._changed.wait_for(lambda: self.returncode is not None, timeout=timeout):
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self.returncode  # type: ignore[return-value]


def zygote_kind(spec: ModuleSpec) -> str:
    """The zygote a module's worker may fork from: numpy-only ones never from one holding TensorFlow."""
    return "numpy" if spec.numpy_only else "keras"


class Zygote:
    """A process that imported NumPy, or TensorFlow (``kind`` keras), once and forks workers
    (:mod:`grader.sandbox.zygote`).

    One of each kind per ``grader run`` or per batch process. It runs from its own private
    runtime copy and scratch, started exactly like a worker; :meth:`spawn` hands it a worker's
    pipes and parameters. Usable from several threads. When it is gone (it failed to import,
    or was killed), :attr:`alive` turns false and workers are spawned as usual.
    """

    def __init__(self, worker_modules: Iterable[str] = (), kind: str = "keras"):
        if kind not in ("keras", "numpy"):
            raise ValueError(f"unknown zygote kind {kind!r}")
        self._init_state(kind, Path(tempfile.mkdtemp(prefix="grader-zygote-")))
        try:
            os.chmod(self.tmp, 0o711)  # children that run as another user import from its runtime
            runtime = build_runtime(
                self.tmp / "runtime", (f"{_PACKAGE}.sandbox.zygote", f"{_PACKAGE}.sandbox.policy", *worker_modules)
            )
            scratch = _scratch(self.tmp / "work")
            for sub in ("home", "mpl", "tmp"):
                (scratch / sub).mkdir(exist_ok=True)
            self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            params = {
                "runtime": str(runtime),
                "ctl_fd": theirs.fileno(),
                "site": _site_dirs(),
                "kind": kind,
                "exclude": _exclusions(),  # the workers' own; the zygote plans Landlock around them once
            }
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _ZYGOTE_BOOT, json.dumps(params)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # TensorFlow's start-up chatter
                pass_fds=(theirs.fileno(),),
                cwd=scratch,
                env=worker_env(scratch),
                start_new_session=True,
            )
            theirs.close()
        except BaseException:
            _rmtree(self.tmp)
            raise
        self._start_reader()

    @classmethod
    def adopt(cls, sock: socket.socket, kind: str) -> Zygote:
        """The client of a clone (:meth:`clone`) another process asked for, in the process that
        was handed ``sock``: used like a zygote of its own; its folder is the original's."""
        self = cls.__new__(cls)
        self._init_state(kind, None)
        self._sock = sock
        self.proc = _Adopted(self)
        self._start_reader()
        return self

    def _init_state(self, kind: str, tmp: Path | None) -> None:
        self.kind = kind
        self.tmp = tmp
        self._changed = threading.Condition()
        self._children: dict[int, ForkedProcess] = {}  # request id -> process
        self._by_pid: dict[int, ForkedProcess] = {}
        self._next = 0
        self._dead = False
        self.ready = False

    def _start_reader(self) -> None:
        self._reader = threading.Thread(target=self._read_loop, name="grader-zygote", daemon=True)
        self._reader.start()

    def pin(self, cpus: set[int]) -> None:
        """Run this zygote, and the workers it forks from then on, on ``cpus`` only. A batch process
        keeps its workers on its own core: each call to a worker is then a switch on that core, not
        a wake-up of the other one, which the other batch process keeps busy. The zygote pins itself
        when it reads the request, before any fork asked for after it (no wait for a clone to be
        ready). Best effort: a zygote that is gone, or cannot, is left as it is."""
        if self._dead:
            return
        with contextlib.suppress(OSError):
            self._sock.send(json.dumps({"pin": sorted(int(c) for c in cpus)}).encode())

    def clone(self) -> socket.socket | None:
        """Ask the zygote to fork a copy of itself for another grading process (a batch process),
        which adopts the returned socket (:meth:`adopt`): one TensorFlow import serves them all.
        None when the zygote is gone."""
        if self._dead:
            return None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with self._changed:
            self._next += 1
            rid = self._next
        try:
            socket.send_fds(self._sock, [json.dumps({"id": rid, "clone": True}).encode()], [theirs.fileno()])
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        return ours

    @property
    def alive(self) -> bool:
        return not self._dead

    def spawn(self, params: dict, env: dict[str, str], cwd: Path) -> ForkedProcess:
        """Fork a worker with these boot parameters (``resp_fd`` is the grader's write end of the
        response pipe: sent to the child, then closed here), environment and working directory."""
        resp_w = int(params["resp_fd"])
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        proc = ForkedProcess(self, in_w, out_r)
        with self._changed:
            self._next += 1
            rid = self._next
            self._children[rid] = proc
        request = {"id": rid, "params": {k: v for k, v in params.items() if k != "resp_fd"}, "env": env}
        request["cwd"] = str(cwd)
        try:
            socket.send_fds(self._sock, [json.dumps(request).encode()], [in_r, out_w, resp_w])
        except OSError:  # the zygote is gone: the caller spawns this worker instead
            self._finish(proc)
        finally:
            os.close(in_r)
            os.close(out_w)
            os.close(resp_w)
        return proc

    def _finish(self, proc: ForkedProcess) -> None:
        with self._changed:
            if proc.returncode is None:
                proc.returncode = -signal.SIGKILL
            self._changed.notify_all()

    def _read_loop(self) -> None:
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            try:
                msg = json.loads(data)
            except ValueError:
                continue
            with self._changed:
                if msg.get("ready"):
                    self.ready = True
                    if isinstance(self.proc, _Adopted) and type(msg.get("pid")) is int:
                        self.proc._pid = msg["pid"]
                elif "exit" in msg:
                    proc = self._by_pid.pop(int(msg["exit"]), None)
                    if proc is not None and proc.returncode is None:
                        proc.returncode = int(msg["code"])
                elif "pid" in msg:
                    proc = self._children.pop(msg.get("id"), None)
                    if proc is not None:
                        proc._pid = int(msg["pid"])
                        self._by_pid[proc._pid] = proc
                elif "error" in msg:
                    proc = self._children.pop(msg.get("id"), None)
                    if proc is not None:  # the fork failed: the worker is spawned instead
                        proc.returncode = -signal.SIGKILL
                self._changed.notify_all()
        # The zygote is gone: its children's reapers got SIGTERM (PDEATHSIG) and end their workers.
        with self._changed:
            self._dead = True
            for proc in [*self._children.values(), *self._by_pid.values()]:
                if proc.returncode is None:
                    proc.returncode = -signal.SIGKILL
            self._children.clear()
            self._by_pid.clear()
            self._changed.notify_all()

    def close(self) -> None:
        """End the zygote and remove its folder. Its workers were closed first; any left would
        be ended by their reapers, which die with it (PDEATHSIG)."""
        self._dead = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        try:  # a ready zygote exits at once; one still importing would finish first: no need
            self.proc.wait(timeout=1 if self.ready else 0.01)
        except subprocess.TimeoutExpired:
            pid = self.proc._pid if isinstance(self.proc, _Adopted) else self.proc.pid
            if pid is not None:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError):
            self._sock.close()
        if self.tmp is not None:
            _rmtree(self.tmp)


class _Adopted:
    """The parts of :class:`subprocess.Popen` :meth:`Zygote.close` uses, for a clone: it is the
    original zygote's child, not ours, so its end is seen in /proc rather than waited for."""

    args = "a clone of a zygote"

    def __init__(self, zygote: Zygote):
        self._zygote = zygote
        self._pid: int | None = None  # told in the clone's "ready" message

    @property
    def pid(self) -> int | None:
        """The clone's pid once it said it is ready (waits for that); None if it never does."""
        with self._zygote._changed:
            self._zygote._changed.wait_for(lambda: self._pid is not None or not self._zygote.alive, HELLO_TIMEOUT)
        return self._pid

    def wait(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout or 0)
        while self._pid is not None and _alive(self._pid, None):
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            time.sleep(0.01)
        return 0


def _unforked(proc) -> bool:
    """True for a worker the zygote was to fork and never did (it ended first)."""
    return isinstance(proc, ForkedProcess) and proc.returncode is not None and proc.forked_pid is None


class Worker:
    """One worker process (at a time) for one topic of one submission."""

    def __init__(
        self,
        spec: ModuleSpec,
        copy: SubmissionCopy,
        limits: Limits,
        on_progress: Callable[[str, dict], None] | None = None,
        *,
        strict: bool = False,
        zygotes: Mapping[str, Zygote] | None = None,
    ):
        self.spec = spec
        self.copy = copy
        # By kind: a numpy-only worker must be able to refuse `import tensorflow`.
        self.zygote = (zygotes or {}).get(zygote_kind(spec))
        if self.zygote is not None and self.zygote.kind != zygote_kind(spec):
            raise ValueError(f"a {self.zygote.kind} zygote cannot fork {spec.name}'s worker")
        self.root = copy.root
        self.limits = limits
        self.strict = strict
        self.proc: subprocess.Popen | ForkedProcess | None = None
        self.resp_fd: int | None = None
        self._inbuf = bytearray()
        self.drain: _OutputDrain | None = None
        self.import_reply: dict | None = None
        self._import_sent = False
        self.timed_out: set[str] = set()  # functions not run again after a timeout
        # Called as on_progress(module name, event_dict) while a driver reports progress.
        self.on_progress = on_progress
        self._progress_path: Path | None = None
        self._progress_pos = 0
        self._in_flight: PendingDrive | None = None  # a drive sent and its reply not read yet
        self.scratch: Path | None = None
        self.hellos: list[dict] = []  # the first frame of every process started: what confined it
        self.processes: list[tuple[int, int | None]] = []  # (pid, start time) of every worker process
        self._hello_pending = False
        self._starts = 0

    # -- process management -------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        return worker_env(Path(str(self.scratch)))

    def _params(self, resp_fd: int) -> dict:
        """What the worker's boot needs before anything else: the run's private folders only."""
        return {
            "runtime": str(self.copy.runtime),
            "resp_fd": resp_fd,
            "scratch": str(self.scratch),
            "read": [str(self.copy.root), str(self.copy.data)],
            "exclude": _exclusions(),
            "site": _site_dirs(),
            "strict": self.strict,
            "skip": _skipped(),
            "memory_mb": self.limits.memory_mb,
        }

    def _workdir(self) -> Path:
        """The worker's current directory: a folder of its scratch holding a link to every entry of the
        submission copy, so that relative reads find the student's files and relative writes
        (a plot, a saved model) land in scratch, while the copy itself stays read-only."""
        cwd = _scratch(self.scratch / "cwd")
        for entry in os.scandir(self.root):
            os.symlink(entry.path, cwd / entry.name)
        return cwd

    def start(self) -> None:
        """Spawn the process and send the import request without waiting for it."""
        if self.proc is not None:
            return
        self._starts += 1
        self.scratch = _scratch(self.copy.work / f"{self.spec.name}-{self._starts}")
        cwd = self._workdir()
        self.proc = None
        if self.zygote is not None and self.zygote.alive:
            # Forked from a process that already imported TensorFlow, then booted as below.
            r, w = os.pipe()
            proc = self.zygote.spawn(self._params(w), self._env(), cwd)  # closes w
            if proc.poll() is None:
                self.proc = proc
            else:  # the zygote is gone: start this one the usual way
                os.close(r)
                proc.close()
        if self.proc is None:
            r, w = os.pipe()
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _BOOT, json.dumps(self._params(w))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(w,),
                cwd=cwd,
                env=self._env(),
                # Its own session, so that a last-resort killpg reaches everything it started. No
                # preexec_fn: it would force a full fork() of this (large, TensorFlow-holding)
                # process for every worker, where vfork() costs nothing; boot sets the memory cap.
                start_new_session=True,
            )
            os.close(w)
        self.resp_fd = r
        self._inbuf = bytearray()  # what was read from resp_fd beyond the frame asked for
        self._hello_pending = True
        self.drain = _OutputDrain(self.proc.stdout, self.limits.output_kb * 1024)
        self.drain.start()
        self._import_sent = False
        path = self.root / self.spec.filename
        if path.exists():
            banned = forbidden_imports(path) if self.spec.numpy_only else []
            if banned:
                # Refused before running anything: the module is never imported.
                self.import_reply = {
                    "ok": False,
                    "kind": "policy",
                    "message": t(
                        "'{topic}' is a numpy-only topic, but {file} uses {modules}; write the computation with NumPy",
                        topic=self.spec.name,
                        file=self.spec.filename,
                        modules=", ".join(banned),
                    ),
                }
                return
            self._send("import", self._import_payload())
            self._import_sent = True

    def _import_payload(self) -> dict:
        blocked = {"solutions": t("the reference solutions are not available to submissions")}
        if self.spec.numpy_only:
            for name in FORBIDDEN_IN_NUMPY_ONLY:
                blocked[name] = t(
                    "'{topic}' is a numpy-only topic: importing {module} is not allowed; write the computation "
                    "with NumPy",
                    topic=self.spec.name,
                    module=name,
                )
        denied = {  # templates, filled in by the worker
            "read": _("reading {path} is not allowed while grading"),
            "write": _("writing {path} is not allowed while grading"),
            "spawn": _("starting other programs ({event}) is not allowed while grading"),
            "signal": _("sending signals to other processes is not allowed while grading"),
        }
        return {
            "root": str(self.root),
            "denied": denied,
            "filename": self.spec.filename,
            "module": self.spec.name,
            "blocked": blocked,
            "preload_tensorflow": not self.spec.numpy_only,
        }

    def _await_hello(self) -> None:
        """Read the worker's first frame (what confined it). A worker that fails before sending it
        never ran student code, so that failure is the grader's (or the machine's), not the student's."""
        if not self._hello_pending:
            return
        self._hello_pending = False
        proc = self.proc
        try:
            hello = self._frame(HELLO_TIMEOUT, t("while starting"))
        except (StudentTimeout, StudentCrashed) as exc:
            if _unforked(proc):
                self.kill()
                # The zygote ended before forking this worker (nothing of it ever ran): spawn it.
                self.zygote = None
                self.start()
                self._await_hello()
                return
            self.hellos.append({"ok": False, "message": exc.message})
            raise InternalError(
                f"a worker process failed while starting, before running any student code: {exc.message}"
            ) from None
        if hello.get("hello") is not True:
            self.kill()
            raise InternalError("a worker process did not report its confinement")
        self.hellos.append(hello)
        if hello.get("ok"):
            pid, start = hello.get("pid"), hello.get("start")
            if isinstance(pid, int):
                self.processes.append((pid, start if isinstance(start, int) else None))
            return
        self.kill()
        raise InternalError(
            f"the sandbox could not be applied ({hello.get('message')}); nothing was run",
            fix="run `grader doctor`, or grade with --sandbox best-effort",
        )

    def _reaped(self) -> bool:
        """True when the worker's boot stays behind as a reaper (see grader.sandbox.boot)."""
        for hello in reversed(self.hellos):
            state = (hello.get("confinement") or {}).get("subreaper", {}).get("state")
            if state is not None:
                return state == "applied"
        return sys.platform.startswith("linux")

    def kill(self) -> None:
        """End the process and everything it started, and wait until they are gone."""
        if self.proc is None:
            return
        proc = self.proc
        if self._reaped():
            # The reaper kills the worker, then every process it left, and exits last.
            pid = proc.pid
            if pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM)
            try:
                proc.wait(timeout=REAP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill_group(proc)
        else:
            self._kill_group(proc)
        self._close()

    @staticmethod
    def _kill_group(proc: subprocess.Popen | ForkedProcess) -> None:
        # The group leader is not reaped yet, so its id cannot have been reused.
        pid = proc.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        proc.wait()

    def close(self) -> None:
        if self.proc is None:
            return
        if self._in_flight is not None:  # a drive nobody waits for any more: nothing to finish
            self.kill()
            return
        if self.proc.poll() is None:
            with contextlib.suppress(InternalError):
                self._await_hello()
            if self.proc is not None and self.proc.poll() is None:
                try:
                    self._send("exit", {})
                    self.proc.wait(timeout=2)
                except (StudentCrashed, subprocess.TimeoutExpired, OSError):
                    pass
        self.kill()

    def _close(self) -> None:
        if self.resp_fd is not None:
            os.close(self.resp_fd)
            self.resp_fd = None
            self._inbuf = bytearray()
        if self.proc is not None and self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        self.proc = None
        self._hello_pending = False
        self._in_flight = None

    def alive(self) -> list[int]:
        """Pids of this worker's processes that still exist (none, once :meth:`close` returned)."""
        out = [pid for pid, start in self.processes if _alive(pid, start)]
        if self.proc is not None and self.proc.poll() is None and self.proc.pid is not None:
            out.append(self.proc.pid)
        return out

    @property
    def output(self) -> str:
        if self.drain is None:
            return ""
        text = self.drain.kept.decode("utf-8", "replace")
        if self.drain.dropped:
            text += "\n" + t("[... {n} more bytes of output were dropped]", n=self.drain.dropped)
        return text

    # -- wire ---------------------------------------------------------------------------

    def _send(self, op: str, payload: dict) -> None:
        if self._in_flight is not None:
            raise InternalError("a drive is still running in this worker: read its result first")
        data = pickle.dumps((op, payload), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(struct.pack("<Q", len(data)) + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._crashed(t("while receiving its inputs"))

    def _read(self, n: int, deadline: float, what: str) -> bytes:
        # Buffered: a chain's replies arrive together, and one read takes many frames.
        buf = self._inbuf
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise StudentTimeout(
                    t("{what} took longer than {seconds} s and was stopped", what=what, seconds=self._timeout_text)
                )
            ready, _, _ = select.select([self.resp_fd], [], [], min(remaining, 0.5))
            self._poll_progress()
            if not ready:
                continue
            b = os.read(self.resp_fd, min(max(n - len(buf), 1 << 16), 1 << 20))
            if not b:
                self._crashed(what)
            buf += b
        data = bytes(buf[:n])
        del buf[:n]
        return data

    def _poll_progress(self) -> None:
        path, callback = self._progress_path, self.on_progress
        if path is None or callback is None:
            return
        # The worker writes this file: never follow a link it planted, never block on a fifo.
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
            fh.seek(self._progress_pos)
            data = fh.read(1 << 16)
        end = data.rfind(b"\n")
        if end < 0:
            return
        self._progress_pos += end + 1
        for line in data[: end + 1].splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the student's process wrote it; ignore what is not ours
            if isinstance(event, dict):
                callback(self.spec.name, event)

    def _crashed(self, what: str):
        proc = self.proc
        code = None
        if proc is not None:
            try:  # the reaper exits as soon as the worker and its leftovers are gone
                code = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:  # the pipe closed but the worker lives on: end it
                self.kill()
                code = None
        output = self.output.strip()
        self._close()
        msg = t("{exit} ({what})", exit=_describe_exit(code), what=what)
        if output:
            msg += t("; last output: {output}", output=output[-300:])
        raise StudentCrashed(msg)

    def _frame(self, timeout: float, what: str, *, limit: float | None = None) -> dict:
        """The next reply, within ``timeout`` seconds; a timeout's message names ``limit`` (default
        ``timeout``: a drive read late still reports its whole time limit)."""
        self._timeout_text = f"{timeout if limit is None else limit:g}"
        deadline = time.monotonic() + timeout
        (n,) = struct.unpack("<Q", self._read(8, deadline, what))
        data = self._read(n, deadline, what)
        try:
            reply = codec.decode(data)
        except codec.DecodeError as exc:
            self.kill()
            raise StudentCrashed(t("the worker sent an unreadable reply ({error})", error=exc)) from None
        if type(reply) is not dict or type(reply.get("ok")) is not bool:
            self.kill()
            raise StudentCrashed(t("the worker sent a malformed reply"))
        return reply

    def _reply(self, timeout: float, what: str) -> dict:
        self._await_hello()
        return self._frame(timeout, what)

    # -- API ----------------------------------------------------------------------------

    def ensure_imported(self) -> dict:
        """Start (or restart) the process and return the import outcome, raising on failure."""
        if self.import_reply is not None and not self.import_reply["ok"]:
            return self.import_reply  # the same module fails the same way; don't retry
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.kill()
            self.import_reply = None
            self.start()
            if self.import_reply is not None:
                return self.import_reply
        if self.import_reply is None:
            if not self._import_sent:
                self.import_reply = {"ok": False, "kind": "missing_module"}
            else:
                try:
                    self.import_reply = self._reply(self.limits.import_timeout, t("while importing the module"))
                except StudentTimeout as exc:
                    self.import_reply = {"ok": False, "kind": "timeout", "message": exc.message}
                except StudentCrashed as exc:
                    self.import_reply = {"ok": False, "kind": "crash", "message": exc.message}
        return self.import_reply

    def _require_import(self) -> None:
        """Raise the topic-wide StudentError when the module could not be imported."""
        imp = self.ensure_imported()
        if not imp["ok"]:
            raise import_error(self.spec.filename, imp)

    def call(
        self,
        name: str,
        args: tuple,
        kwargs: dict,
        *,
        timeout: float | None = None,
        describe: str | None = None,
        describe_kwargs: dict | None = None,
        return_args: bool = False,
        pure: bool = False,
    ) -> dict:
        """Call ``name`` in the worker. ``return_args``: the reply carries the arguments as the call left
        them (``args_after``); ``pure``: the 1-based positions of the array arguments it changed
        (``mutated``, checked by the worker against copies made before the call)."""
        self._require_import()
        if name in self.timed_out:
            raise StudentTimeout(t("{name}() timed out in an earlier check, so it was not run again", name=name))
        payload = {
            "name": name,
            "args": args,
            "kwargs": kwargs,
            "describe": describe,
            "describe_kwargs": describe_kwargs or {},
            "return_args": return_args,
            "pure": pure,
        }
        self._send("call", payload)
        what = f"{name}()"
        try:
            reply = self._reply(timeout or self.limits.call_timeout, what)
        except StudentTimeout:
            self.timed_out.add(name)
            raise
        return self.answer(name, reply, describe)

    def answer(self, name: str, reply: dict, describe: str | None = None) -> dict:
        """What :meth:`call` makes of the worker's reply to a call of ``name``: the reply, or the
        StudentError it stands for."""
        if reply["ok"]:
            if describe:
                reply["value"] = localize(reply.get("value"), describe)
            return reply
        kind = reply.get("kind")
        if kind == "missing":
            raise NotAttempted(t("{name} is not defined in {file}", name=name, file=self.spec.filename))
        if kind == "not_implemented":
            raise NotAttempted(t("{name} still raises NotImplementedError", name=name))
        raise StudentRaised(_raised_text(name, reply, self.limits))

    def chain(
        self,
        name: str,
        steps: list[tuple[tuple, dict, tuple[tuple[int, int], ...]]],
        *,
        start: tuple = (),
        n_out: int = 1,
        pure: bool = False,
    ) -> list[dict] | None:
        """Make the calls ``steps`` of ``name`` in one round trip; their replies, for :meth:`answer`.

        A step is ``(args, kwargs, slots)``; ``slots`` are ``(position, index)`` pairs: argument
        ``position`` is item ``index`` of the previous call's result (of ``start`` for the first
        call; a result is an ``n_out``-tuple, or the value itself when ``n_out`` is 1). The worker stops
        after a call that failed or whose result is not such a tuple, so there may be fewer replies
        than steps. The whole chain gets one call's time limit: ``None`` when it took longer or the
        worker died (the worker is then ended; the caller makes the calls one by one, which gives
        each its own limit and the same verdicts).
        """
        self._require_import()
        if name in self.timed_out:
            return None
        payload = {
            "name": name,
            "start": start,
            "n_out": n_out,
            "pure": pure,
            "steps": [
                {"call": pickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL), "slots": slots}
                for args, kwargs, slots in steps
            ],
        }
        what = f"{name}()"
        deadline = time.monotonic() + self.limits.call_timeout
        try:
            self._send("chain", payload)
            head = self._reply(self.limits.call_timeout, what)
            count = head.get("frames")
            if not head["ok"] or type(count) is not int or not 0 <= count <= len(steps):
                self.kill()
                return None
            return [self._frame(max(deadline - time.monotonic(), 0.001), what) for _ in range(count)]
        except (StudentTimeout, StudentCrashed):
            self.kill()
            return None

    def provide(self, name: str, arrays: dict) -> str:
        """Write ``arrays`` as ``data/<name>`` (npz) beside the worker's copy; return its path.

        The data folder is readable (never writable) by the run's workers and by nothing else.
        """
        import numpy as np

        if "/" in name or name.startswith("."):
            raise ValueError(f"a plain file name, not {name!r}")
        folder = self.root.parent / "data"
        folder.mkdir(exist_ok=True)
        path = folder / name
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
        os.chmod(path, 0o644)
        return str(path)

    def outbox(self) -> str:
        """A folder inside the worker's scratch where it may write files for the grader (its path as the
        worker sees it). Read them back with :meth:`collect`, never by a path the worker sends."""
        if self.proc is None or self.proc.poll() is not None:
            self.ensure_imported()
        folder = Path(self.scratch) / "out"
        if not folder.is_dir():
            _scratch(folder)
        return str(folder)

    def collect(self, name: str, dest: Path, *, max_mb: int = 1024) -> Path:
        """Copy ``name`` from :meth:`outbox` to the grader's own ``dest``: a regular file only (no link,
        fifo or device the worker may have planted), at most ``max_mb`` MB. Raises FileNotFoundError."""
        if "/" in name or name.startswith("."):
            raise ValueError(f"a plain file name, not {name!r}")
        src = Path(self.scratch or "") / "out" / name
        fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise FileNotFoundError(f"{name} is not a regular file")
            if info.st_size > max_mb * 1024 * 1024:
                raise FileNotFoundError(f"{name} is larger than {max_mb} MB")
            with open(dest, "wb") as out:
                shutil.copyfileobj(fh, out, 1 << 20)
        return Path(dest)

    def drive(self, driver: str, kwargs: dict, *, timeout: float, what: str) -> dict:
        """Run ``driver`` (module:function) on the student's module in the worker."""
        return self.start_drive(driver, kwargs, timeout=timeout, what=what).result()

    def start_drive(self, driver: str, kwargs: dict, *, timeout: float, what: str) -> PendingDrive:
        """Send ``driver`` to the worker and return at once; :meth:`PendingDrive.result` waits for it.

        The grader works on meanwhile (the shipped MNIST model is evaluated while the worker trains).
        Until the result is read the worker takes no other call.
        """
        self._require_import()
        # Inside the worker's scratch, where it may write; created by the worker, not here.
        name = str(Path(self.scratch) / f"progress-{uuid.uuid4().hex[:12]}.jsonl")
        self._send("drive", {"driver": driver, "kwargs": kwargs, "progress": name})
        self._progress_path, self._progress_pos = Path(name), 0  # read from its start at the first poll
        pending = PendingDrive(self, driver, time.monotonic() + timeout, timeout, what)
        self._in_flight = pending
        return pending

    def _finish_drive(self, pending: PendingDrive) -> dict:
        if self._in_flight is not pending:
            raise InternalError("this drive's worker was stopped or reused before its result was read")
        try:
            reply = self._frame(max(pending.deadline - time.monotonic(), 0.001), pending.what, limit=pending.timeout)
            self._poll_progress()
        except BaseException:
            self.kill()  # no reply read (e.g. Ctrl-C): the worker may still be running the driver
            raise
        finally:
            self._in_flight = None
            self._progress_path = None
        if reply["ok"]:
            reply["value"] = localize(reply.get("value"), pending.driver)
            return reply
        if reply.get("kind") == "not_implemented":
            raise NotAttempted(
                t(
                    "{what}: a function still raises NotImplementedError ({detail})",
                    what=pending.what,
                    detail=reply.get("message"),
                )
            )
        raise StudentRaised(_raised_text(pending.what, reply, self.limits))


class PendingDrive:
    """A driver the worker is running; :meth:`result` waits for its reply (once)."""

    def __init__(self, worker: Worker, driver: str, deadline: float, timeout: float, what: str):
        self.worker, self.driver, self.deadline, self.timeout, self.what = worker, driver, deadline, timeout, what
        self._reply: dict | None = None
        self._error: Exception | None = None

    def result(self) -> dict:
        """The driver's reply, or the error it ended with (raised again on every call)."""
        if self._reply is None and self._error is None:
            try:
                self._reply = self.worker._finish_drive(self)
            except Exception as exc:  # noqa: BLE001 - kept, and raised again on every call
                self._error = exc
        if self._error is not None:
            raise self._error
        assert self._reply is not None
        return self._reply

    def value(self) -> object:
        """The driver's return value (see :meth:`result`)."""
        return self.result()["value"]

    def cancel(self) -> None:
        """Stop the worker if its reply was never read (nothing needs it any more)."""
        if self.worker._in_flight is self:  # its reply was never read
            self.worker.kill()
            self._error = InternalError("the drive was cancelled")


class WorkerPool:
    """One worker per module, started up front so their start-up overlaps the grader's."""

    def __init__(
        self,
        copy: SubmissionCopy,
        specs: list[ModuleSpec],
        limits: Limits,
        on_progress: Callable[[str, dict], None] | None = None,
        *,
        mode: str = "best-effort",
        zygotes: Mapping[str, Zygote] | None = None,
    ):
        self.mode = check_mode(mode)
        strict = self.mode == "strict"
        self.workers = {s.name: Worker(s, copy, limits, on_progress, strict=strict, zygotes=zygotes) for s in specs}

    def start_all(self) -> None:
        for w in self.workers.values():
            w.start()

    def get(self, topic: str) -> Worker:
        return self.workers[topic]

    def close(self) -> None:
        """Stop every worker, then make sure none of them, nor anything they started, is still alive.

        Raises InternalError if a process survives (nothing must be written while one does).
        """
        for w in self.workers.values():
            w.close()
        survivors = [pid for w in self.workers.values() for pid in w.alive()]
        for pid in survivors:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if survivors:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(pid for w in self.workers.values() for pid in w.alive()):
                time.sleep(0.05)
            left = [pid for w in self.workers.values() for pid in w.alive()]
            if left:
                raise InternalError(f"worker processes {left} survived the end of the run; no report was written")

    def sandbox(self) -> dict:
        """What confined this pool's workers (see :func:`report`)."""
        return report([h for w in self.workers.values() for h in w.hellos], self.mode)


def trial(mode: str = "best-effort") -> dict:
    """Start one worker on an empty submission, as a run would, and return what confined it
    (:func:`report`): the machine's answer in practice, where :func:`probe` only predicts it."""
    with tempfile.TemporaryDirectory(prefix="grader-doctor-") as empty:
        copy = SubmissionCopy(Path(empty))
        try:
            pool = WorkerPool(copy, [ModuleSpec("doctor", "doctor.py", True)], Limits(), mode=mode)
            try:
                pool.start_all()
                with contextlib.suppress(InternalError):  # reported by pool.sandbox(): failed_starts
                    pool.get("doctor")._await_hello()
            finally:
                pool.close()
            return pool.sandbox()
        finally:
            copy.cleanup()
