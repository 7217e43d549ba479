"""Every documented argument and every allowed input kind is exercised by some check.

The reference solutions are graded once, every topic, exactly as ``grader run`` grades them,
while every call the checks make through the ``student`` boundary is recorded
(:func:`grader.sandbox.student.observing`). Then, per student function of the spec
(``../shared/exercise-spec.md``):

1. every parameter with a default is given a NON-default value by at least one call (a
   student who ignores ``epsilon`` or ``batch_size`` must lose points somewhere);
2. every input kind listed in :data:`KINDS` occurs in at least one call (float32 and float64,
   a batch of one, int and array steps, probability rows that do not sum to 1, ...).

So the next gap of this kind fails this test, not a student. A new spec function must be
added to :data:`KINDS` (possibly with no kinds) before this test passes.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tests.conftest import SOLUTIONS, grade_dir
from tests.unit.test_contract import SPEC_ENTRIES

pytestmark = pytest.mark.slow  # grades every topic once, MNIST training included

MNIST_DRIVER = "grader.course.mnist_driver:train_and_save"
# What the driver passes on to train(): the keyword arguments it forwards (None: not passed).
DRIVEN = {MNIST_DRIVER: ("train", ("epochs", "batch_size"))}

Kind = tuple[str, Callable[[dict], bool]]


def _array(v: Any) -> bool:
    return isinstance(v, np.ndarray)


def dtype(param: str, dt) -> Kind:
    name = np.dtype(dt).name
    return f"{param} {name}", lambda a: _array(a.get(param)) and a[param].dtype == np.dtype(dt)


def floats(param: str) -> list[Kind]:
    return [dtype(param, np.float32), dtype(param, np.float64)]


def batch_of_one(param: str) -> Kind:
    return f"{param} a batch of one", lambda a: _array(a.get(param)) and a[param].ndim >= 1 and a[param].shape[0] == 1


def ndim(param: str, n: int, label: str | None = None) -> Kind:
    return (
        f"{param} {label or f'{n}-D'}",
        lambda a: _array(a.get(param)) and (a[param].ndim >= n if n >= 3 else a[param].ndim == n),
    )


def shape_len(param: str, n: int, label: str) -> Kind:
    def test(a):
        v = a.get(param)
        return isinstance(v, tuple) and (len(v) >= n if n >= 3 else len(v) == n)

    return f"{param} {label}", test


def is_type(param: str, typ, label: str) -> Kind:
    return f"{param} {label}", lambda a: isinstance(a.get(param), typ)


def int_scalar(param: str) -> Kind:
    return (
        f"{param} an int",
        lambda a: isinstance(a.get(param), (int, np.integer)) and not isinstance(a.get(param), bool),
    )


def int_array(param: str, n: int) -> Kind:
    return (
        f"{param} an int array, {n}-D",
        lambda a: _array(a.get(param)) and a[param].dtype.kind in "iu" and a[param].ndim == n,
    )


def value(param: str, v: Any) -> Kind:
    return f"{param}={v!r}", lambda a: param in a and a[param] is not inspect.Parameter.empty and a[param] == v


def unnormalised_rows(param: str) -> Kind:
    """Probability rows (from_logits False) of which some sum to far from 1 (Keras rescales them)."""

    def test(a):
        v = a.get(param)
        if a.get("from_logits") or not _array(v) or v.ndim != 2 or v.dtype.kind != "f" or (v < 0).any():
            return False
        return bool(np.abs(v.sum(axis=-1) - 1.0).max() > 0.1)

    return f"{param} rows not summing to 1", test


def soft_labels(param: str) -> Kind:
    def test(a):
        v = a.get(param)
        return _array(v) and v.ndim == 2 and bool(((v > 0) & (v < 1)).any())

    return f"{param} soft labels", test


BATCH_LOSS = [*floats("y_pred"), batch_of_one("y_pred")]
ELEMENTWISE = [*floats("x"), batch_of_one("x")]
SAMPLER = [
    shape_len("shape", 1, "1-D"),
    shape_len("shape", 2, "2-D"),
    shape_len("shape", 3, "a conv kernel"),
    is_type("rng", np.random.Generator, "a numpy Generator"),
]
STEP = [*floats("w"), ndim("w", 1), ndim("w", 2), ndim("w", 3, "a conv kernel")]
SCHEDULE = [int_scalar("step"), int_array("step", 1), int_array("step", 2)]
PENALTY = [*floats("w"), ndim("w", 1), ndim("w", 2), ndim("w", 3, "a conv kernel")]

# The input kinds the spec allows, per student function (spec: "float32 or float64, any batch size
# unless stated", "step is an int or an int array", Keras' rescaling of probability rows, ...).
KINDS: dict[str, list[Kind]] = {
    # activations
    "sigmoid": ELEMENTWISE,
    "tanh": ELEMENTWISE,
    "relu": ELEMENTWISE,
    "leaky_relu": ELEMENTWISE,
    "softmax": ELEMENTWISE,
    "sigmoid_grad": ELEMENTWISE,
    "tanh_grad": ELEMENTWISE,
    "relu_grad": ELEMENTWISE,
    # initializers
    "compute_fans": [
        shape_len("shape", 0, "a scalar ()"),
        shape_len("shape", 1, "1-D"),
        shape_len("shape", 2, "2-D"),
        shape_len("shape", 3, "a conv kernel"),
    ],
    "random_normal": SAMPLER,
    "standard_uniform": SAMPLER,
    "glorot_normal": SAMPLER,
    "glorot_uniform": SAMPLER,
    "he_normal": SAMPLER,
    "he_uniform": SAMPLER,
    # models
    "build_sequential": [],
    "build_functional": [],
    "MyModel": [],
    "build_subclassed": [],
    "dense_params": [],
    "mlp_params": [is_type("layer_sizes", list, "a list"), is_type("layer_sizes", tuple, "a tuple")],
    "batchnorm_params": [],
    # losses
    "categorical_crossentropy": [*BATCH_LOSS, unnormalised_rows("y_pred"), soft_labels("y_true")],
    "sparse_categorical_crossentropy": [
        *BATCH_LOSS,
        unnormalised_rows("y_pred"),
        dtype("labels", np.int32),
        dtype("labels", np.int64),
    ],
    "binary_crossentropy": [*BATCH_LOSS, soft_labels("y_true")],
    "mean_absolute_error": BATCH_LOSS,
    "mean_squared_error": BATCH_LOSS,
    "huber": BATCH_LOSS,
    # backprop
    "numerical_gradient": [*floats("x"), ndim("x", 1), ndim("x", 2), ndim("x", 3, "3-D")],
    "dense_forward": ELEMENTWISE,
    "dense_backward": [*floats("dout"), batch_of_one("dout")],
    "mlp_loss_and_grads": ELEMENTWISE,
    # optimizers
    "sgd_step": STEP,
    "momentum_step": STEP,
    "adagrad_step": STEP,
    "rmsprop_step": STEP,
    "adam_step": [*STEP, int_scalar("t")],
    # schedules
    "piecewise_constant": SCHEDULE,
    "exponential_decay": SCHEDULE,
    "inverse_time_decay": SCHEDULE,
    # regularization
    "l1_penalty": PENALTY,
    "l2_penalty": PENALTY,
    "l1_l2_penalty": PENALTY,
    "dropout": [*floats("x"), value("training", False)],
    "batch_norm": [*floats("x"), batch_of_one("x"), value("training", True), value("training", False)],
    "early_stopping_epochs": [is_type("values", list, "a list"), is_type("values", np.ndarray, "an array")],
    # mnist
    "preprocess": [
        dtype("x", np.uint8),
        batch_of_one("x"),
        dtype("y", np.uint8),
        dtype("y", np.int64),
        dtype("y", np.int32),
    ],
    "build_model": [],
    "train": [],
}


def spec_signatures() -> dict[str, inspect.Signature | None]:
    """{function: its signature in the spec} (None for classes: nothing to bind)."""
    out = {}
    for entries in SPEC_ENTRIES.values():
        for name, params in entries:
            out[name] = None if params is None else inspect.signature(eval(f"lambda {params}: None", {}))
    return out


SIGNATURES = spec_signatures()


def _differs(given: Any, default: Any) -> bool:
    if isinstance(given, np.ndarray) or isinstance(default, np.ndarray):
        return True
    try:
        return bool(given != default)
    except Exception:  # noqa: BLE001 - an exotic value is not the default
        return True


class Recorder:
    """Reduces every call to what this test needs (no arrays are kept)."""

    def __init__(self):
        self.called: set[str] = set()
        self.non_default: dict[str, set[str]] = defaultdict(set)
        self.kinds: dict[str, set[str]] = defaultdict(set)
        self.unbound: list[str] = []

    def __call__(self, topic: str, name: str, args: tuple, kwargs: dict) -> None:
        if name in DRIVEN:
            name, forwarded = DRIVEN[name]
            args, kwargs = (), {k: kwargs[k] for k in forwarded if kwargs.get(k) is not None}
        self.called.add(name)
        sig = SIGNATURES.get(name)
        if sig is None:
            return
        try:
            bound = sig.bind_partial(*args, **kwargs) if name == "train" else sig.bind(*args, **kwargs)
        except TypeError:
            self.unbound.append(f"{name}{args!r:.80}{kwargs!r:.80}")
            return
        given = dict(bound.arguments)
        for p in sig.parameters.values():
            if p.default is not inspect.Parameter.empty and p.name in given and _differs(given[p.name], p.default):
                self.non_default[name].add(p.name)
        for label, test in KINDS.get(name, []):
            try:
                if test(given):
                    self.kinds[name].add(label)
            except Exception:  # noqa: BLE001 - a predicate that cannot read this call: not that kind
                pass


@pytest.fixture(scope="module")
def recorded() -> Recorder:
    from grader.course.topics import BY_SLUG
    from grader.sandbox.student import observing

    rec = Recorder()
    with observing(rec):
        result = grade_dir(SOLUTIONS, tuple(BY_SLUG))
    bad = [f"{c.id}: {c.status}" for t in result.topics for c in t.checks if c.status != "passed"]
    assert not bad, f"the reference solutions must pass every check: {bad}"
    return rec


def coverage_gaps(rec: Recorder) -> list[str]:
    gaps = []
    for name, sig in SIGNATURES.items():
        if name not in KINDS:
            gaps.append(f"{name}: not in KINDS (list the input kinds the spec allows for it)")
        if name not in rec.called:
            gaps.append(f"{name}: never called by any check")
            continue
        if sig is not None:
            for p in sig.parameters.values():
                if p.default is not inspect.Parameter.empty and p.name not in rec.non_default[name]:
                    gaps.append(
                        f"{name}: parameter {p.name} is never given a non-default value (default {p.default!r})"
                    )
        for label, _test in KINDS.get(name, []):
            if label not in rec.kinds[name]:
                gaps.append(f"{name}: no check passes {label}")
    return gaps


def test_every_argument_and_input_kind_is_exercised(recorded):
    assert not recorded.unbound, f"calls that do not fit the spec's signature: {recorded.unbound[:5]}"
    gaps = coverage_gaps(recorded)
    assert not gaps, "\n".join(gaps)


def test_kinds_name_only_spec_functions():
    assert set(KINDS) <= set(SIGNATURES), sorted(set(KINDS) - set(SIGNATURES))


def test_the_recorder_notices_a_missing_case():
    """The test itself can fail: a recorder that saw no epsilon and no float32 reports both."""
    rec = Recorder()
    w = np.zeros(3)
    rec("optimizers", "adagrad_step", (w, w, w), {"lr": 0.1})
    gaps = coverage_gaps(rec)
    assert "adagrad_step: parameter epsilon is never given a non-default value (default 1e-07)" in gaps
    assert "adagrad_step: no check passes w float32" in gaps
    assert not any(g.startswith("adagrad_step: parameter lr") for g in gaps)
