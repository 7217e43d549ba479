"""grader/compare.py: comparisons pass what is within tolerance and explain everything they refuse."""

from __future__ import annotations

import numpy as np
import pytest

from grader import i18n
from grader.compare import (
    allclose,
    as_array,
    as_float,
    as_int,
    as_tuple,
    assert_allclose,
    assert_close,
    describe_value,
    short,
)
from grader.errors import CheckFailed
from grader.sandbox.codec import Opaque

TOL = {"rtol": 1e-5, "atol": 1e-7}


def failure(fn, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as exc:
        fn(*args, **kwargs)
    return exc.value


# ----------------------------------------------------------------------------- assert_allclose


def test_equal_and_within_tolerance_pass():
    want = np.array([1.0, -2.0, 0.0, 1e6])
    assert_allclose(want.copy(), want, name="f", **TOL)
    assert_allclose(want * (1 + 9e-6), want, name="f", **TOL)  # rtol scales with |expected|
    assert_allclose(np.array([5e-8]), np.array([0.0]), name="f", **TOL)  # atol near zero
    assert_allclose(want.astype(np.float32), want, name="f", rtol=1e-6, atol=0)  # float32 answers are fine


def test_just_outside_tolerance_fails_with_the_worst_element_and_the_numbers():
    want = np.zeros((2, 3))
    got = want.copy()
    got[1, 2] = 1e-3
    exc = failure(assert_allclose, got, want, name="relu(x)", inputs="x=[...]", **TOL)
    d = exc.details
    assert d["kind"] == "array" and d["n_bad"] == 1 and d["n_total"] == 6 and d["worst_index"] == [1, 2]
    assert d["got"] == 1e-3 and d["expected"] == 0.0 and d["max_abs_err"] == pytest.approx(1e-3)
    assert (d["rtol"], d["atol"], d["inputs"], d["shape"]) == (1e-5, 1e-7, "x=[...]", [2, 3])
    assert "relu(x): 1 of 6 values differ from TensorFlow; first at [1, 2]" in exc.message
    assert "input: x=[...]" in exc.message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_where_tensorflow_has_a_number_fails_with_an_infinite_error(bad):
    want = np.array([1.0, 2.0, 3.0])
    got = np.array([1.0, bad, 3.0])
    exc = failure(assert_allclose, got, want, name="f", **TOL)
    assert exc.details["max_abs_err"] == np.inf and exc.details["nan_in_result"] == 1
    assert exc.details["nan_first_index"] == [1] and "NaN/Inf" in exc.message


def test_matching_nan_and_inf_positions_pass_and_mismatched_ones_fail():
    want = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert_allclose(want.copy(), want, name="f", **TOL)
    failure(assert_allclose, np.array([0.0, np.inf, -np.inf, 1.0]), want, name="f", **TOL)  # a number for NaN
    failure(assert_allclose, np.array([np.nan, -np.inf, -np.inf, 1.0]), want, name="f", **TOL)  # the wrong inf
    failure(assert_allclose, np.array([np.nan, 5.0, -np.inf, 1.0]), want, name="f", **TOL)  # a number for inf
    failure(assert_allclose, np.array([np.inf, np.inf, -np.inf, 1.0]), want, name="f", **TOL)  # inf for NaN


def test_a_scalar_array_compares_and_reports_without_an_index():
    assert_allclose(np.array(2.0), np.array(2.0), name="f", **TOL)
    exc = failure(assert_allclose, np.array(2.5), np.array(2.0), name="f", **TOL)
    assert exc.details["worst_index"] == [] and "first at []" in exc.message


@pytest.mark.parametrize(
    "got, kind",
    [
        (np.zeros((3, 2)), "shape"),
        ([0.0, 0.0], "type"),
        (None, "type"),
        (Opaque("tensorflow.python.framework.ops.EagerTensor", "t", (2,), "float32"), "type"),
    ],
)
def test_the_wrong_shape_or_type_fails_before_comparing(got, kind):
    exc = failure(assert_allclose, got, np.zeros((2, 3)), name="f", **TOL)
    assert exc.details["kind"] == kind


def test_a_tensor_is_refused_with_how_to_convert_it():
    exc = failure(as_array, Opaque("tensorflow.python.framework.ops.EagerTensor", "t", (2,), "float32"), name="f")
    assert ".numpy()" in exc.message


def test_non_real_arrays_are_refused():
    exc = failure(as_array, np.array([1 + 1j]), name="f")
    assert "real numbers" in exc.message


def test_a_failure_carries_both_curves_for_the_report():
    x = np.linspace(-1, 1, 5)
    exc = failure(assert_allclose, np.array([0, 0, 0, np.nan, 1.0]), x * 2, name="f", curve_x=x, **TOL)
    curve = exc.details["curve"]
    assert curve["x"] == x.tolist() and curve["expected"] == (x * 2).tolist()
    assert curve["got"][3] is None  # NaN becomes a gap (JSON has no NaN)
    exc = failure(assert_allclose, np.zeros((2, 2)), np.ones((2, 2)), name="f", curve_x=x, **TOL)
    assert "curve" not in exc.details  # only 1-D results are curves


def test_max_rel_error_leaves_out_zero_expectations():
    exc = failure(assert_allclose, np.array([1.0, 2.2]), np.array([0.0, 2.0]), name="f", **TOL)
    assert exc.details["max_rel_err"] == pytest.approx(0.1)
    exc = failure(assert_allclose, np.array([1.0]), np.array([0.0]), name="f", **TOL)
    assert np.isnan(exc.details["max_rel_err"])


# ----------------------------------------------------------------------------- scalars and kinds


def test_assert_close():
    assert_close(1.0 + 1e-9, 1.0, name="f", **TOL)
    assert_close(np.float32(0.1), 0.1, name="f", rtol=1e-6, atol=0)
    assert_close(float("inf"), float("inf"), name="f", **TOL)
    exc = failure(assert_close, 1.5, 1.0, name="loss", inputs="y", **TOL)
    assert exc.details == {
        "kind": "scalar",
        "got": 1.5,
        "expected": 1.0,
        "abs_err": 0.5,
        "rtol": 1e-5,
        "atol": 1e-7,
        "inputs": "y",
    }
    assert exc.message.startswith("loss: got 1.5, expected 1") and "input: y" in exc.message
    failure(assert_close, 5.0, float("inf"), name="f", **TOL)  # rtol * inf must not accept any number
    failure(assert_close, float("-inf"), float("inf"), name="f", **TOL)
    failure(assert_close, float("inf"), 1e308, name="f", **TOL)
    failure(assert_close, float("nan"), 1.0, name="f", **TOL)
    failure(assert_close, float("nan"), float("nan"), name="f", **TOL)  # NaN never equals anything


@pytest.mark.parametrize(
    "value, expected",
    [(2, 2.0), (2.5, 2.5), (np.float32(0.5), 0.5), (np.int64(3), 3.0), (np.array([4.0]), 4.0), (np.array(5.0), 5.0)],
)
def test_as_float_accepts_every_real_scalar_spelling(value, expected):
    assert as_float(value, name="f") == expected and type(as_float(value, name="f")) is float


@pytest.mark.parametrize(
    "value", [True, np.bool_(False), "1.0", None, [1.0], np.array([1.0, 2.0]), np.array([[1.0]]), np.array([1 + 0j])]
)
def test_as_float_refuses_what_is_not_one_number(value):
    failure(as_float, value, name="f")


def test_as_int_and_as_tuple():
    assert as_int(3, name="f") == 3 and as_int(np.int32(4), name="f") == 4 and as_int(5.0, name="f") == 5
    for bad in (True, 2.5, "3", None):
        failure(as_int, bad, name="f")
    assert as_tuple([1, 2], 2, name="f") == (1, 2)
    assert "tuple of 3 values" in failure(as_tuple, (1, 2), 3, name="f").message
    failure(as_tuple, np.array([1, 2]), 2, name="f")


# ----------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    "value, needle",
    [
        (None, "return statement"),
        (np.zeros((2, 3)), "shape (2, 3)"),
        (np.float32(1), "NumPy scalar"),
        ([1, 2], "list of length 2"),
        ((1,), "tuple of length 1"),
        ("s" * 500, "str"),
        (Opaque("foo.Bar", "b"), "foo.Bar"),
    ],
)
def test_describe_value_names_what_came_back(value, needle):
    text = describe_value(value)
    assert needle in text and len(text) < 250


def test_messages_are_translatable():
    with i18n.language("zh"):
        exc = failure(assert_close, 1.5, 1.0, name="loss", **TOL)
    assert "得到" in exc.message and exc.message.render("en").startswith("loss: got 1.5")


def test_short_keeps_inputs_readable():
    assert short(np.array([1.0, 2.0])) == "[1., 2.]"
    assert "shape (100,)" in short(np.zeros(100))
    assert len(short("x" * 1000)) == 120 and short("x" * 1000, limit=10) == "'xxxxxxxxx"


@pytest.mark.parametrize(
    "got",
    [
        np.array([1.0, 2.0, 3.0]),
        np.array([1.0, 2.0, 3.0 + 1e-3]),
        np.array([1.0, 2.0, 3.0], dtype=np.float32),
        np.array([1, 2, 3]),
        np.array([True, True, False]),
        np.array([1.0, np.nan, 3.0]),
        np.array([1.0, 2.0, np.inf]),
        np.array([1.0, 2.0, -np.inf]),
        np.array([1.0, 2.0]),
        np.array([[1.0, 2.0, 3.0]]),
        [1.0, 2.0, 3.0],
        np.array(["1", "2", "3"]),
        None,
    ],
)
@pytest.mark.parametrize("want", [np.array([1.0, 2.0, 3.0]), np.array([1.0, np.nan, np.inf])])
def test_allclose_answers_what_assert_allclose_decides(got, want):
    """The quick test a loop runs before building a failure's names and messages: True exactly
    when assert_allclose passes."""
    try:
        assert_allclose(got, want, rtol=1e-6, atol=1e-9, name="f(x)")
        passes = True
    except CheckFailed:
        passes = False
    assert allclose(got, want, rtol=1e-6, atol=1e-9) is passes
