"""Known wrong implementations, written as code and evaluated on the failing check's inputs.

When a check about ``function`` fails, every misconception registered for that function is
evaluated (in the grader process, on the same arguments the student's function received in
that check). If the student's results match a misconception's results on every call, the
failure message names the mistake and the fix. Random functions (the initializers) declare a
``match`` that compares the pooled samples statistically instead of call by call. A
misconception only ever runs for a check that already failed, and
``tests/unit/course/test_misconceptions.py`` proves each one differs from the reference on its examples,
so a correct implementation can never be told it made one.

Functions the grader drives instead of calling (MNIST's ``train``) leave no calls to replay:
their known mistakes are *observed* by a check (:func:`observed`), which names them itself with
:func:`named` when what it saw is that mistake. Such a check's mutant test is the proof that it
names the mistake, and the reference solution's full marks that it names nothing else.
"""

from __future__ import annotations

import contextvars
import copy
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.sandbox.codec import Opaque


@dataclass(frozen=True)
class Misconception:
    function: str
    key: str  # stable id, e.g. "softmax.no_max_shift"; recorded in results.json
    name: str  # English message id naming the mistake
    fix: str  # English message id: what to do instead
    variant: Callable[..., Any] | None  # the wrong computation, same signature as the student function
    # (None: observed by a check, see observed())
    project: Callable[[Any], Any] = lambda v: v  # what to compare (e.g. only w of (w, state))
    examples: tuple = field(default_factory=tuple)  # ((args, kwargs), ...) where it differs from the reference
    # (student values, variant values) -> bool over all of a check's calls; None: call by call with same()
    match: Callable[[list, list], bool] | None = None

    def matches(self, got: list, want: list) -> bool:
        """Whether the student's values ``got`` look like this mistake's values ``want``."""
        got = [self.project(v) for v in got]
        want = [self.project(v) for v in want]
        if self.match is not None:
            return bool(self.match(got, want))
        return len(got) == len(want) and all(same(a, b) for a, b in zip(got, want, strict=False))

    def ruled_out(self, got: Any, want: Any) -> bool:
        """Whether one call's values already show the student's are not this mistake's (so its other
        calls need not be replayed): call by call matching, or a ``match`` with a ``necessary``
        condition (a call-by-call test every match passes)."""
        necessary = getattr(self.match, "necessary", None) if self.match is not None else None
        if self.match is not None and necessary is None:
            return False
        got, want = [self.project(got)], [self.project(want)]
        return not (necessary(got, want) if necessary is not None else same(got[0], want[0]))


REGISTRY: dict[str, list[Misconception]] = {}
_loaded = False


def misconception(function: str, key: str, name: str, fix: str, *, examples=(), project=None, match=None):
    """Decorator registering ``variant`` as a known mistake in ``function``."""

    def deco(variant):
        REGISTRY.setdefault(function, []).append(
            Misconception(function, key, name, fix, variant, project or (lambda v: v), tuple(examples), match)
        )
        return variant

    return deco


def observed(function: str, key: str, name: str, fix: str) -> str:
    """Register a mistake a check recognises itself (nothing to replay); returns ``key``."""
    REGISTRY.setdefault(function, []).append(Misconception(function, key, name, fix, None))
    return key


def by_key(key: str) -> Misconception:
    for ms in load_all().values():
        for m in ms:
            if m.key == key:
                return m
    raise KeyError(key)


def named(key: str, message: str) -> tuple[Any, dict]:
    """``(message, details)`` of a failure a check recognised as the known mistake ``key``.

    The same sentence the plugin writes for a replayed mistake, so reports, the dashboard and
    the tests see one form.
    """
    from grader.i18n import _, t

    m = by_key(key)
    text = t("This looks like a known mistake: {mistake}. Fix: {fix}", mistake=_(m.name), fix=_(m.fix))
    return text + "\n" + message, {"misconception": key}


def load_all() -> dict[str, list[Misconception]]:
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return REGISTRY


LOOSE = (1e-4, 1e-6)  # same()'s widest tolerance: float32 and float64 renderings of one formula agree
_tolerance: contextvars.ContextVar[tuple[float, float]] = contextvars.ContextVar("tolerance", default=LOOSE)


def same(a: Any, b: Any, rtol: float | None = None, atol: float | None = None) -> bool:
    """Structural equality of plain results up to float rounding (NaN equals NaN).

    The default tolerance is set by :func:`detect` to half the failing check's own, so a
    student who missed by more than the check allows can never "match" a variant that happens
    to equal the correct answer on these inputs.
    """
    if rtol is None or atol is None:
        rtol, atol = _tolerance.get()
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        return False
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        if not (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))) or len(a) != len(b):
            return False
        return all(same(x, y, rtol, atol) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys():
            return False
        return all(same(a[k], b[k], rtol, atol) for k in a)
    try:
        x = np.asarray(a, dtype=np.float64)
        y = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return a == b
    if x.shape != y.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))


def detect(
    function: str, calls: list[tuple[tuple, dict, Any]], tolerance: tuple[float, float] | None = None
) -> Misconception | None:
    """The first misconception whose results match the student's on every recorded call.

    ``tolerance``: the failing comparison's (rtol, atol); matching uses at most half of it.
    """
    if not calls:
        return None
    tol = LOOSE
    if tolerance is not None:
        tol = (min(LOOSE[0], tolerance[0] / 2), min(LOOSE[1], tolerance[1] / 2))
    token = _tolerance.set(tol)
    try:
        return _first_match(function, calls)
    finally:
        _tolerance.reset(token)


def _first_match(function: str, calls: list[tuple[tuple, dict, Any]]) -> Misconception | None:
    for m in load_all().get(function, []):
        if m.variant is None:  # observed by its check, not replayed
            continue
        try:
            with np.errstate(all="ignore"):
                args, kwargs, value = calls[0]
                first = m.variant(*_copy(args), **_copy(kwargs))
                if m.ruled_out(value, first):  # most variants, on a check's hundreds of calls
                    continue
                want = [first] + [m.variant(*_copy(args), **_copy(kwargs)) for args, kwargs, _value in calls[1:]]
                matched = m.matches([value for _args, _kwargs, value in calls], want)
        except Exception:  # noqa: BLE001 - a variant that cannot handle these inputs does not match
            continue
        if matched:
            return m
    return None


def _copy(obj):
    """A private copy of a call's arguments, so replaying a variant never changes them."""
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, np.random.Generator):  # the variant draws the same stream the student got
        return copy.deepcopy(obj)
    if isinstance(obj, tuple):
        return tuple(_copy(x) for x in obj)
    if isinstance(obj, list):
        return [_copy(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _copy(v) for k, v in obj.items()}
    return obj
