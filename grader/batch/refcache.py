"""A content-addressed cache of TensorFlow/Keras reference values, shared by the students of a batch.

Within one batch every student is graded with the same seed, so every check feeds TF the very
same inputs for every student. :func:`wrap` returns a stand-in for the ``tensorflow`` or
``keras`` module that checks receive as the ``tf`` / ``keras`` fixtures during batch grading:
attribute access behaves like the real module, and calls of *pure* functions on plain data are
memoized.

What is memoized (anything else is passed straight through to TensorFlow):

* functions (never classes: constructing layers, losses, optimizers, variables or tapes is
  untouched, so ``isinstance`` checks and stateful objects behave exactly as usual) reached
  through a deterministic namespace (``tf.nn``, ``tf.math``, ``tf.linalg``, ``tf.signal``,
  top-level ``tf.*`` functions, ``keras.ops``, ``keras.activations``, ``keras.losses``, and the
  same under ``tf.keras``), except names that draw random numbers or touch global state
  (``random``, ``dropout``, ``sample``, ``shuffle``, ``seed``, ``Variable``, ``function``, ...);
* only when every argument is plain data: NumPy arrays of numbers/booleans, NumPy and Python
  scalars, strings, ``None``, dtypes, and tuples/lists/dicts of those. Tensors and variables are
  never keys, so nothing a ``GradientTape`` watches can hit the cache (gradients stay exact);
* only in eager mode, and only results that are eager tensors or NumPy arrays of numbers (or
  tuples/lists of them).

The key is the access path (``tf.nn.softmax``), a BLAKE2 digest of the arguments' types,
dtypes, shapes and bytes, and the batch seed. A hit returns a *fresh* tensor built from a
read-only copy of the stored value, so a check that modifies its expected array in place cannot
poison the cache. Because only deterministic functions of identical inputs are shared, a hit
returns exactly what TensorFlow would have computed: verdicts equal those of ``grader run``.
"""

from __future__ import annotations

import hashlib
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.core.refstore import Unstorable, digest

_ROOTS_DEEP = ("nn", "math", "linalg", "signal", "ops", "activations", "losses")
# Tokens (path split at "." and "_") that mark randomness, global state or control flow.
_DENY = frozenset(
    {
        "random",
        "dropout",
        "sample",
        "sampler",
        "candidate",
        "shuffle",
        "seed",
        "variable",
        "function",
        "print",
        "fractional",
        "assert",
        "debugging",
        "config",
        "set",
        "get",
        "summary",
        "experimental",
        "compat",
        "while",
        "cond",
        "case",
        "switch",
        "scan",
        "map",
        "fn",
        "vectorized",
        "gradient",
        "gradients",
        "custom",
        "recompute",
        "scope",
        "device",
        "dependencies",
        "load",
        "save",
    }
)


def cacheable_path(path: str) -> bool:
    """Whether a function reached by ``path`` (``tf.nn.softmax``) may be memoized."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] not in ("tf", "keras"):
        return False
    tokens = {t for part in parts for t in part.lower().split("_")}
    if tokens & _DENY:
        return False
    inner = parts[1:]
    if inner and inner[0] == "keras":  # tf.keras.losses.x behaves as keras.losses.x
        inner = inner[1:]
    if parts[0] == "tf" and len(inner) == 1:  # tf.exp, tf.matmul, tf.reduce_sum
        return inner[0][:1].islower()
    return len(inner) == 2 and inner[0] in _ROOTS_DEEP and inner[1][:1].islower()


class Uncacheable(Exception):
    pass


@dataclass
class RefCache:
    """The store of one batch process. ``max_bytes`` bounds the memory kept for values."""

    seed: int | None = None
    max_bytes: int = 256 * 1024 * 1024
    store: dict = field(default_factory=dict)
    bytes_kept: int = 0
    hits: int = 0
    misses: int = 0
    passthrough: int = 0

    def stats(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "passthrough": self.passthrough,
            "entries": len(self.store),
            "bytes": self.bytes_kept,
        }

    def key(self, path: str, args: tuple, kwargs: dict) -> str:
        h = hashlib.blake2b(digest_size=20)
        h.update(f"{path};{self.seed};".encode())
        try:
            digest(args, h)
            digest(kwargs, h)
        except Unstorable:
            raise Uncacheable from None
        return h.hexdigest()


def _freeze(value: Any):
    """(kind, payload) for a storable result, or None."""
    if type(value).__name__ == "EagerTensor":
        arr = value.numpy()
        if not isinstance(arr, np.ndarray):
            arr = np.asarray(arr)
        if arr.dtype.kind not in "biufc":
            return None
        arr = arr.copy()
        arr.flags.writeable = False
        return ("tensor", arr)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        arr = value.copy()
        arr.flags.writeable = False
        return ("ndarray", arr)
    if isinstance(value, (tuple, list)) and value:
        parts = [_freeze(v) for v in value]
        if any(p is None for p in parts):
            return None
        return (type(value).__name__, parts)
    return None


def _thaw(frozen, tf) -> Any:
    kind, payload = frozen
    if kind == "tensor":
        return tf.constant(payload.copy())
    if kind == "ndarray":
        return payload.copy()
    items = [_thaw(p, tf) for p in payload]
    return tuple(items) if kind == "tuple" else items


def _nbytes(frozen) -> int:
    kind, payload = frozen
    if kind in ("tensor", "ndarray"):
        return payload.nbytes
    return sum(_nbytes(p) for p in payload)


class _MemoFunction:
    __slots__ = ("_fn", "_path", "_cache", "_tf", "__wrapped__")

    def __init__(self, fn, path: str, cache: RefCache, tf):
        self._fn, self._path, self._cache, self._tf = fn, path, cache, tf
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        cache = self._cache
        if not self._tf.executing_eagerly():
            cache.passthrough += 1
            return self._fn(*args, **kwargs)
        try:
            key = cache.key(self._path, args, kwargs)
        except Uncacheable:
            cache.passthrough += 1
            return self._fn(*args, **kwargs)
        frozen = cache.store.get(key)
        if frozen is not None:
            cache.hits += 1
            return _thaw(frozen, self._tf)
        cache.misses += 1
        value = self._fn(*args, **kwargs)
        frozen = _freeze(value)
        if frozen is not None and cache.bytes_kept + _nbytes(frozen) <= cache.max_bytes:
            cache.store[key] = frozen
            cache.bytes_kept += _nbytes(frozen)
        return value

    def __getattr__(self, name: str):
        return getattr(self._fn, name)

    def __repr__(self) -> str:
        return f"<memoized {self._path}>"


class _ModuleProxy:
    """Looks like the wrapped module; hands out memoizing wrappers for pure functions."""

    def __init__(self, module, path: str, cache: RefCache, tf):
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_cache", cache)
        object.__setattr__(self, "_tf", tf)
        object.__setattr__(self, "_children", {})

    def __getattr__(self, name: str):
        children = self._children
        if name in children:
            return children[name]
        value = getattr(self._module, name)
        path = f"{self._path}.{name}"
        if isinstance(value, types.ModuleType):
            value = _ModuleProxy(value, path, self._cache, self._tf)
        elif callable(value) and not isinstance(value, type) and cacheable_path(path):
            value = _MemoFunction(value, path, self._cache, self._tf)
        children[name] = value
        return value

    def __setattr__(self, name: str, value) -> None:
        setattr(self._module, name, value)
        self._children.pop(name, None)

    def __dir__(self):
        return dir(self._module)

    def __repr__(self) -> str:
        return f"<reference-cached {self._module!r}>"


def wrap(module, name: str, cache: RefCache, tf=None):
    """The caching stand-in for ``module`` (``tensorflow`` as "tf" or ``keras`` as "keras")."""
    return _ModuleProxy(module, name, cache, tf if tf is not None else module)
