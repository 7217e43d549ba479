"""Reference values that do not depend on the student, computed once and kept on disk.

A check asks for such a value through the ``reference`` fixture::

    gs, ws = reference("keras trajectory", lambda: keras_trajectory(...), inputs=(fn, hp, bowl.key()))

``compute()`` runs TensorFlow/Keras on inputs the check drew from its ``rng`` (never on anything
a student returned) and returns plain data: NumPy arrays of numbers, Python/NumPy scalars,
strings, ``None``, and lists/tuples/dicts of those. The value is then kept in a
content-addressed store, so the next student of a batch (any process of it) and the next
``grader run --seed N`` get the very same value without computing it again.

**The key** is a BLAKE2 digest of everything the value can depend on: the store's fingerprint
(grader version, the digest of the check module's source, TensorFlow, Keras, NumPy and Python
versions, the machine architecture), the check's id, the run's seed, the name the check gives
the value, and the bytes, dtypes and shapes of ``inputs``. Anything ``compute`` reads must come
from those (it does, when it only uses ``inputs`` and values drawn from the check's own
``rng``); a check that passes a student's output to ``compute`` still gets a correct value
(the output is then part of the key), it just is never shared.

**The same value either way.** Cached or not, the check receives the value as the store's codec
(:mod:`grader.sandbox.codec`: JSON plus raw buffers, bit-exact, never pickle) rebuilds it, so a
run with the store and a run without it give identical results.

**On disk** (``<folder>/<fingerprint>/<2 hex>/<key>.ref``) a file is a magic line, its key and the
SHA-256 of its payload, then the payload. Files are written under a temporary name and renamed,
so a reader sees a whole file or none; one that does not verify is recomputed and replaced. A
per-key ``flock`` makes processes that want the same missing value compute it once (the others
wait, then read it). The folder is created private (0700); a folder that other users could
write to is not used at all (it could be planted with wrong values), and a store that cannot be
written still serves what it computes from memory. Student code never reaches it: workers may
read only their own copy of the submission and write only their scratch folder.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import platform
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import grader
from grader.core.tfimport import import_tensorflow
from grader.sandbox import codec

OFF = "off"
ENV = "GRADER_CACHE_DIR"
_MAGIC = b"tfgrader-reference 1\n"
MEMORY_BYTES = 256 * 1024 * 1024  # values kept in memory per process (a batch process keeps them all)


class Unstorable(TypeError):
    """``compute()`` returned something that is not plain data (a tensor, a Keras object, ...)."""


def default_folder(setting: str | None) -> Path | None:
    """The store's folder for the ``reference_cache`` setting; None when the store is off.

    The setting wins, then ``$GRADER_CACHE_DIR``, then ``$XDG_CACHE_HOME/tfgrader``, then
    ``~/.cache/tfgrader``; ``off`` in the setting or the environment variable turns the store off.
    """
    value = setting if setting else os.environ.get(ENV, "")
    if value.strip().lower() == OFF:
        return None
    if value:
        return Path(value).expanduser() / "references"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tfgrader" / "references"


def open_store(setting: str | None) -> RefStore:
    """The store for the ``reference_cache`` setting; "off" computes every value every time."""
    folder = default_folder(setting)
    return RefStore(folder, memory_bytes=MEMORY_BYTES if folder is not None else 0)


def versions_fingerprint() -> str:
    """What every stored value depends on besides its own key: grader and library versions."""
    import numpy

    parts = [
        f"grader={grader.__version__}",
        f"numpy={numpy.__version__}",
        f"python={platform.python_version()}",
        f"machine={platform.machine()}",
    ]
    for name in ("tensorflow", "keras"):
        try:
            module = import_tensorflow() if name == "tensorflow" else __import__(name)
            parts.append(f"{name}={module.__version__}")
        except Exception as exc:  # noqa: BLE001 - then nothing TF computes is cached usefully anyway
            parts.append(f"{name}=unavailable:{type(exc).__name__}")
    return hashlib.blake2b(";".join(parts).encode(), digest_size=8).hexdigest()


@functools.lru_cache(maxsize=64)
def source_digest(path: str | None) -> str:
    """The digest of a check module's source: editing a check invalidates what it stored."""
    if not path:
        return "-"
    try:
        with open(path, "rb") as fh:
            return hashlib.blake2b(fh.read(), digest_size=12).hexdigest()
    except OSError:
        return "-"


def digest(obj: Any, h: Any) -> None:
    """Feed ``obj`` (plain data) into the hash ``h``: type, dtype, shape and bytes of everything."""
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufc":
            raise Unstorable(f"an array of dtype {obj.dtype} cannot be part of a reference key")
        h.update(f"nd:{obj.dtype.str}:{obj.shape};".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, np.generic):
        digest(np.asarray(obj), h)
        h.update(b"scalar;")
    elif isinstance(obj, (tuple, list)):
        h.update(f"{type(obj).__name__}[{len(obj)}](".encode())
        for item in obj:
            digest(item, h)
        h.update(b");")
    elif isinstance(obj, dict):
        h.update(f"dict[{len(obj)}](".encode())
        for key in sorted(obj, key=repr):
            digest(key, h)
            digest(obj[key], h)
        h.update(b");")
    elif isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
        h.update(f"dtype:{np.dtype(obj).str};".encode())
    elif type(obj).__name__ == "DType" and type(obj).__module__.startswith("tensorflow"):
        h.update(f"tfdtype:{obj.name};".encode())  # tf.float32 as an argument (the batch cache's keys)
    else:
        raise Unstorable(f"{type(obj).__name__} cannot be part of a reference key")


def _check_plain(value: Any, depth: int = 0) -> None:
    if depth > 30:
        raise Unstorable("reference value nested too deeply")
    t = type(value)
    if value is None or t in (bool, int, float, str):
        return
    if t is np.ndarray:
        if value.dtype.kind not in "biuf" or value.dtype.fields is not None:
            raise Unstorable(f"reference arrays must hold numbers, not {value.dtype}")
        return
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return
    if t in (list, tuple):
        for item in value:
            _check_plain(item, depth + 1)
        return
    if t is dict:
        for k, item in value.items():
            if type(k) not in (str, int):
                raise Unstorable("reference dict keys must be str or int")
            _check_plain(item, depth + 1)
        return
    raise Unstorable(
        f"a reference value must be plain data (NumPy arrays, numbers, lists, ...), "
        f"not {t.__module__}.{t.__qualname__}: convert it with np.asarray"
    )


def _private_enough(folder: Path) -> bool:
    """A store other users may write to could be planted with wrong values: only use our own."""
    try:
        st = folder.stat()
    except OSError:
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class RefStore:
    """One process's view of the store: a bounded in-memory layer over the (optional) folder."""

    def __init__(self, folder: Path | None, *, memory_bytes: int = MEMORY_BYTES):
        self.root: Path | None = None
        self.problem = ""  # why the folder is not used, when it is not
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                (folder / ".keep").touch(exist_ok=True)  # proves it is writable
                if _private_enough(folder):
                    self.root = folder
                else:
                    self.problem = f"{folder} is writable by other users"
            except OSError as exc:
                self.problem = f"{folder}: {exc.strerror or exc}"
        self._fingerprint: str | None = None
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_bytes = 0
        self._memory_cap = memory_bytes
        self._lock = threading.Lock()
        self.stats = {"memory_hits": 0, "disk_hits": 0, "computed": 0, "written": 0, "bad_files": 0}

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = versions_fingerprint()
        return self._fingerprint

    def key(self, check_id: str, seed: int, name: str, inputs: Any, source: str) -> str:
        h = hashlib.blake2b(digest_size=20)
        h.update(f"{self.fingerprint};{source};{check_id};{seed};{name};".encode())
        digest(inputs, h)
        return h.hexdigest()

    def _path(self, key: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / self.fingerprint / key[:2] / f"{key}.ref"

    # -- the one operation checks use ----------------------------------------------------

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        data = self._memory.get(key)
        if data is not None:
            self.stats["memory_hits"] += 1
            self._memory.move_to_end(key)
            return codec.decode(data)
        path = self._path(key)
        if path is None:
            return self._remember(key, self._computed(compute))
        with self._locked(path):
            data = self._read(path, key)
            if data is not None:
                self.stats["disk_hits"] += 1
                return self._remember(key, data)
            data = self._computed(compute)
            self._write(path, key, data)
        return self._remember(key, data)

    # -- internals -------------------------------------------------------------------------

    def _computed(self, compute: Callable[[], Any]) -> bytes:
        value = compute()
        _check_plain(value)
        self.stats["computed"] += 1
        return codec.encode(value)

    def _remember(self, key: str, data: bytes) -> Any:
        with self._lock:
            if key not in self._memory and len(data) <= self._memory_cap:
                self._memory[key] = data
                self._memory_bytes += len(data)
                while self._memory_bytes > self._memory_cap:
                    _, old = self._memory.popitem(last=False)
                    self._memory_bytes -= len(old)
        return codec.decode(data)

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        """Hold the key's lock file (advisory; released by the kernel if the process dies)."""
        fd = -1
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except (OSError, ImportError):
            pass  # no lock: at worst two processes compute the same value
        try:
            yield
        finally:
            if fd >= 0:
                os.close(fd)  # closing releases the flock

    def _read(self, path: Path, key: str) -> bytes | None:
        try:
            with open(path, "rb") as fh:
                blob = fh.read()
        except OSError:
            return None
        head = _MAGIC + key.encode() + b"\n"
        if not blob.startswith(head) or len(blob) < len(head) + 65:
            self.stats["bad_files"] += 1
            return None
        want, payload = blob[len(head) : len(head) + 64], blob[len(head) + 65 :]
        if hashlib.sha256(payload).hexdigest().encode() != want:
            self.stats["bad_files"] += 1
            return None
        try:
            codec.decode(payload)
        except codec.DecodeError:
            self.stats["bad_files"] += 1
            return None
        return payload

    def _write(self, path: Path, key: str, data: bytes) -> None:
        blob = _MAGIC + key.encode() + b"\n" + hashlib.sha256(data).hexdigest().encode() + b"\n" + data
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:8]}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, path)
            tmp = None
            self.stats["written"] += 1
        except OSError:
            pass  # a full disk or a read-only store: the value is still served from memory
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


class Reference:
    """What the ``reference`` fixture gives one check: ``reference(name, compute, inputs=...)``."""

    def __init__(self, store: RefStore, check_id: str, seed: int, source: str):
        self._store, self._check_id, self._seed, self._source = store, check_id, seed, source

    def __call__(self, name: str, compute: Callable[[], Any], inputs: Any = ()) -> Any:
        key = self._store.key(self._check_id, self._seed, name, inputs, self._source)
        return self._store.get_or_compute(key, compute)
