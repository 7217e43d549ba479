"""The worker process: the only place student code is imported and run.

Reached through :mod:`grader.sandbox.boot`, which confined the process first, with the
submission's temporary copy as working directory. Requests arrive pickled on the original
stdin (trusted: the grader wrote them); replies leave through the response pipe encoded with
:mod:`grader.sandbox.codec` (plain data only). The student's own stdin is /dev/null and their
stdout/stderr go to a pipe the grader drains and caps.

This module must stay light: numpy-only workers never import TensorFlow.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import pickle
import struct
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from grader.sandbox.codec import encode

_state: dict[str, Any] = {"module": None, "path": None, "rules": []}

# The worker does not know the student's language, and must not need the catalogues: its own
# sentences for the student either come translated from the grader (the import payload's
# "blocked" and "denied" texts) or leave as message() markers the grader translates.


def message(msgid: str, **params: Any) -> dict:
    """A sentence for the student as plain data: the grader replaces it with its translation.

    ``msgid`` must be a message id the module sending it lists in ``WORKER_MESSAGES`` (the
    grader translates nothing else); ``params`` are plain data, possibly markers themselves.
    """
    return {"__message__": msgid, "params": params}


class _Blocker(importlib.abc.MetaPathFinder):
    """Refuses imports the topic's policy forbids, naming the rule in the error."""

    def __init__(self, blocked: dict[str, str]):
        self.blocked = blocked

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        reason = self.blocked.get(top)
        if reason is not None:
            raise ImportError(f"POLICY: {reason}", name=fullname)
        return None


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        b = os.read(fd, n)
        if not b:
            raise EOFError
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _student_traceback(exc: BaseException) -> tuple[str, int | None, str]:
    """The traceback trimmed to frames inside the submission: what the student can act on."""
    root = _state["path"] or ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root)]
    text = "".join(traceback.format_list(frames[-5:])) if frames else ""
    last = frames[-1] if frames else None
    where = os.path.relpath(last.filename, root) if last else ""
    return where, (last.lineno if last else None), text


def _exc_payload(kind: str, exc: BaseException) -> dict:
    where, line, tb = _student_traceback(exc)
    unprintable = False
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a student's exception may raise from __str__
        text, unprintable = "", True  # the grader says so in the student's language
    out = {
        "ok": False,
        "kind": kind,
        "type": type(exc).__name__,
        "message": text[:2000],
        "file": where,
        "line": line,
        "traceback": tb[-4000:],
    }
    if unprintable:
        out["unprintable"] = True
    return out


_SPAWN_EVENTS = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
)


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _rule_checker(rules: list) -> Callable[[str, str], bool] | None:
    """``allowed(real path, right)`` over Landlock-style rules [(path, "read_file+read_dir"...)]:
    a right holds when a rule on the path or on any folder above it grants it (Landlock's union)."""
    if not rules:
        return None
    table: dict[str, set[str]] = {}
    for path, rights in rules:
        table.setdefault(path, set()).update(str(rights).split("+"))

    def allowed(path: str, right: str) -> bool:
        while True:
            if right in table.get(path, ()):
                return True
            parent = os.path.dirname(path)
            if parent == path:
                return False
            path = parent

    return allowed


def _install_audit_hook(rules: list, denied: dict[str, str]) -> None:
    """Refuse Python-level opens outside the worker's file rules, and starting other programs.

    The operating system enforces the same file rules (Landlock) where the kernel has it; this hook
    gives those refusals a sentence the student understands, and is the only file rule on a machine
    without Landlock (native code can bypass it there: the report says so). Audit hooks cannot be
    removed once added.
    """
    allowed = _rule_checker(rules)
    own_pid = os.getpid()

    def hook(event: str, args: tuple) -> None:
        if event == "open" and allowed is not None and args and isinstance(args[0], (str, bytes, os.PathLike)):
            try:
                path = os.path.realpath(os.fsdecode(args[0]))
            except (TypeError, ValueError):
                return
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            if any(c in mode for c in "wax+") or flags & _WRITE_FLAGS:
                right = "write_file"
            else:
                right = "read_dir" if os.path.isdir(path) else "read_file"
            if not allowed(path, right):
                raise PermissionError(denied["read" if right != "write_file" else "write"].format(path=path))
        elif event in _SPAWN_EVENTS:
            raise PermissionError(denied["spawn"].format(event=event))
        elif event in ("os.kill", "os.killpg") and args and args[0] not in (own_pid, 0):
            # Signals to itself are the student's business; the grader is out of reach.
            raise PermissionError(denied["signal"])

    sys.addaudithook(hook)


def op_import(p: dict) -> dict:
    root = p["root"]
    _state["path"] = root
    if p.get("preload_tensorflow"):
        # Keras topics: import TF (and Keras) before the student's module and before the
        # hooks below, so TF's own start-up is neither blocked nor charged to the student.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    sys.meta_path.insert(0, _Blocker(dict(p.get("blocked", {}))))
    _install_audit_hook(_state["rules"], dict(p["denied"]))
    sys.path.insert(0, root)
    path = os.path.join(root, p["filename"])
    name = p["module"]
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        return {
            "ok": False,
            "kind": "syntax",
            "type": type(exc).__name__,
            "message": str(exc.msg),
            "file": os.path.basename(exc.filename or p["filename"]),
            "line": exc.lineno,
            "text": (exc.text or "").rstrip("\n")[:300],
        }
    except ImportError as exc:
        if str(exc).startswith("POLICY: "):
            out = _exc_payload("policy", exc)
            out["message"] = str(exc)[len("POLICY: ") :]
            return out
        return _exc_payload("import", exc)
    except SystemExit as exc:
        out = _exc_payload("exit", exc)
        out["code"] = repr(exc.code)
        return out
    except BaseException as exc:  # noqa: BLE001 - anything the student's import does
        return _exc_payload("import", exc)
    _state["module"] = module
    names = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_"))
    return {"ok": True, "names": names}


def op_call(p: dict) -> dict:
    module = _state["module"]
    fn = getattr(module, p["name"], None)
    if fn is None:
        return {"ok": False, "kind": "missing", "message": f"{p['name']} is not defined", "type": "AttributeError"}
    args, kwargs = p.get("args", ()), p.get("kwargs", {})
    caught: list[str] = []
    # A pure call (the grader's call_pure): the array arguments as they were, to tell the grader
    # which ones the call changed; sending them all back costs more than the call on small arrays.
    kept = _array_args(args) if p.get("pure") else None
    try:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            import numpy as np

            with np.errstate(all="warn"):
                value = fn(*args, **kwargs)
            caught = [f"{w.category.__name__}: {w.message}" for w in rec][:20]
    except NotImplementedError as exc:
        return {"ok": False, "kind": "not_implemented", "message": str(exc)[:500], "type": "NotImplementedError"}
    except SystemExit as exc:
        out = _exc_payload("exit", exc)
        out["code"] = repr(exc.code)
        return out
    except RecursionError as exc:
        return _exc_payload("raised", exc)
    except BaseException as exc:  # noqa: BLE001
        return _exc_payload("raised", exc)
    describe = p.get("describe")
    if describe:
        # "package.module:function", chosen by the grader (trusted), run here on the value.
        import importlib

        mod_name, _, fn_name = describe.partition(":")
        try:
            describer = getattr(importlib.import_module(mod_name), fn_name)
            value = describer(value, **p.get("describe_kwargs", {}))
        except Exception as exc:  # noqa: BLE001 - a broken student object
            return _exc_payload("describe", exc)
    out = {"ok": True, "value": value, "warnings": caught}
    if p.get("return_args"):
        out["args_after"] = list(args)
    if kept is not None:
        out["mutated"] = _mutated(args, kept)
    return out


def _array_args(args: tuple) -> list:
    import numpy as np

    return [(i, a.copy()) for i, a in enumerate(args) if isinstance(a, np.ndarray)]


def _mutated(args: tuple, kept: list) -> list[int]:
    """The 1-based positions of the array arguments the call changed (in shape, dtype or any value)."""
    import numpy as np

    out = []
    for i, before in kept:
        now = args[i]
        try:
            same = (
                now.shape == before.shape
                and now.dtype == before.dtype
                and (
                    now.tobytes() == before.tobytes()
                    or bool(np.array_equal(now, before, equal_nan=before.dtype.kind == "f"))
                )
            )
        except Exception:  # noqa: BLE001 - whatever the call made of it, it is not what was passed
            same = False
        if not same:
            out.append(i + 1)
    return out


def op_drive(p: dict) -> dict:
    """Run a grader-side driver (``module:function``) on the student's module.

    For multi-step exercises (MNIST: preprocess, build, train, save) the driver sequences
    the student's functions in this process and returns plain data or files; the grader
    verifies those itself. ``progress`` is a file the driver may append JSON lines to.
    """
    import importlib

    mod_name, _, fn_name = p["driver"].partition(":")
    driver = getattr(importlib.import_module(mod_name), fn_name)
    try:
        value = driver(_state["module"], progress=p.get("progress"), **p.get("kwargs", {}))
    except NotImplementedError as exc:
        return {"ok": False, "kind": "not_implemented", "message": str(exc)[:500], "type": "NotImplementedError"}
    except SystemExit as exc:
        out = _exc_payload("exit", exc)
        out["code"] = repr(exc.code)
        return out
    except BaseException as exc:  # noqa: BLE001
        return _exc_payload("raised", exc)
    return {"ok": True, "value": value, "warnings": []}


def op_chain(p: dict) -> list[bytes]:
    """Calls of one function in a row, answered together: the reply frames of the calls the grader
    would otherwise make one round trip at a time (an optimizer's steps, an initializer's samples).

    Each call's arguments arrive pickled on their own, so every call gets fresh objects, as separate
    requests would give it. ``slots`` put the previous call's results into the next call's
    arguments, as the grader would have sent them back: decoded from the reply frame, never the
    student's own objects. The chain stops after a call that failed or whose result cannot be fed
    on; the grader makes whatever calls are left itself, and checks every reply as it would a
    single call's.
    """
    from grader.sandbox.codec import decode

    frames: list[bytes] = []
    prev = list(p.get("start", ()))
    n_out = int(p.get("n_out", 1))
    for step in p["steps"]:
        args, kwargs = pickle.loads(step["call"])
        args = list(args)
        for pos, i in step.get("slots", ()):
            args[pos] = prev[i]
        reply = op_call({"name": p["name"], "args": tuple(args), "kwargs": kwargs, "pure": p.get("pure")})
        data = _encoded(reply)
        frames.append(data)
        if not reply["ok"]:
            break
        got = decode(data).get("value")
        if n_out == 1:
            prev = [got]
        elif type(got) in (tuple, list) and len(got) == n_out:
            prev = list(got)
        else:
            break
    return frames


OPS: dict[str, Callable[[dict], Any]] = {"import": op_import, "call": op_call, "drive": op_drive, "chain": op_chain}


def _encoded(reply: dict) -> bytes:
    try:
        return encode(reply)
    except BaseException as exc:  # noqa: BLE001
        try:
            text = str(exc)[:500]
        except Exception:  # noqa: BLE001 - a hostile __str__
            text = ""
        return encode({"ok": False, "kind": "encode", "type": type(exc).__name__, "message": text})


def serve(resp_fd: int, rules: list | None = None) -> None:
    """Answer the grader's requests until it says exit (called by :mod:`grader.sandbox.boot`).

    ``rules``: the worker's file rules, for the audit hook installed at import time.
    """
    _state["rules"] = list(rules or [])
    req_fd = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    # Keep the pipes away from anything the worker might start (it cannot, where confined).
    os.set_inheritable(resp_fd, False)
    os.set_inheritable(req_fd, False)
    while True:
        try:
            (n,) = struct.unpack("<Q", _read_exact(req_fd, 8))
            op, payload = pickle.loads(_read_exact(req_fd, n))
        except EOFError:
            os._exit(0)
        if op == "exit":
            os._exit(0)
        reply = OPS[op](payload)
        # A chain answers with a frame saying how many call frames follow, then those frames.
        frames = [_encoded({"ok": True, "frames": len(reply)}), *reply] if op == "chain" else [_encoded(reply)]
        sys.stdout.flush()
        sys.stderr.flush()
        _write_all(resp_fd, b"".join(struct.pack("<Q", len(f)) + f for f in frames))
