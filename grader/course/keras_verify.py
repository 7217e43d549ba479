"""Grader side of Keras model verification: rebuild, count and recompute with the grader's Keras.

The worker reports plain data (:mod:`grader.course.keras_describe`). Here
:func:`rebuild_layer` and :class:`ModelView` rebuild every layer from its
``(class_name, config)`` with the grader's own Keras, refusing anything that is not a
built-in Keras layer (:mod:`grader.course.keras_policy`), build it on the input width the course
network needs, count the parameters, load the reported weights and recompute the forward pass. Only these
grader-side results decide a check; the worker's numbers are compared against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.compare import assert_allclose
from grader.course import keras_policy
from grader.course.keras_describe import _err, _path
from grader.errors import CheckFailed
from grader.i18n import _, t

_MAX_UNITS = 100_000
_MAX_KERNEL = 10_000_000  # the grader refuses to allocate more for one rebuilt layer


def class_path(cls: type) -> str:
    return _path(cls)


def _refuse(where: str, what: str) -> CheckFailed:
    return CheckFailed(
        t(
            "{where}: {what}; only built-in Keras layers, initializers and activations "
            '(given by name, e.g. activation="relu") can be graded',
            where=where,
            what=what,
        ),
        {"kind": "refused"},
    )


def _text(v: Any) -> str:
    """An error the worker reported (already translated by grader.student.localize), as text."""
    if isinstance(v, (list, tuple)):
        return "; ".join(_text(x) for x in v)
    if isinstance(v, dict) and isinstance(v.get("__message__"), str) and isinstance(v.get("params"), dict):
        try:  # described in this process (no worker in between)
            return t(v["__message__"], **v["params"])
        except (KeyError, IndexError, ValueError):
            return v["__message__"]
    return str(v)


def rebuild_layer(desc: dict, where: str, keras: Any) -> Any:
    """A fresh, unbuilt copy of a reported layer made by the GRADER's Keras from its config.

    What may be rebuilt is :mod:`grader.course.keras_policy`'s rule: classes of ``keras.layers``
    only, and only if the object in the worker was exactly that class (not a subclass defined by
    the submission), holding nothing but built-in initializers, regularizers, constraints and
    activations given by name.
    """
    if not desc or not desc.get("is_layer"):
        if not desc:
            raise CheckFailed(t("{where} is missing, expected a keras layer", where=where))
        raise CheckFailed(t("{where} is a {type}, expected a keras layer", where=where, type=str(desc.get("type"))))
    ser = desc.get("serialized")
    if not isinstance(ser, dict):
        raise CheckFailed(
            t(
                "{where} ({type}) could not be serialized: {error}",
                where=where,
                type=desc.get("type"),
                error=desc.get("serialize_error", "?"),
            )
        )
    try:  # one rule for every config the grader deserializes (grader.course.keras_policy)
        cfg = keras_policy.check_layer_config(ser, keras, worker_type=str(desc.get("type")))
    except keras_policy.Refused as exc:
        raise _refuse(where, t("the configuration holds {thing}", thing=exc.reason)) from None
    cls = getattr(keras.layers, ser["class_name"])
    units = cfg.get("units")
    if units is not None and (type(units) is not int or not 0 < units <= _MAX_UNITS):
        raise CheckFailed(t("{where} has units={units}; expected a positive int", where=where, units=repr(units)))
    try:
        return cls.from_config(cfg)
    except Exception as exc:  # noqa: BLE001 - a config Keras itself refuses
        raise CheckFailed(
            t(
                "{where}: Keras could not rebuild the layer from its configuration ({error})",
                where=where,
                error=_err(exc),
            )
        ) from None


def initializer_matches(got: Any, want: Any) -> bool:
    """Same initializer up to the seed: class family and the VarianceScaling parameters."""
    from keras import initializers

    if isinstance(want, initializers.VarianceScaling):
        return (
            isinstance(got, initializers.VarianceScaling)
            and got.scale == want.scale
            and got.mode == want.mode
            and got.distribution == want.distribution
        )
    return type(got) is type(want)


def initializer_name(init: Any) -> str:
    from keras import initializers

    name = type(init).__name__
    if type(init) is initializers.VarianceScaling:
        name += f"(scale={init.scale}, mode={init.mode!r}, distribution={init.distribution!r})"
    return name


def activation_name(fn: Any) -> str:
    return getattr(fn, "__name__", repr(fn))


@dataclass
class RefLayer:
    """One layer of the course network, as the grader's Keras builds it."""

    name: str
    units: int
    activation: Any
    use_bias: bool
    kernel_initializer: Any | None  # None: not prescribed by the spec
    n_in: int
    n_params: int
    weight_shapes: list[tuple[int, ...]]


def reference_layers(model: Any, check_initializer: bool) -> list[RefLayer]:
    """Describe a reference model the grader built, layer by layer (Dense layers only)."""
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        out.append(
            RefLayer(
                name=layer.name,
                units=layer.units,
                activation=layer.activation,
                use_bias=layer.use_bias,
                kernel_initializer=layer.kernel_initializer if check_initializer else None,
                n_in=int(layer.kernel.shape[0]),
                n_params=int(layer.count_params()),
                weight_shapes=[tuple(int(d) for d in w.shape) for w in layer.weights],
            )
        )
    return out


def _not_dense(label: str, layer: Any) -> str:
    return t("{label} is a {type}, expected a keras.layers.Dense", label=label, type=type(layer).__name__)


def _layer_text(layer: Any) -> str:
    return f"{type(layer).__name__}({getattr(layer, 'units', '')})"


def _fmt_shapes(shapes: list) -> str:
    return "[" + ", ".join(str(tuple(s)) for s in shapes) + "]"


@dataclass
class ModelView:
    """The grader's reading of a description: model layers rebuilt by the grader's Keras."""

    desc: dict
    what: str  # e.g. "build_sequential()"
    layer_descs: list[dict | None] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # how to call each layer in messages

    # -- structure ----------------------------------------------------------------------

    def layer_names(self) -> list[str]:
        return [str(d.get("name")) if d and d.get("is_layer") else "?" for d in self.layer_descs]

    def check_layer_list(self, ref: list[RefLayer]) -> None:
        names = self.layer_names()
        want = [r.name for r in ref]
        if len(names) != len(want):
            raise CheckFailed(
                t(
                    "{what} has {n} layer(s) ({names}), expected {n_expected}: {expected}",
                    what=self.what,
                    n=len(names),
                    names=", ".join(names) or _("none"),
                    n_expected=len(want),
                    expected=", ".join(want),
                )
            )
        for label, got, exp in zip(self.labels, names, want, strict=False):
            if got != exp:
                raise CheckFailed(
                    t(
                        "{label} is named {got}, expected {expected} (pass name={expected})",
                        label=label,
                        got=repr(got),
                        expected=repr(exp),
                    )
                )

    def rebuilt(self, keras: Any) -> list[Any]:
        return [rebuild_layer(d, label, keras) for d, label in zip(self.layer_descs, self.labels, strict=False)]

    def check_layer_configs(self, ref: list[RefLayer], keras: Any) -> list[Any]:
        """Class, units, activation, use_bias and (if prescribed) kernel_initializer per layer."""
        self.check_layer_list(ref)
        layers = self.rebuilt(keras)
        for label, layer, r in zip(self.labels, layers, ref, strict=False):
            name = r.name
            if not isinstance(layer, keras.layers.Dense) or type(layer) is not keras.layers.Dense:
                raise CheckFailed(_not_dense(label, layer))
            if layer.units != r.units:
                raise CheckFailed(
                    t("{name} has {got} units, expected {expected}", name=name, got=layer.units, expected=r.units)
                )
            if layer.activation is not r.activation:
                raise CheckFailed(
                    t(
                        "activation of {name} is {got}, expected {expected}",
                        name=name,
                        got=activation_name(layer.activation),
                        expected=activation_name(r.activation),
                    )
                )
            if layer.use_bias != r.use_bias:
                raise CheckFailed(
                    t(
                        "{name} has use_bias={got}, expected {expected}",
                        name=name,
                        got=layer.use_bias,
                        expected=r.use_bias,
                    )
                )
            if r.kernel_initializer is not None and not initializer_matches(
                layer.kernel_initializer, r.kernel_initializer
            ):
                raise CheckFailed(
                    t(
                        "kernel_initializer of {name} is {got}, expected he_normal ({expected})",
                        name=name,
                        got=initializer_name(layer.kernel_initializer),
                        expected=initializer_name(r.kernel_initializer),
                    )
                )
        return layers

    # -- weights and parameters ---------------------------------------------------------

    def reported_weights(self) -> list[list[np.ndarray]]:
        out = []
        for label, d in zip(self.labels, self.layer_descs, strict=False):
            vals = []
            for w in (d or {}).get("weights") or []:
                v = w.get("value") if isinstance(w, dict) else None
                if not isinstance(v, np.ndarray):
                    raise CheckFailed(t("the weights of {label} could not be read", label=label))
                vals.append(v)
            out.append(vals)
        return out

    def build_chain(
        self, layers: list[Any], n_in: int, not_built_hint: str, ref: list[RefLayer] | None = None
    ) -> list[list[np.ndarray]]:
        """Build the grader's copies on the course input width, layer by layer; the reported
        weights must fit them (and, with ``ref``, the grader's count must be the course's)."""
        weights = self.reported_weights()
        if not any(weights):
            raise CheckFailed(
                t("{what} has 0 parameters: the model was never built. {hint}", what=self.what, hint=not_built_hint),
                {"kind": "not_built"},
            )
        width = n_in
        for i, (label, layer, ws) in enumerate(zip(self.labels, layers, weights, strict=False)):
            if not ws:
                raise CheckFailed(
                    t(
                        "{label} has no weights: it was never built (not called on any input). {hint}",
                        label=label,
                        hint=not_built_hint,
                    ),
                    {"kind": "not_built"},
                )
            if type(layer).__name__ != "Dense":
                raise CheckFailed(_not_dense(label, layer))
            if width * layer.units > _MAX_KERNEL:
                raise CheckFailed(
                    t(
                        "{label} would have a {rows} x {cols} kernel, far larger than the course network's layers",
                        label=label,
                        rows=width,
                        cols=layer.units,
                    )
                )
            layer.build((None, width))
            if ref is not None and i < len(ref):
                count = int(layer.count_params())  # the grader's Keras counts
                if count != ref[i].n_params:
                    raise CheckFailed(
                        t(
                            "{label} has {got} parameters, expected {expected}",
                            label=label,
                            got=count,
                            expected=ref[i].n_params,
                        ),
                        {"kind": "params", "got": count, "expected": ref[i].n_params},
                    )
            want = [tuple(int(s) for s in w.shape) for w in layer.weights]
            got = [tuple(w.shape) for w in ws]
            if got != want:
                if got and want and len(got[0]) == 2 and len(want[0]) == 2 and got[0][0] != want[0][0]:
                    msg = t(
                        "{label} receives {got} inputs, expected {expected} (its weights have shapes "
                        "{got_shapes}, expected {expected_shapes})",
                        label=label,
                        got=got[0][0],
                        expected=width,
                        got_shapes=_fmt_shapes(got),
                        expected_shapes=_fmt_shapes(want),
                    )
                else:
                    msg = t(
                        "{label} has weights of shapes {got_shapes}, expected {expected_shapes} for a {layer} "
                        "receiving {n} inputs",
                        label=label,
                        got_shapes=_fmt_shapes(got),
                        expected_shapes=_fmt_shapes(want),
                        layer=_layer_text(layer),
                        n=width,
                    )
                raise CheckFailed(msg, {"kind": "weight_shapes"})
            width = int(layer.compute_output_shape((None, width))[-1])
        return weights

    def check_params(self, layers: list[Any], ref: list[RefLayer], n_in: int, not_built_hint: str) -> None:
        self.build_chain(layers, n_in, not_built_hint, ref)
        want_total = sum(r.n_params for r in ref)
        trainable = sum(int(layer.count_params()) for layer in layers if layer.trainable)
        if trainable != want_total:
            raise CheckFailed(
                t(
                    "{what} has {got} trainable parameters, expected {expected} (do not freeze layers)",
                    what=self.what,
                    got=trainable,
                    expected=want_total,
                )
            )
        total = 0
        for d in self.desc.get("layers") or []:
            for w in (d or {}).get("weights") or []:
                v = w.get("value") if isinstance(w, dict) else None
                total += int(v.size) if isinstance(v, np.ndarray) else 0
        if total != want_total:
            parts = ", ".join(f"{r.name} {r.n_params}" for r in ref)
            raise CheckFailed(
                t(
                    "{what} has {got} parameters in all its layers, expected {expected} ({parts})",
                    what=self.what,
                    got=total,
                    expected=want_total,
                    parts=parts,
                )
            )

    # -- forward pass -------------------------------------------------------------------

    def check_forward(
        self,
        layers: list[Any],
        n_in: int,
        x: np.ndarray,
        grader_weights: list,
        not_built_hint: str,
        call_hint: str,
        rtol: float,
        atol: float,
    ) -> None:
        """The reported predictions must equal the grader's chain layer1 -> layer2 -> layer3.

        Checked twice: with the model's own weights, and with weights the grader chose and the
        describer loaded (so that every ReLU is active for some inputs).
        """
        weights = self.build_chain(layers, n_in, not_built_hint)
        for err_key in ("predict_error", "predict_set_error"):
            if self.desc.get(err_key):
                raise CheckFailed(
                    t(
                        "calling the model on a batch of shape {shape} failed: {error}",
                        shape=x.shape,
                        error=_text(self.desc[err_key]),
                    )
                )
        if self.desc.get("set_weights_error"):
            raise CheckFailed(
                t(
                    "loading new weights into the model's layers failed: {error}",
                    error=_text(self.desc["set_weights_error"]),
                )
            )
        chain = " -> ".join(self.layer_names())
        for pred_key, ws in (("predictions", weights), ("predictions_set", grader_weights)):
            got = self.desc.get(pred_key)
            if got is None:
                raise CheckFailed(
                    t("{what} did not produce predictions for a batch of shape {shape}", what=self.what, shape=x.shape)
                )
            y = x
            for layer, w in zip(layers, ws, strict=False):
                layer.set_weights([np.asarray(v) for v in w])
                y = layer(y)
            want = np.asarray(y)
            try:
                assert_allclose(
                    got,
                    want,
                    rtol=rtol,
                    atol=atol,
                    name=t("the output of {what} on a batch of shape {shape}", what=self.what, shape=x.shape),
                )
            except CheckFailed as exc:
                which = _("its own weights") if pred_key == "predictions" else _("weights chosen by the grader")
                raise CheckFailed(
                    t(
                        "{message}. The grader computed {chain} with {weights}; {hint}",
                        message=exc.message,
                        chain=chain,
                        weights=which,
                        hint=call_hint,
                    ),
                    exc.details,
                ) from None


def finite_weights_for(ref: list[RefLayer], rng: np.random.Generator, x: np.ndarray) -> list[list[np.ndarray]]:
    """Random weights for the reference shapes under which every ReLU unit is active for some
    rows of ``x`` and inactive for others (so a skipped or repeated layer shows in the output)."""
    for _attempt in range(1000):
        ws, h, ok = [], x.astype(np.float64), True
        for r in ref:
            k = rng.uniform(-1.0, 1.0, size=(r.n_in, r.units)).astype(np.float32)
            b = rng.uniform(-0.2, 0.2, size=(r.units,)).astype(np.float32)
            ws.append([k, b] if r.use_bias else [k])
            z = h @ k + (b if r.use_bias else 0.0)
            if getattr(r.activation, "__name__", "") == "relu":
                pos = (z > 0.05).mean(axis=0)
                ok &= bool(np.all((pos > 0.1) & (pos < 0.9)))
                h = np.maximum(z, 0)
            else:
                ok &= bool(np.all(np.abs(z).mean(axis=0) > 0.1))
                h = z
        if ok:
            return ws
    raise RuntimeError("could not draw well-conditioned weights")  # pragma: no cover
