"""One rule decides which Keras configurations the grader deserializes (grader/course/keras_policy.py).

The models topic (keras_verify.rebuild_layer: a layer's reported config) and the mnist topic
(mnist_verify.check_builtin_config: a model's config or a .keras file's config.json) both ask
it, so what one refuses the other refuses too.
"""

from __future__ import annotations

import copy
import json
import zipfile

import pytest

from grader.errors import CheckFailed

EVIL = [
    # what the config holds, and where it goes in a Dense layer's config
    (
        "an initializer from os",
        "kernel_initializer",
        {"module": "os", "class_name": "system", "config": {}, "registered_name": None},
    ),
    (
        "a function by name in a layer (the old mnist rule let builtins.function through anywhere)",
        "activation",
        {"module": "builtins", "class_name": "function", "config": "eval", "registered_name": "function"},
    ),
    (
        "a class from Keras' private modules (the old mnist rule allowed any keras.* module)",
        "kernel_initializer",
        {"module": "keras.src.utils.file_utils", "class_name": "File", "config": {}, "registered_name": None},
    ),
    (
        "a custom registered class",
        "kernel_regularizer",
        {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.1}, "registered_name": "evil>L2"},
    ),
    ("a value the worker could not serialize", "bias_initializer", {"__unserializable__": "socket.socket", "repr": ""}),
    ("an unknown activation name", "activation", "no_such_activation"),
]


@pytest.fixture(scope="module")
def course_model(keras):
    from keras import layers, regularizers

    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, kernel_regularizer=regularizers.l2(0.001)),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _model_config(keras, model):
    return json.loads(json.dumps(keras.saving.serialize_keras_object(model)))


def _layer_desc(keras, layer):
    from grader.course.keras_describe import _json_safe, _path

    return {
        "is_layer": True,
        "type": _path(type(layer)),
        "serialized": _json_safe(keras.saving.serialize_keras_object(layer)),
    }


def test_keras_own_configs_pass_both_callers(keras, course_model, tmp_path):
    from grader.course import mnist_verify as mv
    from grader.course.keras_verify import rebuild_layer

    assert mv.check_builtin_config(_model_config(keras, course_model), "the model") == "Sequential"
    path = tmp_path / "m.keras"
    course_model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert mv.check_builtin_config(json.loads(zf.read("config.json")), "the file") == "Sequential"
    inp = keras.Input((784,))
    functional = keras.Model(inp, keras.layers.Dense(10, activation="softmax")(keras.layers.Dense(8)(inp)))
    functional.compile(loss=keras.losses.categorical_crossentropy, optimizer="adam", metrics=["accuracy"])
    assert mv.check_builtin_config(_model_config(keras, functional), "the model") == "Functional"
    for layer in course_model.layers:
        assert type(rebuild_layer(_layer_desc(keras, layer), "layer", keras)) is type(layer)


@pytest.mark.parametrize("what,key,value", EVIL, ids=[e[0] for e in EVIL])
def test_both_callers_refuse_the_same_things(keras, course_model, what, key, value):
    from grader.course import mnist_verify as mv
    from grader.course.keras_verify import rebuild_layer

    desc = _layer_desc(keras, course_model.layers[0])
    desc["serialized"]["config"][key] = copy.deepcopy(value)
    with pytest.raises(CheckFailed, match="built-in Keras"):
        rebuild_layer(desc, "layer1", keras)
    cfg = _model_config(keras, course_model)
    cfg["config"]["layers"][1]["config"][key] = copy.deepcopy(value)
    with pytest.raises(CheckFailed, match="only built-in Keras layers"):
        mv.check_builtin_config(cfg, "the model")


@pytest.mark.parametrize("layer", ["Lambda", "TFSMLayer", "TorchModuleWrapper"])
def test_layers_that_carry_code_are_refused_by_both(keras, course_model, layer):
    from grader.course import mnist_verify as mv
    from grader.course.keras_verify import rebuild_layer

    desc = _layer_desc(keras, course_model.layers[0])
    desc["serialized"]["class_name"] = layer
    with pytest.raises(CheckFailed, match="carries code"):
        rebuild_layer(desc, "layer1", keras)
    cfg = _model_config(keras, course_model)
    cfg["config"]["layers"][1]["class_name"] = layer
    with pytest.raises(CheckFailed, match="carries code"):
        mv.check_builtin_config(cfg, "the model")


def test_compile_settings_may_name_only_builtin_losses_optimizers_and_metrics(keras, course_model):
    from grader.course import mnist_verify as mv

    for loss in (
        {"module": "builtins", "class_name": "function", "config": "eval", "registered_name": "function"},
        {"module": "mylib", "class_name": "Loss", "config": {}, "registered_name": "mylib>Loss"},
    ):
        cfg = _model_config(keras, course_model)
        cfg["compile_config"]["loss"] = loss
        with pytest.raises(CheckFailed, match="only built-in Keras layers"):
            mv.check_builtin_config(cfg, "the model")
    cfg = _model_config(keras, course_model)
    cfg["compile_config"]["loss"] = {
        "module": "builtins",
        "class_name": "function",
        "config": "categorical_crossentropy",
        "registered_name": "function",
    }
    mv.check_builtin_config(cfg, "the model")
    cfg["compile_config"]["optimizer"]["module"] = "keras.layers"  # a layer is no optimizer
    with pytest.raises(CheckFailed, match="only built-in Keras layers"):
        mv.check_builtin_config(cfg, "the model")


def test_models_other_than_sequential_and_functional_are_refused(keras, course_model):
    from grader.course import mnist_verify as mv

    cfg = _model_config(keras, course_model)
    cfg.update(module="keras", class_name="Model")
    with pytest.raises(CheckFailed, match="only built-in Keras layers"):
        mv.check_builtin_config(cfg, "the model")


def test_deep_nesting_is_refused(keras):
    from grader.course import keras_policy

    deep = {"units": 3}
    for _ in range(keras_policy.MAX_DEPTH + 2):
        deep = {"x": [deep]}
    with pytest.raises(keras_policy.Refused, match="nesting deeper"):
        keras_policy.check_tree(deep, keras)
