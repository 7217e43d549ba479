"""grader/sandbox/codec.py, the security boundary: what a worker sends back becomes fresh plain data.

Encoding runs in the worker next to student code, so it must survive any object; decoding runs
in the grader on bytes student code may have written itself, so it must accept nothing but
well-formed plain data and raise nothing but ``DecodeError``.
"""

from __future__ import annotations

import json
import math
import struct
import sys

import numpy as np
import pytest

from grader.sandbox.codec import _MAX_DEPTH, _MAX_ITEMS, DecodeError, Opaque, decode, encode


def trip(value):
    return decode(encode(value))


def message(header, buffers=()) -> bytes:
    """A hand-made wire message: what a hostile worker could write to the reply pipe."""
    head = json.dumps({"v": header, "b": [len(b) for b in buffers]}).encode()
    return struct.pack("<Q", len(head)) + head + b"".join(buffers)


# ----------------------------------------------------------------------------- plain data


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        "",
        "héllo 你好",
        0,
        -7,
        2**200,
        0.1,
        -0.0,
        1e308,
        5e-324,
        [],
        (),
        {},
        [1, [2, (3.5, "x")]],
        {"a": 1, 2: [None], (1, "t"): {"n": 0.5}},
    ],
)
def test_plain_values_round_trip_exactly(value):
    back = trip(value)
    assert back == value and type(back) is type(value)
    assert repr(back) == repr(value)  # -0.0 stays -0.0, tuples stay tuples


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_survive(value):
    back = trip(value)
    assert type(back) is float and (math.isnan(back) if math.isnan(value) else back == value)


def test_floats_are_bit_exact():
    values = np.random.default_rng(0).normal(size=200).tolist() + [np.nextafter(1.0, 2.0), 1 / 3]
    assert [v.hex() for v in trip(values)] == [v.hex() for v in values]


@pytest.mark.parametrize(
    "dtype",
    [
        "bool",
        "int8",
        "uint8",
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "float16",
        "float32",
        "float64",
        ">f8",
        ">i4",
        "longdouble",
    ],
)
def test_arrays_of_every_real_dtype_round_trip(dtype):
    arr = (np.arange(24) % 7 - 2).astype(dtype).reshape(2, 3, 4)
    back = trip(arr)
    assert type(back) is np.ndarray and back.dtype == arr.dtype and back.shape == arr.shape
    assert np.array_equal(back, arr) and back.flags.writeable and back.flags.owndata


@pytest.mark.parametrize(
    "arr",
    [
        np.float32(np.nan) * np.ones((2, 2), np.float32),
        np.array([np.inf, -np.inf, 0.0]),
        np.array(3.5),
        np.zeros((0, 3)),
        np.zeros((4, 0, 2), np.int8),
        np.arange(12.0).reshape(3, 4).T,
        np.arange(20.0)[::3],
    ],
    ids=["nan", "inf", "0-d", "empty", "empty-3d", "transposed", "strided"],
)
def test_odd_shapes_nan_and_non_contiguous_arrays_round_trip(arr):
    back = trip(arr)
    assert back.shape == arr.shape and back.dtype == arr.dtype
    assert np.array_equal(back, arr, equal_nan=True)


@pytest.mark.parametrize(
    "scalar",
    [
        np.float32(1.5),
        np.float64(-0.0),
        np.int64(-3),
        np.uint8(255),
        np.bool_(True),
        np.float16(np.inf),
        np.float32(np.nan),
    ],
)
def test_numpy_scalars_stay_numpy_scalars(scalar):
    back = trip(scalar)
    assert type(back) is type(scalar) and back.dtype == scalar.dtype
    assert back.tobytes() == scalar.tobytes()


def test_a_large_array_round_trips():
    arr = np.random.default_rng(1).normal(size=(1000, 1000))  # 8 MB
    assert np.array_equal(trip(arr), arr)


# ----------------------------------------------------------------------------- what is not plain data


@pytest.mark.parametrize(
    "arr",
    [
        np.array([1 + 2j]),
        np.array(["a"]),
        np.array([object()], dtype=object),
        np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]),
        np.array(["2020-01-01"], "M8[D]"),
        np.array([1], "m8[s]"),
        np.zeros(2, "V8"),
    ],
    ids=["complex", "str", "object", "structured", "datetime", "timedelta", "void"],
)
def test_arrays_that_are_not_real_numbers_arrive_opaque(arr):
    back = trip(arr)
    assert isinstance(back, Opaque) and back.type_name == "numpy.ndarray"
    assert back.shape == arr.shape and back.dtype == str(arr.dtype)[:40]


class LyingFloat(float):
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0.0

    __hash__ = float.__hash__


class LyingList(list):
    def __eq__(self, other):
        return True


class LyingDict(dict):
    pass


@pytest.mark.parametrize(
    "value",
    [
        LyingFloat(1.0),
        LyingList([1]),
        LyingDict(a=1),
        object(),
        {1, 2},
        b"bytes",
        range(3),
        1 + 2j,
        Ellipsis,
        print,
        type,
    ],
)
def test_anything_but_exact_builtins_arrives_as_an_opaque_placeholder(value):
    back = trip(value)
    assert isinstance(back, Opaque), back
    assert back != value or not isinstance(back, type(value))
    assert back.type_name == f"{type(value).__module__}.{type(value).__qualname__}"
    assert repr(back).startswith(f"<{back.type_name}: ")


def test_an_int_or_bool_subclass_is_not_trusted():
    class Sneaky(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    assert isinstance(trip(Sneaky(3)), Opaque)
    assert isinstance(trip(type("Flag", (int,), {})(1)), Opaque)


def test_an_ndarray_subclass_arrives_as_a_plain_ndarray():
    class Doctored(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(other), bool)

    arr = np.arange(4.0).view(Doctored)
    back = trip(arr)
    assert type(back) is np.ndarray and np.array_equal(back, np.arange(4.0))
    assert type(trip(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))) is np.ndarray


class Hostile:
    """Every hook an encoder might touch raises or lies."""

    def __repr__(self):
        raise RuntimeError("no repr for you")

    @property
    def shape(self):
        raise RuntimeError("no shape either")

    @property
    def dtype(self):
        return "x" * 1000

    def __len__(self):
        raise RuntimeError


def test_a_hostile_object_cannot_break_the_encoder():
    back = trip([Hostile(), 1])
    assert isinstance(back[0], Opaque) and back[1] == 1
    assert back[0].summary == "<unrepresentable>" and back[0].shape is None and len(back[0].dtype) == 40


def test_hostile_type_names_and_repr_results_cannot_break_the_encoder():
    class Evil(str):
        def __getitem__(self, item):
            raise RuntimeError("sliced")

        def __str__(self):
            raise RuntimeError("stringified")

    class Name:
        def __format__(self, spec):
            raise RuntimeError("formatted")

    Weird = type("Weird", (), {"__repr__": lambda self: Evil("evil repr")})
    Weird.__module__ = Name()
    back = trip(Weird())
    assert isinstance(back, Opaque) and back.type_name == "<unnamed type>" and back.summary == "evil repr"


def test_a_tensor_like_object_is_named_and_keeps_its_shape():
    Tensor = type(
        "EagerTensor", (), {"shape": (2, None, 3), "dtype": "float32", "__repr__": lambda s: "tf.Tensor(...)"}
    )
    Tensor.__module__ = "tensorflow.python.framework.ops"
    back = trip(Tensor())
    assert back.is_tf_tensor and back.shape == (2, -1, 3) and back.dtype == "float32"
    assert not Opaque("numpy.ndarray", "").is_tf_tensor


def test_the_summary_of_an_opaque_is_bounded():
    class Chatty:
        def __repr__(self):
            return "z" * 10**6

    back = trip(Chatty())
    assert len(back.summary) == 300


# ----------------------------------------------------------------------------- huge and deep


def test_too_many_items_is_opaque_not_slow():
    back = trip([0] * (_MAX_ITEMS + 1))
    assert isinstance(back, Opaque) and "too many" in back.summary
    back = trip(dict.fromkeys(range(_MAX_ITEMS + 1)))
    assert isinstance(back, Opaque) and back.type_name == "builtins.dict"
    assert len(trip([0] * _MAX_ITEMS)) == _MAX_ITEMS


def test_deep_nesting_is_cut_and_a_cycle_terminates():
    deep: list = []
    node = deep
    for _ in range(_MAX_DEPTH + 10):
        node.append([])
        node = node[0]
    back = trip(deep)
    for _ in range(_MAX_DEPTH + 1):
        back = back[0]
    assert isinstance(back, Opaque) and back.type_name == "nested-too-deep"
    loop: list = []
    loop.append(loop)
    assert isinstance(trip(loop), list)


def test_a_huge_integer_is_opaque_not_an_encoder_crash():
    big = 10 ** (sys.get_int_max_str_digits() + 10) if hasattr(sys, "get_int_max_str_digits") else None
    if big is None:  # Python 3.10 has no digit limit: the integer simply round-trips
        assert trip(10**5000) == 10**5000
        return
    back = trip(big)
    assert isinstance(back, Opaque) and "too large" in back.summary


# ----------------------------------------------------------------------------- malformed messages


def _f8(n: int = 1) -> bytes:
    return np.zeros(n).tobytes()


MALFORMED = {
    "empty": b"",
    "short": b"\x01\x02",
    "header is not json": struct.pack("<Q", 3) + b"{{{",
    "header is not utf-8": struct.pack("<Q", 2) + b"\xff\xfe",
    "header is a list": struct.pack("<Q", 2) + b"[]",
    "header length beyond the data": struct.pack("<Q", 2**63) + b"{}",
    "header nested too deeply for json": struct.pack("<Q", 200_002) + b"[" * 100_001 + b"]" * 100_001,
    "buffer table missing": struct.pack("<Q", 9) + b'{"v": 1 }',
    "negative buffer size": struct.pack("<Q", 17) + b'{"v":1,"b":[-1] }',
    "bool buffer size": struct.pack("<Q", 19) + b'{"v":1,"b":[true] }',
    "trailing bytes": message(None) + b"x",
    "missing bytes": message({"__nd__": 0, "dtype": "<f8", "shape": [2]}, [_f8(2)])[:-1],
    "unknown item": message({"__what__": 1}),
    "empty item": message({}),
    "a bare number": message(3),
    "a bare list": message([1, 2]),
    "bad float": message({"__float__": "zz"}),
    "bad int": message({"__int__": "0x10"}),
    "huge int": message({"__int__": "9" * 5000}),
    "object dtype": message({"__nd__": 0, "dtype": "|O", "shape": [1]}, [_f8()]),
    "string dtype": message({"__nd__": 0, "dtype": "<U1", "shape": [1]}, [b"abcd"]),
    "structured dtype": message({"__nd__": 0, "dtype": "f8,f8", "shape": [1]}, [_f8(2)]),
    "unknown dtype": message({"__nd__": 0, "dtype": "(", "shape": [1]}, [_f8()]),
    "dtype not a string": message({"__nd__": 0, "dtype": 8, "shape": [1]}, [_f8()]),
    "negative shape": message({"__nd__": 0, "dtype": "<f8", "shape": [-1]}, [_f8()]),
    "shape not a list": message({"__nd__": 0, "dtype": "<f8", "shape": 1}, [_f8()]),
    "shape of bools": message({"__nd__": 0, "dtype": "<f8", "shape": [True]}, [_f8()]),
    "shape that overflows": message({"__nd__": 0, "dtype": "<f8", "shape": [2**62, 4]}, [b""]),
    "shape beyond int64": message({"__nd__": 0, "dtype": "<f8", "shape": [2**70]}, [b""]),
    "size mismatch": message({"__nd__": 0, "dtype": "<f8", "shape": [3]}, [_f8(2)]),
    "buffer index out of range": message({"__nd__": 1, "dtype": "<f8", "shape": [1]}, [_f8()]),
    "buffer index a bool": message({"__nd__": True, "dtype": "<f8", "shape": [1]}, [b"", _f8()]),
    "scalar size mismatch": message({"__npscalar__": 0, "dtype": "<f4"}, [_f8()]),
    "sequence not a list": message({"__list__": "abc"}),
    "dict not a list": message({"__dict__": {"a": 1}}),
    "dict item not a pair": message({"__dict__": [[1]]}),
    "unhashable dict key": message({"__dict__": [[{"__tuple__": [{"__list__": []}]}, None]]}),
}


@pytest.mark.parametrize("data", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_message_raises_decode_error_and_nothing_else(data):
    with pytest.raises(DecodeError):
        decode(data)


def test_a_header_nested_deeper_than_the_encoder_makes_is_refused():
    header: object = None
    for _ in range(_MAX_DEPTH + 5):
        header = {"__list__": [header]}
    with pytest.raises(DecodeError):
        decode(message(header))


def test_a_hand_made_opaque_is_bounded_and_inert():
    back = decode(
        message({"__opaque__": "x" * 1000, "summary": ["not", "a", "string"] * 200, "shape": ["a"], "dtype": {"k": 1}})
    )
    assert isinstance(back, Opaque) and len(back.type_name) == 200 and len(back.summary) <= 300
    assert back.shape is None and isinstance(back.dtype, str)


def test_decoded_arrays_do_not_share_the_message_buffer():
    data = bytearray(encode(np.arange(3.0)))
    back = decode(bytes(data))
    data[-8:] = b"\x00" * 8
    assert back.tolist() == [0.0, 1.0, 2.0] and back.flags.writeable
