"""Plain-data transport for values coming back from student code.

The worker process runs untrusted code, so nothing it sends is unpickled. A value is encoded
as a JSON header plus raw array buffers; the grader rebuilds fresh built-in objects
(``float``, ``int``, ``list``, ``dict``, plain ``numpy.ndarray``) from them. An object
with a lying ``__eq__`` or ``__sub__`` therefore cannot survive the trip: at best it arrives
as an :class:`Opaque` placeholder that names its type, which every check rejects with a
message saying what was expected instead.

Requests from the grader to the worker travel the other way with pickle: that direction is
trusted (the grader builds them) and must carry things like ``numpy.random.Generator``.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

# Numeric dtypes an array may arrive as; anything else (object, structured, strings) is opaque.
_ALLOWED_KINDS = frozenset("biuf")
_MAX_DEPTH = 32
_MAX_ITEMS = 100_000


@dataclass(frozen=True)
class Opaque:
    """Stand-in for a returned object that is not plain data (a tf.Tensor, a custom class...)."""

    type_name: str
    summary: str
    shape: tuple[int, ...] | None = None
    dtype: str | None = None

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.summary}>"

    @property
    def is_tf_tensor(self) -> bool:
        return "tensorflow" in self.type_name or self.type_name.endswith("Tensor")


# ----------------------------------------------------------------------------- encoding


def encode(value: Any) -> bytes:
    """Worker side: turn a value into header+buffers bytes (never raises on odd objects)."""
    buffers: list[bytes] = []
    header = _enc(value, buffers, 0)
    head = json.dumps({"v": header, "b": [len(b) for b in buffers]}, separators=(",", ":")).encode()
    return struct.pack("<Q", len(head)) + head + b"".join(buffers)


def _type_name(obj: Any) -> str:
    t = type(obj)
    try:  # a class may set __module__ to any object, even one whose __format__ raises
        return str.__str__(f"{t.__module__}.{t.__qualname__}")
    except Exception:  # noqa: BLE001 - student objects may raise anything
        return "<unnamed type>"


def _opaque(obj: Any) -> dict:
    try:
        summary = str.__str__(repr(obj))  # a plain str even when __repr__ returns a hostile subclass
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not take the worker down
        summary = "<unrepresentable>"
    try:  # attributes may be properties that raise: each one costs only its own field
        shape = getattr(obj, "shape", None)
        shape = [int(s) if s is not None else -1 for s in shape] if shape is not None else None
    except Exception:  # noqa: BLE001 - student objects may raise anything
        shape = None
    try:
        dtype = getattr(obj, "dtype", None)
        dtype = str(dtype)[:40] if dtype is not None else None
    except Exception:  # noqa: BLE001 - student objects may raise anything
        dtype = None
    return {
        "__opaque__": _type_name(obj),
        "summary": summary[:300],
        "shape": shape,
        "dtype": dtype,
    }


def _enc(obj: Any, buffers: list[bytes], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return {"__opaque__": "nested-too-deep", "summary": "structure nested too deeply"}
    t = type(obj)
    # Exact type checks: a subclass of float/int/ndarray could carry overridden operators.
    if obj is None or t is bool or t is str:
        return obj
    if t is int:
        try:
            return {"__int__": str(obj)}
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            return {"__opaque__": "builtins.int", "summary": f"an integer of {obj.bit_length()} bits (too large)"}
    if t is float:
        return {"__float__": float.hex(obj)}
    if t is np.ndarray or (isinstance(obj, np.ndarray) and not isinstance(obj, np.generic)):
        arr = np.asarray(obj)
        if arr.dtype.kind not in _ALLOWED_KINDS or arr.dtype.fields is not None:
            return _opaque(obj)
        buffers.append(arr.tobytes())  # C order, whatever the array's memory layout
        shape = list(arr.shape)
        out = {"__nd__": len(buffers) - 1, "dtype": arr.dtype.str, "shape": shape}
        if t is not np.ndarray:  # for a reader of the frame; what arrives is a plain ndarray either way
            out["subclass"] = _type_name(obj)
        return out
    if isinstance(obj, np.generic):
        if obj.dtype.kind not in _ALLOWED_KINDS:
            return _opaque(obj)
        buffers.append(np.asarray(obj).tobytes())
        return {"__npscalar__": len(buffers) - 1, "dtype": obj.dtype.str}
    if t is list or t is tuple:
        if len(obj) > _MAX_ITEMS:
            return {"__opaque__": _type_name(obj), "summary": f"{len(obj)} items (too many)"}
        items = [_enc(x, buffers, depth + 1) for x in obj]
        return {"__list__" if t is list else "__tuple__": items}
    if t is dict:
        if len(obj) > _MAX_ITEMS:
            return {"__opaque__": "builtins.dict", "summary": f"{len(obj)} items (too many)"}
        return {"__dict__": [[_enc(k, buffers, depth + 1), _enc(v, buffers, depth + 1)] for k, v in obj.items()]}
    return _opaque(obj)


# ----------------------------------------------------------------------------- decoding


class DecodeError(ValueError):
    pass


def decode(data: bytes) -> Any:
    """Grader side: rebuild plain built-in objects; rejects anything malformed.

    The bytes come from a process that ran student code, which can write to the reply pipe
    itself: whatever they hold, the only exception raised here is :class:`DecodeError`.
    """
    try:
        return _decode(data)
    except DecodeError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as exc:
        raise DecodeError(f"malformed message ({type(exc).__name__})") from None


def _decode(data: bytes) -> Any:
    if len(data) < 8:
        raise DecodeError("truncated message")
    (hlen,) = struct.unpack("<Q", data[:8])
    try:
        head = json.loads(data[8 : 8 + hlen].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"bad header: {exc}") from None
    if type(head) is not dict:
        raise DecodeError("bad header: not an object")
    sizes = head.get("b")
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise DecodeError("bad buffer table")
    buffers: list[memoryview] = []
    pos = 8 + hlen
    view = memoryview(data)  # slices without copying: each array copies its bytes once, below
    for s in sizes:
        buffers.append(view[pos : pos + s])
        pos += s
    if pos != len(data):
        raise DecodeError("buffer sizes do not add up")
    return _dec(head.get("v"), buffers, 0)


_DTYPES: dict[str, np.dtype] = {}  # the allowed ones met so far: a reply names the same few thousands of times


def _dtype(s: Any) -> np.dtype:
    if type(s) is not str:
        raise DecodeError("dtype must be a string")
    dt = _DTYPES.get(s)
    if dt is not None:
        return dt
    try:
        dt = np.dtype(s)
    except TypeError:
        raise DecodeError(f"unknown dtype {s!r}") from None
    if dt.kind not in _ALLOWED_KINDS or dt.fields is not None:
        raise DecodeError(f"dtype {s!r} not allowed")
    if len(_DTYPES) < 64:
        _DTYPES[s] = dt
    return dt


def _buffer(buffers: list[memoryview], idx: Any) -> memoryview:
    if type(idx) is not int or not 0 <= idx < len(buffers):
        raise DecodeError("bad buffer index")
    return buffers[idx]


def _dec(h: Any, buffers: list[memoryview], depth: int) -> Any:
    if depth > _MAX_DEPTH + 2:
        raise DecodeError("nested too deeply")
    th = type(h)
    if h is None or th is bool or th is str:
        return h
    if th is not dict or len(h) == 0:
        raise DecodeError(f"unexpected header item {th.__name__}")
    # Most frequent first: a reply is a dict of arrays, tuples and lists (thousands per student).
    if "__nd__" in h:
        dt = _dtype(h.get("dtype"))
        shape = h.get("shape")
        if type(shape) is not list or not all(type(s) is int and s >= 0 for s in shape):
            raise DecodeError("bad shape")
        buf = _buffer(buffers, h["__nd__"])
        n = math.prod(shape)  # exact Python ints (np.prod costs ~40x more per reply array)
        if n * dt.itemsize != len(buf):
            raise DecodeError("array size does not match its shape")
        return np.frombuffer(buf, dtype=dt).reshape(shape).copy()
    if "__dict__" in h:
        pairs = h["__dict__"]
        if type(pairs) is not list:
            raise DecodeError("bad dict")
        result = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2:
                raise DecodeError("bad dict item")
            key = pair[0]
            if type(key) is not str:
                key = _dec(key, buffers, depth + 1)
                if type(key) not in (str, int, float, bool, tuple) and key is not None:
                    key = repr(key)
            result[key] = _dec(pair[1], buffers, depth + 1)
        return result
    if "__list__" in h or "__tuple__" in h:
        items = h.get("__list__", h.get("__tuple__"))
        if type(items) is not list:
            raise DecodeError("bad sequence")
        out = [_dec(x, buffers, depth + 1) for x in items]
        return out if "__list__" in h else tuple(out)
    if "__float__" in h:
        return float.fromhex(str(h["__float__"]))
    if "__int__" in h:
        return int(str(h["__int__"]))
    if "__npscalar__" in h:
        dt = _dtype(h.get("dtype"))
        buf = _buffer(buffers, h["__npscalar__"])
        if len(buf) != dt.itemsize:
            raise DecodeError("scalar size mismatch")
        return np.frombuffer(buf, dtype=dt)[0].copy()
    if "__opaque__" in h:
        shape = h.get("shape")
        shape = tuple(shape) if type(shape) is list and all(type(s) is int for s in shape) else None
        dtype = h.get("dtype")
        return Opaque(
            str(h["__opaque__"])[:200],
            str(h.get("summary", ""))[:300],
            shape,
            str(dtype) if dtype is not None else None,
        )
    raise DecodeError("unknown header item")
