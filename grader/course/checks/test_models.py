"""Checks for the ``models`` topic (Keras).

A model never leaves the worker: :func:`grader.course.keras_describe.describe_model` reduces it there
to plain data (layer classes, configs, weights, predictions on inputs the grader chose). The
grader then rebuilds each layer with its own Keras, counts parameters itself and recomputes the
forward pass; nothing Keras computed inside the worker (``count_params``, ``summary``, output
shapes) is trusted. The expected network is the spec's, built here by the grader's Keras.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pytest

from grader.compare import as_int, as_tuple
from grader.course.keras_verify import ModelView, class_path, finite_weights_for, reference_layers
from grader.errors import CheckFailed, StudentError
from grader.i18n import N_, _, t

DESCRIBER = "grader.course.keras_describe:describe_model"
DESCRIBE_TIMEOUT = 60.0  # the first Keras build in a fresh worker takes a few seconds
N_IN = 3
ATTRS = ("layer1", "layer2", "layer3")
# The grader's rebuilt Dense layers run the same float32 ops on the same float32 weights as the
# student's model; rtol 1e-5 (~80 ulps) covers a different matmul kernel / batch blocking.
RTOL, ATOL = 1e-5, 1e-6

# Message ids, translated where they are used (_()).
SEQ_HINT = N_("Start the Sequential with keras.Input(shape=(3,)) so that it is built with weights.")
SUB_HINT = N_("Call the model once on a batch, e.g. model(np.ones((1, 3))), so that its layers get weights.")
CALL_HINT = N_(
    "check that call() applies self.layer1, then self.layer2, then self.layer3 (each once) and returns the result"
)
CALL_HINT_SENTENCE = N_(
    "Check that call() applies self.layer1, then self.layer2, then self.layer3 (each once) and returns the result."
)
INPUT_HINT = N_('Start from keras.Input(shape=(3,), name="input").')


# ------------------------------------------------------------------------------- fixtures


class Reference:
    """The course network as the grader's Keras builds it (once per module)."""

    def __init__(self, keras):
        from keras import layers

        def dense(units, act, name, he):
            kw = {"kernel_initializer": "he_normal"} if he else {}
            return layers.Dense(units, activation=act, name=name, **kw)

        seq = keras.Sequential(
            [
                keras.Input(shape=(N_IN,)),
                dense(3, "relu", "layer1", True),
                dense(2, "relu", "layer2", True),
                dense(2, "sigmoid", "layer3", True),
            ],
            name="my_Sequential",
        )
        inputs = keras.Input(shape=(N_IN,), name="input")
        x = dense(3, "relu", "layer1", False)(inputs)
        x = dense(2, "relu", "layer2", False)(x)
        func = keras.Model(inputs, dense(2, "sigmoid", "layer3", False)(x), name="my_model")
        self.sequential = reference_layers(seq, check_initializer=True)
        self.functional = reference_layers(func, check_initializer=False)
        self.total = int(seq.count_params())
        self.model_path = class_path(keras.Model)
        self.sequential_path = class_path(keras.Sequential)
        self.functional_path = class_path(type(func))
        self.input_layer_path = class_path(keras.layers.InputLayer)


class Described:
    """Student objects described once per module (each describe builds a model in the worker)."""

    def __init__(self, student, ref: Reference, seed: int):
        rng = np.random.default_rng([seed, zlib.crc32(b"models::describe")])
        self.student, self.ref = student, ref
        self.x = rng.normal(0.0, 2.0, size=(32, N_IN)).astype(np.float32)
        self.weights = finite_weights_for(ref.sequential, rng, self.x)  # same shapes for all three
        self._cache: dict[str, tuple[bool, object]] = {}

    def get(self, name: str) -> dict:
        if name not in self._cache:
            kwargs = {"x": self.x, "set_weights": self.weights}
            if name == "MyModel":
                kwargs.update(build_with=np.ones((1, N_IN), dtype=np.float32), attrs=ATTRS)
            elif name == "build_subclassed":
                kwargs.update(attrs=ATTRS)
            try:
                value = self.student.describe(name, DESCRIBER, timeout=DESCRIBE_TIMEOUT, describe_kwargs=kwargs)
                self._cache[name] = (True, value)
            except StudentError as exc:
                self._cache[name] = (False, exc)
        ok, value = self._cache[name]
        if not ok:
            raise value
        if not isinstance(value, dict):  # pragma: no cover - the describer always returns a dict
            raise CheckFailed(t("{call} could not be described", call=name + "()"))
        return value


@functools.lru_cache(maxsize=1)
def _reference(keras) -> Reference:
    return Reference(keras)


@pytest.fixture(scope="module")
def network(keras) -> Reference:
    # Plain facts about the spec's network, the same for every student: a batch process builds it
    # once, not once per student (~40 ms of Keras model building each).
    return _reference(keras)


@pytest.fixture(scope="module")
def described(student, network, seed) -> Described:
    return Described(student, network, seed)


# -------------------------------------------------------------------------------- helpers


def _returned(desc: dict) -> str:
    typ = desc.get("type", "?")
    if typ == "builtins.NoneType":
        return _("None (did you forget a return statement?)")
    return t("an object of type {type}", type=typ)


def _require_model(desc: dict, what: str, ref: Reference, expected: str) -> None:
    if ref.model_path not in (desc.get("mro") or []):
        raise CheckFailed(
            t("{what} returned {got}, expected {expected}", what=what, got=_returned(desc), expected=_(expected))
        )


def _seq_view(desc: dict, what: str, ref: Reference, expected: list) -> ModelView:
    descs = [d for d in desc.get("layers") or [] if d.get("type") != ref.input_layer_path]
    return _view(desc, what, descs, expected)


def _view(desc: dict, what: str, descs: list, expected: list, labels: list | None = None) -> ModelView:
    if labels is None:
        labels = []
        for i, d in enumerate(descs):
            name = str((d or {}).get("name"))
            exp = expected[i].name if i < len(expected) else None
            labels.append(name if name == exp else t("layer #{i} ({name})", i=i + 1, name=repr(name)))
    return ModelView(desc=desc, what=what, layer_descs=list(descs), labels=labels)


def _sub_view(desc: dict, what: str) -> ModelView:
    attrs = desc.get("attrs") or {}
    missing = [a for a in ATTRS if attrs.get(a) is None]
    if missing:
        raise CheckFailed(
            t(
                "{what} has no attribute {attrs}; create the layers in __init__ as self.layer1, "
                "self.layer2, self.layer3",
                what=what,
                attrs=", ".join("self." + a for a in missing),
            )
        )
    return _view(desc, what, [attrs[a] for a in ATTRS], [], labels=[f"self.{a}" for a in ATTRS])


def _check_input(desc: dict, what: str, hint: str) -> None:
    inputs = desc.get("inputs")
    if not inputs:
        raise CheckFailed(
            t("{what} has no input shape, so it is not built and has 0 parameters. {hint}", what=what, hint=_(hint)),
            {"kind": "not_built"},
        )
    shapes = [tuple(i.get("shape") or ()) for i in inputs]
    if len(shapes) != 1 or shapes[0] != (None, N_IN):
        raise CheckFailed(
            t(
                "the input shape of {what} is {shapes}, expected {expected}",
                what=what,
                shapes=", ".join(map(str, shapes)),
                expected=str((None, N_IN)),
            )
        )


def _check_subclass(desc: dict, what: str, ref: Reference) -> None:
    _require_model(desc, what, ref, N_("a subclass of keras.Model"))
    mro = desc.get("mro") or []
    if ref.sequential_path in mro or ref.functional_path in mro:
        raise CheckFailed(
            t(
                "{what} is a {type}; MyModel must subclass keras.Model directly and define the forward pass in call()",
                what=what,
                type=desc.get("type"),
            )
        )
    if not str(desc.get("type", "")).endswith(".MyModel"):
        raise CheckFailed(
            t("{what} is a {type}, expected an instance of your MyModel class", what=what, type=desc.get("type"))
        )


# --------------------------------------------------------------------- build_sequential


@pytest.mark.about("build_sequential")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the type and the name of your model; the message says which is wrong. It must be a "
    "keras.Sequential whose name, given when you create it, is exactly my_Sequential."
)
def test_sequential_type_and_name(described, network):
    """build_sequential returns a keras.Sequential named my_Sequential"""
    desc, what = described.get("build_sequential"), "build_sequential()"
    _require_model(desc, what, network, N_("a keras.Sequential model"))
    if network.sequential_path not in desc["mro"]:
        raise CheckFailed(t("{what} returned a {type}, expected a keras.Sequential", what=what, type=desc["type"]))
    if desc.get("name") != "my_Sequential":
        raise CheckFailed(
            t("the model is named {got}, expected {expected}", got=repr(desc.get("name")), expected="'my_Sequential'")
        )


@pytest.mark.about("build_sequential")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare each layer's settings with the docstring: units, activation, kernel initializer and "
    "name. The message names the first layer and the setting that differ."
)
def test_sequential_layers(described, network, keras):
    """build_sequential has layer1..layer3: Dense 3/2/2 units, relu/relu/sigmoid, he_normal"""
    desc, what = described.get("build_sequential"), "build_sequential()"
    _require_model(desc, what, network, N_("a keras.Sequential model"))
    _seq_view(desc, what, network, network.sequential).check_layer_configs(network.sequential, keras)


@pytest.mark.about("build_sequential")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check that the model knows its input shape (3,) before any data arrives: an unbuilt Sequential "
    "has no weights to count. Then compare the counts per layer, 12, 8 and 6."
)
def test_sequential_parameters(described, network, keras):
    """build_sequential is built on input (3,) with 26 parameters (12, 8, 6), counted by the grader"""
    desc, what = described.get("build_sequential"), "build_sequential()"
    _require_model(desc, what, network, N_("a keras.Sequential model"))
    _check_input(desc, what, SEQ_HINT)
    view = _seq_view(desc, what, network, network.sequential)
    view.check_layer_list(network.sequential)
    view.check_params(view.rebuilt(keras), network.sequential, N_IN, _(SEQ_HINT))


@pytest.mark.about("build_sequential")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Predictions are compared with the grader's layer1 -> layer2 -> layer3 using the same weights: "
    "check the order of the layers in your list and that there are no extra layers."
)
def test_sequential_forward_pass(described, network, keras):
    """build_sequential's predictions equal the grader's layer1 -> layer2 -> layer3 on a random batch"""
    desc, what = described.get("build_sequential"), "build_sequential()"
    _require_model(desc, what, network, N_("a keras.Sequential model"))
    view = _seq_view(desc, what, network, network.sequential)
    view.check_layer_list(network.sequential)
    view.check_forward(
        view.rebuilt(keras),
        N_IN,
        described.x,
        described.weights,
        _(SEQ_HINT),
        _("list the layers in the order layer1, layer2, layer3"),
        RTOL,
        ATOL,
    )


# --------------------------------------------------------------------- build_functional


@pytest.mark.about("build_functional")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the type and the name: a functional model is a keras.Model made from an input tensor and "
    "an output tensor (not a Sequential), and its name must be exactly my_model."
)
def test_functional_type_and_name(described, network):
    """build_functional returns a functional keras.Model named my_model"""
    desc, what = described.get("build_functional"), "build_functional()"
    _require_model(desc, what, network, N_("a functional keras.Model"))
    if network.functional_path not in desc["mro"] or network.sequential_path in desc["mro"]:
        raise CheckFailed(
            t(
                "{what} returned a {type}, expected a functional model made with keras.Model(inputs=..., outputs=...)",
                what=what,
                type=desc["type"],
            )
        )
    if desc.get("name") != "my_model":
        raise CheckFailed(
            t("the model is named {got}, expected {expected}", got=repr(desc.get("name")), expected="'my_model'")
        )


@pytest.mark.about("build_functional")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the model's Input: exactly one, of shape (3,) (the batch dimension is not part of the "
    "shape), and named exactly input."
)
def test_functional_input(described, network):
    """build_functional has one Input of shape (3,) named input"""
    desc, what = described.get("build_functional"), "build_functional()"
    _require_model(desc, what, network, N_("a functional keras.Model"))
    _check_input(desc, what, INPUT_HINT)
    name = desc["inputs"][0].get("name")
    if name != "input":
        raise CheckFailed(
            t("the model's input is named {got}, expected {expected}", got=repr(name), expected="'input'")
        )


@pytest.mark.about("build_functional")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare each layer's units, activation and name with the docstring. The message names the first "
    "layer and the setting that differ."
)
def test_functional_layers(described, network, keras):
    """build_functional has layer1..layer3: Dense 3/2/2 units, relu/relu/sigmoid"""
    desc, what = described.get("build_functional"), "build_functional()"
    _require_model(desc, what, network, N_("a functional keras.Model"))
    _seq_view(desc, what, network, network.functional).check_layer_configs(network.functional, keras)


@pytest.mark.about("build_functional")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Compare the parameter counts per layer with 12, 8 and 6: a Dense layer has one weight per "
    "input-output pair plus one bias per unit, so another count means another number of units or "
    "another input."
)
def test_functional_parameters(described, network, keras):
    """build_functional has 26 parameters (12, 8, 6), counted by the grader"""
    desc, what = described.get("build_functional"), "build_functional()"
    _require_model(desc, what, network, N_("a functional keras.Model"))
    _check_input(desc, what, INPUT_HINT)
    view = _seq_view(desc, what, network, network.functional)
    view.check_layer_list(network.functional)
    view.check_params(view.rebuilt(keras), network.functional, N_IN, "")


@pytest.mark.about("build_functional")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check what each layer is called on; the message names the layer with the wrong input. Each layer "
    "must take the previous layer's output, and the model's output must come from layer3."
)
def test_functional_wiring_and_forward_pass(described, network, keras):
    """build_functional wires input -> layer1 -> layer2 -> layer3 and its predictions match the grader's"""
    desc, what = described.get("build_functional"), "build_functional()"
    _require_model(desc, what, network, N_("a functional keras.Model"))
    view = _seq_view(desc, what, network, network.functional)
    view.check_layer_list(network.functional)
    graph = desc.get("graph") or {}
    inbound = graph.get("inbound") or {}
    expected = {"layer1": "input", "layer2": "layer1", "layer3": "layer2"}
    for layer, source in expected.items():
        got = inbound.get(layer)
        if got is not None and got != [source]:
            raise CheckFailed(
                t(
                    "{layer} receives the output of {got}, expected {source}",
                    layer=layer,
                    got=", ".join(got) if got else _("nothing"),
                    source=source,
                )
            )
    outputs = graph.get("outputs")
    if outputs is not None and outputs != ["layer3"]:
        raise CheckFailed(
            t("the model's output comes from {got}, expected {expected}", got=", ".join(outputs), expected="layer3")
        )
    view.check_forward(
        view.rebuilt(keras),
        N_IN,
        described.x,
        described.weights,
        "",
        _("call each layer on the previous layer's output"),
        RTOL,
        ATOL,
    )


# ------------------------------------------------------------------------------ MyModel


@pytest.mark.about("MyModel")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check what __init__ creates: the three Dense layers as attributes named layer1, layer2 and "
    "layer3, with the units, activations, kernel initializer and layer names of the docstring."
)
def test_mymodel_layers(described, network, keras):
    """MyModel() is a keras.Model subclass whose layer1..layer3 are the course's Dense layers"""
    desc, what = described.get("MyModel"), "MyModel()"
    _check_subclass(desc, what, network)
    _sub_view(desc, what).check_layer_configs(network.sequential, keras)


@pytest.mark.about("MyModel")
@pytest.mark.points(1)
@pytest.mark.hint(
    "A layer gets its weights only when it is called: check that call() uses all three layers, so "
    "that calling the model once builds 12 + 8 + 6 = 26 parameters."
)
def test_mymodel_call_builds_26_parameters(described, network, keras):
    """calling MyModel() on ones((1, 3)) builds 26 parameters (12, 8, 6), counted by the grader"""
    desc, what = described.get("MyModel"), "MyModel()"
    _check_subclass(desc, what, network)
    if desc.get("build_error"):
        raise CheckFailed(t("calling MyModel() on ones((1, 3)) failed: {error}", error=desc["build_error"]))
    view = _sub_view(desc, what)
    view.check_params(view.rebuilt(keras), network.sequential, N_IN, _(CALL_HINT_SENTENCE))


@pytest.mark.about("MyModel")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the order in call(): self.layer1, self.layer2 and self.layer3 each applied once, each to "
    "the previous one's output, and the last output is what call() hands back."
)
def test_mymodel_call_is_the_forward_pass(described, network, keras):
    """MyModel.call computes layer3(layer2(layer1(x))), checked against the grader's rebuild"""
    desc, what = described.get("MyModel"), "MyModel()"
    _check_subclass(desc, what, network)
    if desc.get("build_error"):
        raise CheckFailed(t("calling MyModel() on ones((1, 3)) failed: {error}", error=desc["build_error"]))
    view = _sub_view(desc, what)
    view.check_forward(
        view.rebuilt(keras), N_IN, described.x, described.weights, _(CALL_HINT), _(CALL_HINT), RTOL, ATOL
    )


# --------------------------------------------------------------------- build_subclassed


@pytest.mark.about("build_subclassed")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check that the MyModel you build is called once on a batch before you hand it back: a subclassed "
    "model has no weights until it sees data (the message shows the count it found)."
)
def test_subclassed_is_a_called_mymodel(described, network, keras):
    """build_subclassed returns a MyModel already called once, with 26 parameters counted by the grader"""
    desc, what = described.get("build_subclassed"), "build_subclassed()"
    _check_subclass(desc, what, network)
    view = _sub_view(desc, what)
    view.check_params(view.rebuilt(keras), network.sequential, N_IN, _(SUB_HINT))


@pytest.mark.about("build_subclassed")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check that build_subclassed hands back the very MyModel instance it called, an instance of your "
    "own class, not a fresh one or another model."
)
def test_subclassed_forward_pass(described, network, keras):
    """build_subclassed's predictions equal the grader's layer1 -> layer2 -> layer3"""
    desc, what = described.get("build_subclassed"), "build_subclassed()"
    _check_subclass(desc, what, network)
    view = _sub_view(desc, what)
    view.check_forward(view.rebuilt(keras), N_IN, described.x, described.weights, _(SUB_HINT), _(CALL_HINT), RTOL, ATOL)


# ------------------------------------------------------------------------ parameter counts


def _keras_dense_count(keras, n_in: int, n_out: int, use_bias: bool) -> int:
    layer = keras.layers.Dense(n_out, use_bias=use_bias)
    layer.build((None, n_in))
    return int(layer.count_params())


def _keras_mlp_count(keras, sizes: list[int], use_bias: bool) -> int:
    model = keras.Sequential(
        [keras.Input(shape=(sizes[0],))] + [keras.layers.Dense(n, use_bias=use_bias) for n in sizes[1:]]
    )
    return int(model.count_params())


@pytest.fixture
def keras_count(keras, reference):
    """``keras_count(n_in, n_out, use_bias)`` (a Dense layer) or ``keras_count(sizes, use_bias)``
    (an MLP): count_params() of the Keras-built equivalent, computed once per (check, seed,
    inputs) and shared (the reference store; ``network`` is this module's Keras course network)."""

    def dense(n_in: int, n_out: int, use_bias: bool) -> int:
        args = (int(n_in), int(n_out), bool(use_bias))
        return int(reference("keras dense count", lambda: _keras_dense_count(keras, *args), inputs=args))

    def mlp(sizes: list[int], use_bias: bool) -> int:
        args = ([int(n) for n in sizes], bool(use_bias))
        return int(reference("keras mlp count", lambda: _keras_mlp_count(keras, *args), inputs=args))

    return {"dense": dense, "mlp": mlp}


def _compare_count(got, want: int, call: str) -> None:
    g = as_int(got, name=call)
    if g != want:
        raise CheckFailed(
            t(
                "{call} returned {got}, expected {expected} (count_params() of the Keras-built equivalent)",
                call=call,
                got=g,
                expected=want,
            ),
            # the report's scalar table also shows the error and the (exact) tolerance
            {"kind": "scalar", "got": g, "expected": want, "abs_err": abs(g - want), "rtol": 0, "atol": 0},
        )


@pytest.mark.about("dense_params")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check one case by hand: a Dense layer from 3 inputs to 2 units has a 3x2 kernel and 2 biases, 8 "
    "parameters. Compare with what your function gives for (3, 2)."
)
def test_dense_params_matches_keras(student, keras_count, rng):
    """dense_params matches count_params() of a Keras Dense layer (course layers and random sizes)"""
    cases = [(3, 3), (3, 2), (2, 2), (784, 512), (512, 10), (1, 1)]
    cases += [tuple(int(v) for v in rng.integers(1, 1000, size=2)) for _ in range(6)]
    for i, (n_in, n_out) in enumerate(cases):
        want = keras_count["dense"](n_in, n_out, True)
        if i % 2:
            _compare_count(
                student.call("dense_params", n_in, n_out, use_bias=True),
                want,
                f"dense_params({n_in}, {n_out}, use_bias=True)",
            )
        else:
            _compare_count(student.call("dense_params", n_in, n_out), want, f"dense_params({n_in}, {n_out})")


@pytest.mark.about("dense_params")
@pytest.mark.points(1)
@pytest.mark.hint(
    "With use_bias=False, check that the biases are left out and only the kernel's weights are "
    "counted; this check passes use_bias by keyword."
)
def test_dense_params_without_bias(student, keras_count, rng):
    """dense_params(n_in, n_out, use_bias=False) matches a Keras Dense layer without bias"""
    cases = [(3, 3)] + [tuple(int(v) for v in rng.integers(1, 1000, size=2)) for _ in range(5)]
    for n_in, n_out in cases:
        want = keras_count["dense"](n_in, n_out, False)
        _compare_count(
            student.call("dense_params", n_in, n_out, use_bias=False),
            want,
            f"dense_params({n_in}, {n_out}, use_bias=False)",
        )


def _random_sizes(rng, n: int) -> list[list[int]]:
    return [[int(v) for v in rng.integers(1, 300, size=int(rng.integers(2, 7)))] for _ in range(n)]


@pytest.mark.about("mlp_params")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check how many layers you count: layer_sizes [3, 3, 2, 2] describes 3 Dense layers (one per "
    "consecutive pair), not 4. Tuples are passed as well as lists."
)
def test_mlp_params_matches_keras(student, keras_count, rng):
    """mlp_params matches count_params() of a Keras stack of Dense layers ([3, 3, 2, 2] and random stacks)"""
    cases = [[3, 3, 2, 2], [784, 512, 512, 10], [5, 1]] + _random_sizes(rng, 5)
    for i, sizes in enumerate(cases):
        want = keras_count["mlp"](sizes, True)
        arg = tuple(sizes) if i % 3 == 2 else list(sizes)  # tuples work too
        _compare_count(student.call("mlp_params", arg), want, f"mlp_params({arg!r})")


@pytest.mark.about("mlp_params")
@pytest.mark.points(1)
@pytest.mark.hint("Check that use_bias reaches every layer's count, not only the first or the last one.")
def test_mlp_params_without_bias(student, keras_count, rng):
    """mlp_params(layer_sizes, use_bias=False) matches a Keras stack without biases"""
    for sizes in [[3, 3, 2, 2]] + _random_sizes(rng, 4):
        want = keras_count["mlp"](sizes, False)
        _compare_count(
            student.call("mlp_params", list(sizes), use_bias=False), want, f"mlp_params({sizes!r}, use_bias=False)"
        )


def _keras_batchnorm_params(keras, units: int) -> tuple[int, int]:
    layer = keras.layers.BatchNormalization()
    layer.build((None, units))
    return (
        int(sum(np.prod(w.shape) for w in layer.trainable_weights)),
        int(sum(np.prod(w.shape) for w in layer.non_trainable_weights)),
    )


@pytest.mark.about("batchnorm_params")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Count BatchNormalization's weights per feature and ask which are learned by gradient descent "
    "(trainable) and which are moving statistics the layer updates itself (non-trainable); the result "
    "is the pair (trainable, non_trainable)."
)
def test_batchnorm_params_matches_keras(student, reference, keras, rng):
    """batchnorm_params matches the trainable / non-trainable weights of a Keras BatchNormalization layer"""
    for units in [512, 1, 3] + [int(v) for v in rng.integers(2, 4096, size=5)]:
        want = tuple(
            reference(
                "keras batch normalization weights",
                lambda units=units: _keras_batchnorm_params(keras, units),
                inputs=units,
            )
        )
        call = f"batchnorm_params({units})"
        got = as_tuple(student.call("batchnorm_params", int(units)), 2, name=call)
        got = tuple(as_int(g, name=call) for g in got)
        if got != want:
            raise CheckFailed(
                t(
                    "{call} returned (trainable, non_trainable) = {got}, expected {expected} (from a "
                    "Keras BatchNormalization layer built on that many features)",
                    call=call,
                    got=got,
                    expected=want,
                )
            )
