"""Comparisons that explain themselves.

Every helper here raises :class:`~grader.errors.CheckFailed` with a message a student can act
on (what was expected, what came back, where it first differs) and a ``details`` dict the
reports render as a table. Values arrive already decoded to plain data by the codec.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.codec import Opaque
from grader.errors import CheckFailed


def describe_value(v: Any) -> str:
    if isinstance(v, Opaque):
        if v.is_tf_tensor:
            return f"a TensorFlow tensor (shape {v.shape}); convert it with .numpy() or compute with NumPy"
        return f"an object of type {v.type_name}"
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape} and dtype {v.dtype}"
    if isinstance(v, np.generic):
        return f"a NumPy scalar {v!r}"
    if isinstance(v, (list, tuple)):
        return f"a {type(v).__name__} of length {len(v)}"
    if v is None:
        return "None (did you forget a return statement?)"
    return f"a {type(v).__name__} ({v!r})"[:200]


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.9g}"
    return repr(x)


def as_array(got: Any, *, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Require a real-valued NumPy array (optionally of ``shape``); return it as float64."""
    if not isinstance(got, np.ndarray):
        raise CheckFailed(
            f"{name} should return a NumPy array"
            + (f" of shape {shape}" if shape is not None else "")
            + f", but returned {describe_value(got)}",
            {"kind": "type", "got": describe_value(got)},
        )
    if got.dtype.kind not in "biuf":
        raise CheckFailed(f"{name} returned an array of dtype {got.dtype}; expected real numbers")
    if shape is not None and tuple(got.shape) != tuple(shape):
        raise CheckFailed(
            f"{name} returned shape {tuple(got.shape)}, expected {tuple(shape)}",
            {"kind": "shape", "got_shape": list(got.shape), "expected_shape": list(shape)},
        )
    return got.astype(np.float64)


def as_float(got: Any, *, name: str) -> float:
    """Require a Python/NumPy real scalar (or a 0-d/size-1 array); return a float."""
    if isinstance(got, bool) or isinstance(got, np.bool_):
        raise CheckFailed(f"{name} should return a number, but returned a bool ({got})")
    if isinstance(got, (int, float, np.integer, np.floating)):
        return float(got)
    if isinstance(got, np.ndarray) and got.size == 1 and got.ndim <= 1 and got.dtype.kind in "iuf":
        return float(got.reshape(()))
    raise CheckFailed(
        f"{name} should return a single number (a Python float), but returned {describe_value(got)}",
        {"kind": "type", "got": describe_value(got)},
    )


def as_int(got: Any, *, name: str) -> int:
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        if isinstance(got, (float, np.floating)) and float(got).is_integer():
            return int(got)
        raise CheckFailed(f"{name} should return an int, but returned {describe_value(got)}")
    return int(got)


def as_tuple(got: Any, n: int, *, name: str) -> tuple:
    if not isinstance(got, (tuple, list)) or len(got) != n:
        raise CheckFailed(f"{name} should return a tuple of {n} values, but returned {describe_value(got)}")
    return tuple(got)


def assert_allclose(got: Any, want: np.ndarray, *, rtol: float, atol: float, name: str,
                    inputs: str = "") -> None:
    """Elementwise |got - want| <= atol + rtol*|want|, NaN/Inf positions must agree."""
    want = np.asarray(want, dtype=np.float64)
    arr = as_array(got, name=name, shape=want.shape)
    nan_g, nan_w = ~np.isfinite(arr), ~np.isfinite(want)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(arr - want)
        ok = (err <= atol + rtol * np.abs(want)) | (arr == want)  # == covers matching infs
    ok &= nan_g == nan_w
    if ok.all():
        return
    bad = ~ok
    idx = np.unravel_index(int(np.argmax(bad)), arr.shape) if arr.ndim else ()
    finite = np.isfinite(err)
    max_abs = float(err[finite].max()) if finite.any() else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = err / np.maximum(np.abs(want), 1e-300)
    max_rel = float(rel[np.isfinite(rel)].max()) if np.isfinite(rel).any() else float("nan")
    where = f"[{', '.join(map(str, idx))}]" if arr.ndim else ""
    gv, wv = arr[idx] if arr.ndim else float(arr), want[idx] if want.ndim else float(want)
    details = {
        "kind": "array",
        "shape": list(arr.shape),
        "dtype": str(got.dtype),
        "n_bad": int(bad.sum()),
        "n_total": int(arr.size),
        "max_abs_err": max_abs,
        "max_rel_err": max_rel,
        "worst_index": [int(i) for i in idx],
        "got": float(gv),
        "expected": float(wv),
        "rtol": rtol,
        "atol": atol,
        "nan_in_result": int(nan_g.sum()),
        "inputs": inputs,
    }
    msg = (
        f"{name}: {int(bad.sum())} of {arr.size} values differ from TensorFlow; "
        f"first at {where or 'the value'}: got {_fmt(gv)}, expected {_fmt(wv)} "
        f"(max abs error {max_abs:.3g}, tolerance {atol:g} + {rtol:g}*|expected|)"
    )
    if nan_g.any() and not nan_w.any():
        msg += f"; your result has {int(nan_g.sum())} NaN/Inf values (overflow?)"
    if inputs:
        msg += f"; input: {inputs}"
    raise CheckFailed(msg, details)


def assert_close(got: Any, want: float, *, rtol: float, atol: float, name: str, inputs: str = "") -> None:
    """Scalar version of :func:`assert_allclose`."""
    g = as_float(got, name=name)
    w = float(want)
    if np.isfinite(g) and abs(g - w) <= atol + rtol * abs(w):
        return
    if g == w:
        return
    details = {"kind": "scalar", "got": g, "expected": w, "abs_err": abs(g - w), "rtol": rtol,
               "atol": atol, "inputs": inputs}
    msg = f"{name}: got {_fmt(g)}, expected {_fmt(w)} (difference {abs(g - w):.3g})"
    if inputs:
        msg += f"; input: {inputs}"
    raise CheckFailed(msg, details)


def short(a: Any, limit: int = 120) -> str:
    """A compact printable form of an input, for messages."""
    if isinstance(a, np.ndarray):
        if a.size <= 12:
            text = np.array2string(a, precision=6, separator=", ").replace("\n", "")
        else:
            text = f"array of shape {a.shape}, dtype {a.dtype}"
        return text[:limit]
    return repr(a)[:limit]
