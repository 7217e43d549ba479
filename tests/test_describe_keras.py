"""Keras models are judged by the grader's own Keras, never by what Keras says in the worker.

The submission runs in the worker and may monkeypatch Keras there (``count_params``,
``compute_output_shape``, ``get_config``, ``Dense.call``). These tests plant such patches in
otherwise plausible submissions and require that the grader's verdicts do not move; the
in-process tests check the describer's output is plain data and that the grader refuses to
rebuild anything but built-in Keras layers.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.errors import CheckFailed
from grader.sandbox import codec
from tests.conftest import SOLUTIONS, grade_source

SOL = (SOLUTIONS / "models.py").read_text()

PARAMS_CHECKS = {"test_sequential_parameters"}
SEQ = "build_sequential"


def _status(topic, name):
    (c,) = [c for c in topic.checks if c.name == name]
    return c


def _wrong_layer2(src: str) -> str:
    old = 'layers.Dense(2, activation="relu", kernel_initializer="he_normal", name="layer2"),'
    assert src.count(old) == 1
    return src.replace(old, 'layers.Dense(3, activation="relu", kernel_initializer="he_normal", name="layer2"),')


# ------------------------------------------------------------------- through the worker


def test_patched_count_params_and_output_shape_do_not_fool_the_grader(tmp_path):
    """A wrong network (layer2 has 3 units: 12 + 12 + 8 = 32 parameters) whose Keras is patched
    to report 26 parameters and the course's output shapes still fails its parameter check."""
    patch = """
import keras as _k
_k.Model.count_params = lambda self: 26
_k.layers.Dense.count_params = lambda self: {"layer1": 12, "layer2": 8, "layer3": 6}.get(self.name, 0)
_orig_cos = _k.layers.Dense.compute_output_shape
_k.layers.Dense.compute_output_shape = lambda self, s: (s[0], {"layer2": 2}.get(self.name, self.units))
"""
    topic = grade_source(tmp_path, "models", _wrong_layer2(SOL) + patch)
    assert not any(c.internal_error for c in topic.checks), [c.message for c in topic.checks]
    params = _status(topic, "test_sequential_parameters")
    assert params.status == "failed", params
    assert "layer2" in params.message and "expected" in params.message, params.message
    layers = _status(topic, "test_sequential_layers")
    assert layers.status == "failed" and "layer2 has 3 units, expected 2" in layers.message, layers.message
    # The patches do not hurt correct models: the functional one still passes in full.
    assert all(c.status == "passed" for c in topic.checks if c.function == "build_functional")


def test_patched_get_config_cannot_hide_the_real_layer(tmp_path):
    """get_config lying "units: 2" for a layer with 3 units: the weights and the forward pass
    (recomputed by the grader, also with weights it chose) give it away."""
    patch = """
import keras as _k
_orig_get_config = _k.layers.Dense.get_config
def _lying_get_config(self):
    cfg = _orig_get_config(self)
    if cfg["name"] == "layer2":
        cfg["units"] = 2
    return cfg
_k.layers.Dense.get_config = _lying_get_config
_k.Model.count_params = lambda self: 26
"""
    topic = grade_source(tmp_path, "models", _wrong_layer2(SOL) + patch)
    assert not any(c.internal_error for c in topic.checks), [c.message for c in topic.checks]
    assert _status(topic, "test_sequential_parameters").status == "failed"
    assert _status(topic, "test_sequential_forward_pass").status == "failed"


def test_patched_forward_pass_is_detected(tmp_path):
    """Dense.call patched in the worker: every model's predictions differ from the grader's own
    forward pass, while the (correct) structure and parameter checks still pass."""
    patch = """
import keras as _k
_orig_call = _k.layers.Dense.call
_k.layers.Dense.call = lambda self, inputs, *a, **kw: _orig_call(self, inputs, *a, **kw) * 1.01
"""
    topic = grade_source(tmp_path, "models", SOL + patch)
    assert not any(c.internal_error for c in topic.checks), [c.message for c in topic.checks]
    for name in (
        "test_sequential_forward_pass",
        "test_functional_wiring_and_forward_pass",
        "test_mymodel_call_is_the_forward_pass",
        "test_subclassed_forward_pass",
    ):
        assert _status(topic, name).status == "failed", name
    for name in (
        "test_sequential_parameters",
        "test_sequential_layers",
        "test_functional_parameters",
        "test_mymodel_call_builds_26_parameters",
        "test_subclassed_is_a_called_mymodel",
    ):
        assert _status(topic, name).status == "passed", (name, _status(topic, name).message)


def test_custom_layer_class_is_refused(tmp_path):
    """A Dense subclass defined by the submission is not rebuilt: the grader says why."""
    src = SOL.replace("def build_sequential():", "class Dense(layers.Dense):\n    pass\n\n\ndef build_sequential():")
    old = 'layers.Dense(3, activation="relu", kernel_initializer="he_normal", name="layer1"),\n        '
    src = src.replace(old, old.replace("layers.Dense", "Dense"), 1)
    topic = grade_source(tmp_path, "models", src)
    layers = _status(topic, "test_sequential_layers")
    assert layers.status == "failed" and "built-in Keras" in layers.message, layers.message


# -------------------------------------------------------------------------- in process


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _course_sequential(keras):
    from solutions.models import build_sequential

    return build_sequential()


def _walk(v):
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from _walk(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from _walk(x)


def test_description_is_plain_data(keras):
    from grader.course.keras_describe import describe_model

    x = np.ones((4, 3), dtype=np.float32)
    desc = codec.decode(codec.encode(describe_model(_course_sequential(keras), x=x)))
    assert not any(isinstance(v, codec.Opaque) for v in _walk(desc))
    assert [d["name"] for d in desc["layers"]] == ["layer1", "layer2", "layer3"]
    assert desc["predictions"].shape == (4, 2)
    assert [w["value"].shape for w in desc["layers"][0]["weights"]] == [(3, 3), (3,)]


def test_rebuild_refuses_anything_but_builtin_keras(keras):
    from grader.course.keras_describe import describe_model
    from grader.course.keras_verify import rebuild_layer

    desc = codec.decode(codec.encode(describe_model(_course_sequential(keras))))
    layer = desc["layers"][0]
    assert type(rebuild_layer(layer, "layer1", keras)) is keras.layers.Dense

    def tampered(edit):
        d = codec.decode(codec.encode(layer))
        edit(d)
        with pytest.raises(CheckFailed, match="built-in Keras"):
            rebuild_layer(d, "layer1", keras)

    tampered(lambda d: d.update(type="models.Dense"))  # a subclass in the worker
    tampered(lambda d: d["serialized"].update(class_name="Lambda"))
    tampered(lambda d: d["serialized"].update(module="models"))
    tampered(
        lambda d: d["serialized"]["config"].update(
            kernel_initializer={"module": "os", "class_name": "system", "config": {}, "registered_name": None}
        )
    )
    tampered(
        lambda d: d["serialized"]["config"].update(
            activation={"module": "builtins", "class_name": "function", "config": "eval", "registered_name": None}
        )
    )
    tampered(lambda d: d["serialized"]["config"].update(activation={"__unserializable__": "x", "repr": ""}))
    tampered(lambda d: d["serialized"]["config"].update(activation="no_such_activation"))


def test_lambda_activation_is_refused(keras):
    from grader.course.keras_describe import describe_model
    from grader.course.keras_verify import rebuild_layer

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation=lambda z: z, name="layer1")])
    desc = codec.decode(codec.encode(describe_model(model)))
    with pytest.raises(CheckFailed, match="built-in Keras"):
        rebuild_layer(desc["layers"][0], "layer1", keras)
