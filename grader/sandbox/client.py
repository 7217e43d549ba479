"""The grader's side of the worker processes: start, talk to, police and replace them.

A :class:`Worker` is one process for one module of one submission (:mod:`grader.sandbox.worker`
is its other end). Requests go pickled on its stdin (trusted: the grader built them); replies
come back through a pipe as plain data (:mod:`grader.sandbox.codec`). A worker that hangs,
dies or sends garbage is killed and replaced, so the next check starts clean.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.config import Limits
from grader.errors import NotAttempted, StudentCrashed, StudentRaised, StudentTimeout
from grader.i18n import _, t
from grader.sandbox import codec
from grader.sandbox.policy import FORBIDDEN_IN_NUMPY_ONLY, forbidden_imports
from grader.sandbox.replies import _raised_text, import_error, localize

_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[2]); "
    "from grader.sandbox.worker import main; "
    "sys.path.remove(sys.argv[2]); sys.path.append(sys.argv[2]); main(sys.argv)"
)
_GRADER_PARENT = str(Path(__file__).resolve().parent.parent.parent)


@dataclass(frozen=True)
class ModuleSpec:
    """What a worker needs to know about the module it runs (nothing of the course)."""

    name: str  # import name, e.g. "losses"
    filename: str  # file in the submission, e.g. "losses.py"
    numpy_only: bool  # TensorFlow, Keras, PyTorch and JAX are refused


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


class Worker:
    """One worker process for one topic of one submission."""

    def __init__(self, spec: ModuleSpec, root: Path, limits: Limits,
                 on_progress: Callable[[str, dict], None] | None = None):
        self.spec = spec
        self.root = root
        self.limits = limits
        self.proc: subprocess.Popen | None = None
        self.resp_fd: int | None = None
        self.drain: _OutputDrain | None = None
        self.import_reply: dict | None = None
        self._import_sent = False
        self.timed_out: set[str] = set()  # functions not run again after a timeout
        # Called as on_progress(module name, event_dict) while a driver reports progress.
        self.on_progress = on_progress
        self._progress_path: Path | None = None
        self._progress_pos = 0

    # -- process management -------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        keep = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT", "TMPDIR")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update(
            HOME=str(self.root),
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

    def _preexec(self):
        mem = self.limits.memory_mb

        def setup() -> None:
            os.setsid()
            if mem:
                import resource

                cap = mem * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        return setup

    def start(self) -> None:
        """Spawn the process and send the import request without waiting for it."""
        if self.proc is not None:
            return
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, str(w), _GRADER_PARENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(w,),
            cwd=self.root,
            env=self._env(),
            preexec_fn=self._preexec(),
        )
        os.close(w)
        self.resp_fd = r
        self.drain = _OutputDrain(self.proc.stdout, self.limits.output_kb * 1024)
        self.drain.start()
        self._import_sent = False
        path = self.root / self.spec.filename
        if path.exists():
            banned = forbidden_imports(path) if self.spec.numpy_only else []
            if banned:
                # Refused before running anything: the module is never imported.
                self.import_reply = {
                    "ok": False, "kind": "policy",
                    "message": t("'{topic}' is a numpy-only topic, but {file} uses {modules}; write the "
                                 "computation with NumPy", topic=self.spec.name, file=self.spec.filename,
                                 modules=", ".join(banned)),
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
                    "with NumPy", topic=self.spec.name, module=name)
        denied = {  # templates, filled in by the worker
            "read": _("reading {path} is not allowed while grading"),
            "spawn": _("starting other programs ({event}) is not allowed while grading"),
            "signal": _("sending signals to other processes is not allowed while grading"),
        }
        return {
            "root": str(self.root),
            "protected": [str(Path(_GRADER_PARENT) / "solutions")],
            "denied": denied,
            "filename": self.spec.filename,
            "module": self.spec.name,
            "blocked": blocked,
            "preload_tensorflow": not self.spec.numpy_only,
        }

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._close()

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
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
        if self.proc is not None and self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.proc = None

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
        data = pickle.dumps((op, payload), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(struct.pack("<Q", len(data)) + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._crashed(t("while receiving its inputs"))

    def _read(self, n: int, deadline: float, what: str) -> bytes:
        chunks, left = [], n
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise StudentTimeout(t("{what} took longer than {seconds} s and was stopped", what=what,
                                       seconds=self._timeout_text))
            ready, _, _ = select.select([self.resp_fd], [], [], min(remaining, 0.5))
            self._poll_progress()
            if not ready:
                continue
            b = os.read(self.resp_fd, min(left, 1 << 20))
            if not b:
                self._crashed(what)
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)

    def _poll_progress(self) -> None:
        path, callback = self._progress_path, self.on_progress
        if path is None or callback is None or not path.exists():
            return
        with open(path, "rb") as fh:
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
        code = self.proc.wait() if self.proc is not None else None
        output = self.output.strip()
        self._close()
        msg = t("{exit} ({what})", exit=_describe_exit(code), what=what)
        if output:
            msg += t("; last output: {output}", output=output[-300:])
        raise StudentCrashed(msg)

    def _reply(self, timeout: float, what: str) -> dict:
        self._timeout_text = f"{timeout:g}"
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

    def call(self, name: str, args: tuple, kwargs: dict, *, timeout: float | None = None,
             describe: str | None = None, describe_kwargs: dict | None = None,
             return_args: bool = False) -> dict:
        self._require_import()
        if name in self.timed_out:
            raise StudentTimeout(t("{name}() timed out in an earlier check, so it was not run again", name=name))
        payload = {"name": name, "args": args, "kwargs": kwargs, "describe": describe,
                   "describe_kwargs": describe_kwargs or {}, "return_args": return_args}
        self._send("call", payload)
        what = f"{name}()"
        try:
            reply = self._reply(timeout or self.limits.call_timeout, what)
        except StudentTimeout:
            self.timed_out.add(name)
            raise
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


    def provide(self, name: str, arrays: dict) -> str:
        """Write ``arrays`` as ``data/<name>`` (npz) beside the worker's copy; return its path."""
        import numpy as np

        if "/" in name or name.startswith("."):
            raise ValueError(f"a plain file name, not {name!r}")
        folder = self.root.parent / "data"
        folder.mkdir(exist_ok=True)
        path = folder / name
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
        return str(path)

    def drive(self, driver: str, kwargs: dict, *, timeout: float, what: str) -> dict:
        """Run ``driver`` (module:function) on the student's module in the worker."""
        self._require_import()
        fd, name = tempfile.mkstemp(prefix="progress-", suffix=".jsonl", dir=self.root.parent)
        os.close(fd)
        self._progress_path, self._progress_pos = Path(name), 0
        try:
            self._send("drive", {"driver": driver, "kwargs": kwargs, "progress": name})
            reply = self._reply(timeout, what)
            self._poll_progress()
        finally:
            self._progress_path = None
            Path(name).unlink(missing_ok=True)
        if reply["ok"]:
            reply["value"] = localize(reply.get("value"), driver)
            return reply
        if reply.get("kind") == "not_implemented":
            raise NotAttempted(t("{what}: a function still raises NotImplementedError ({detail})", what=what,
                                 detail=reply.get("message")))
        raise StudentRaised(_raised_text(what, reply, self.limits))



class SubmissionCopy:
    """A private temporary copy of the submission: the worker runs there, never in the original."""

    def __init__(self, source: Path):
        self.source = source
        self.tmp = Path(tempfile.mkdtemp(prefix="grader-sub-"))
        self.root = self.tmp / "submission"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "grader-report")
        shutil.copytree(source, self.root, ignore=ignore, symlinks=False)

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


class WorkerPool:
    """One worker per module, started up front so their start-up overlaps the grader's."""

    def __init__(self, root: Path, specs: list[ModuleSpec], limits: Limits,
                 on_progress: Callable[[str, dict], None] | None = None):
        self.workers = {s.name: Worker(s, root, limits, on_progress) for s in specs}

    def start_all(self) -> None:
        for w in self.workers.values():
            w.start()

    def get(self, topic: str) -> Worker:
        return self.workers[topic]

    def close(self) -> None:
        for w in self.workers.values():
            w.close()
