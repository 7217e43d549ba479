"""Comparisons that explain themselves.

Every helper here raises :class:`~grader.errors.CheckFailed` with a message a student can act
on (what was expected, what came back, where it first differs) and a ``details`` dict the
reports render as a table. Values arrive already decoded to plain data by the codec.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.errors import CheckFailed
from grader.i18n import t
from grader.sandbox.codec import Opaque


def describe_value(v: Any) -> str:
    if isinstance(v, Opaque):
        if v.is_tf_tensor:
            return t(
                "a TensorFlow tensor (shape {shape}); convert it with .numpy() or compute with NumPy", shape=v.shape
            )
        return t("an object of type {type}", type=v.type_name)
    if isinstance(v, np.ndarray):
        return t("an array of shape {shape} and dtype {dtype}", shape=v.shape, dtype=v.dtype)
    if isinstance(v, np.generic):
        return t("a NumPy scalar {value}", value=repr(v))
    if isinstance(v, (list, tuple)):
        return t("a {type} of length {n}", type=type(v).__name__, n=len(v))
    if v is None:
        return t("None (did you forget a return statement?)")
    return t("a {type} ({value})", type=type(v).__name__, value=repr(v)[:150])


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.9g}"
    return repr(x)


def as_array(got: Any, *, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Require a real-valued NumPy array (optionally of ``shape``); return it as float64."""
    if not isinstance(got, np.ndarray):
        raise CheckFailed(
            (
                t(
                    "{name} should return a NumPy array of shape {shape}, but returned {got}",
                    name=name,
                    shape=tuple(shape),
                    got=describe_value(got),
                )
                if shape is not None
                else t("{name} should return a NumPy array, but returned {got}", name=name, got=describe_value(got))
            ),
            {"kind": "type", "got": describe_value(got)},
        )
    if got.dtype.kind not in "biuf":
        raise CheckFailed(
            t("{name} returned an array of dtype {dtype}; expected real numbers", name=name, dtype=got.dtype)
        )
    if shape is not None and tuple(got.shape) != tuple(shape):
        raise CheckFailed(
            t(
                "{name} returned shape {got}, expected {expected}",
                name=name,
                got=tuple(got.shape),
                expected=tuple(shape),
            ),
            {"kind": "shape", "got_shape": list(got.shape), "expected_shape": list(shape)},
        )
    return got.astype(np.float64)


def as_float(got: Any, *, name: str) -> float:
    """Require a Python/NumPy real scalar (or a 0-d/size-1 array); return a float."""
    if isinstance(got, (bool, np.bool_)):
        raise CheckFailed(t("{name} should return a number, but returned a bool ({got})", name=name, got=got))
    if isinstance(got, (int, float, np.integer, np.floating)):
        return float(got)
    if isinstance(got, np.ndarray) and got.size == 1 and got.ndim <= 1 and got.dtype.kind in "iuf":
        return float(got.reshape(()))
    raise CheckFailed(
        t(
            "{name} should return a single number (a Python float), but returned {got}",
            name=name,
            got=describe_value(got),
        ),
        {"kind": "type", "got": describe_value(got)},
    )


def as_int(got: Any, *, name: str) -> int:
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        if isinstance(got, (float, np.floating)) and float(got).is_integer():
            return int(got)
        raise CheckFailed(t("{name} should return an int, but returned {got}", name=name, got=describe_value(got)))
    return int(got)


def as_tuple(got: Any, n: int, *, name: str) -> tuple:
    if not isinstance(got, (tuple, list)) or len(got) != n:
        raise CheckFailed(
            t("{name} should return a tuple of {n} values, but returned {got}", name=name, n=n, got=describe_value(got))
        )
    return tuple(got)


def _agreement(arr: np.ndarray, want: np.ndarray, rtol: float, atol: float):
    """(where the values agree, |arr - want|, arr's NaN/Inf, want's NaN/Inf), both float64."""
    nan_g, nan_w = ~np.isfinite(arr), ~np.isfinite(want)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(arr - want)
        close = err <= atol + rtol * np.abs(want)
    # Where TF gives inf the tolerance is inf too: only the same inf agrees (and NaN only with NaN).
    ok = np.where(np.isfinite(want), close, arr == want) | (np.isnan(arr) & np.isnan(want))
    ok &= nan_g == nan_w
    return ok, err, nan_g, nan_w


def allclose(got: Any, want: Any, *, rtol: float, atol: float) -> bool:
    """Whether :func:`assert_allclose` passes on these values, without building the names and
    messages it would need to fail (a loop over hundreds of steps calls that only on a False)."""
    want = np.asarray(want, dtype=np.float64)
    if not (isinstance(got, np.ndarray) and got.dtype.kind in "biuf" and got.shape == want.shape):
        return False  # assert_allclose says what is wrong with it
    return bool(_agreement(got.astype(np.float64), want, rtol, atol)[0].all())


def assert_allclose(
    got: Any,
    want: np.ndarray,
    *,
    rtol: float,
    atol: float,
    name: str,
    inputs: str = "",
    curve_x: np.ndarray | None = None,
) -> None:
    """Elementwise |got - want| <= atol + rtol*|want|, NaN/Inf positions must agree.

    With ``curve_x`` (1-D inputs), a failure carries both curves for the HTML report's plot.
    """
    want = np.asarray(want, dtype=np.float64)
    arr = as_array(got, name=name, shape=want.shape)
    ok, err, nan_g, nan_w = _agreement(arr, want, rtol, atol)
    if ok.all():
        return
    bad = ~ok
    idx = np.unravel_index(int(np.argmax(bad)), arr.shape) if arr.ndim else ()
    # A NaN/Inf where TF has a number is an infinite error, not one to leave out of the maximum.
    err_bad = np.where(nan_g & ~nan_w, np.inf, np.where(np.isfinite(err), err, 0.0))
    max_abs = float(err_bad.max()) if err_bad.size else 0.0
    nonzero = np.abs(want) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = err_bad[nonzero] / np.abs(want[nonzero])
    max_rel = float(rel.max()) if rel.size else float("nan")
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
    if curve_x is not None and arr.ndim == 1 and len(curve_x) == arr.size <= 2000:
        details["curve"] = {
            "x": [float(v) for v in np.asarray(curve_x, dtype=np.float64)],
            "got": [float(v) if np.isfinite(v) else None for v in arr],
            "expected": [float(v) for v in want],
        }
    msg = t(
        "{name}: {n_bad} of {n} values differ from TensorFlow; first at {where}: got {got}, expected "
        "{expected} (max abs error {max_abs}, tolerance {atol} + {rtol}*|expected|)",
        name=name,
        n_bad=int(bad.sum()),
        n=arr.size,
        where=where or "[]",
        got=_fmt(gv),
        expected=_fmt(wv),
        max_abs=format(max_abs, ".3g"),
        atol=format(atol, "g"),
        rtol=format(rtol, "g"),
    )
    if nan_g.any() and not nan_w.any():
        where_nan = [int(i) for i in np.argwhere(nan_g)[0]] if arr.ndim else []
        details["nan_first_index"] = where_nan
        msg += t(
            "; your result has {n} NaN/Inf values, the first at {where} (overflow?)",
            n=int(nan_g.sum()),
            where=where_nan,
        )
    if inputs:
        msg += t("; input: {inputs}", inputs=inputs)
    raise CheckFailed(msg, details)


def assert_close(got: Any, want: float, *, rtol: float, atol: float, name: str, inputs: str = "") -> None:
    """Scalar version of :func:`assert_allclose`."""
    g = as_float(got, name=name)
    w = float(want)
    # Only finite values have a tolerance (rtol * inf would accept anything); inf must match exactly.
    if np.isfinite(g) and np.isfinite(w) and abs(g - w) <= atol + rtol * abs(w):
        return
    if g == w:
        return
    details = {
        "kind": "scalar",
        "got": g,
        "expected": w,
        "abs_err": abs(g - w),
        "rtol": rtol,
        "atol": atol,
        "inputs": inputs,
    }
    msg = t(
        "{name}: got {got}, expected {expected} (difference {diff})",
        name=name,
        got=_fmt(g),
        expected=_fmt(w),
        diff=format(abs(g - w), ".3g"),
    )
    if inputs:
        msg += t("; input: {inputs}", inputs=inputs)
    raise CheckFailed(msg, details)


def short(a: Any, limit: int = 120) -> str:
    """A compact printable form of an input, for messages."""
    if isinstance(a, np.ndarray):
        if a.size <= 12:
            text = np.array2string(a, precision=6, separator=", ").replace("\n", "")
        else:
            text = t("array of shape {shape}, dtype {dtype}", shape=a.shape, dtype=a.dtype)
        return text[:limit]
    return repr(a)[:limit]
