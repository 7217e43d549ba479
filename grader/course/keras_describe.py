"""Worker side of Keras model verification: a student's Keras object reduced to plain data.

A Keras model cannot leave the worker process, and nothing Keras computes *inside* the worker
can be trusted (the submission may monkeypatch ``count_params``, ``compute_output_shape``,
``summary``...). So :func:`describe_model` runs in the worker (``student.describe(name,
"grader.course.keras_describe:describe_model", describe_kwargs=...)``) on the object the
student returned and reduces it to PLAIN DATA: class paths, names, each layer's serialized
config (JSON-safe), its weights as NumPy arrays, and the predictions of the model on inputs
the grader chose (optionally after loading weights the grader chose). The grader side,
:mod:`grader.course.keras_verify`, rebuilds and recomputes everything itself.

Importing this module must stay cheap (the worker imports it lazily; TF is imported inside
functions only).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from grader.i18n import N_
from grader.sandbox.worker import message

# Sentences the worker side reports; the grader translates them (grader.sandbox.replies.localize).
NOT_A_TENSOR = N_("the model returned {type}, not a tensor ({error})")
LAYER_ERROR = N_("layer #{number}: {error}")
LAYER_COUNT_DIFFERS = N_("the model has {got} layer(s), the grader sent weights for {expected}")
WORKER_MESSAGES = (NOT_A_TENSOR, LAYER_ERROR, LAYER_COUNT_DIFFERS)


def _path(cls: type) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', getattr(cls, '__name__', '?'))}"


def _err(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - hostile __str__
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}"[:500]


def _json_safe(obj: Any) -> Any:
    """A JSON round trip: tuples become lists, anything exotic becomes a tagged string."""

    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray) and o.size <= 64:
            return o.tolist()
        try:
            text = repr(o)
        except Exception:  # noqa: BLE001
            text = "?"
        return {"__unserializable__": _path(type(o)), "repr": text[:200]}

    return json.loads(json.dumps(obj, default=default))


def _shape(s: Any) -> list | None:
    try:
        return [None if d is None else int(d) for d in s]
    except Exception:  # noqa: BLE001
        return None


def _describe_layer(layer: Any) -> dict:
    import keras

    out: dict[str, Any] = {
        "type": _path(type(layer)),
        "mro": [_path(c) for c in type(layer).__mro__][:40],
        "is_layer": isinstance(layer, keras.layers.Layer),
    }
    if not out["is_layer"]:
        return out
    out["name"] = str(layer.name)
    out["built"] = bool(layer.built)
    out["trainable"] = bool(layer.trainable)
    try:
        out["serialized"] = _json_safe(keras.saving.serialize_keras_object(layer))
    except Exception as exc:  # noqa: BLE001
        out["serialized"] = None
        out["serialize_error"] = _err(exc)
    weights = []
    for w in layer.weights:
        try:
            value = np.array(keras.ops.convert_to_numpy(w.value))
        except Exception:  # noqa: BLE001
            value = None
        weights.append(
            {
                "name": str(w.name),
                "path": str(getattr(w, "path", w.name)),
                "trainable": bool(w.trainable),
                "value": value,
            }
        )
    out["weights"] = weights
    return out


def _inbound(model: Any) -> dict | None:
    """For a functional model: {layer name: [names of the layers feeding it]}, plus outputs."""
    try:
        cfg = model.get_config()
    except Exception:  # noqa: BLE001
        return None

    def histories(node: Any, acc: list) -> list:
        if isinstance(node, dict):
            if "keras_history" in node:
                acc.append(str(node["keras_history"][0]))
            for v in node.values():
                histories(v, acc)
        elif isinstance(node, (list, tuple)):
            for v in node:
                histories(v, acc)
        return acc

    def names(v: Any) -> list[str]:
        v = _json_safe(v) if v is not None else []
        if isinstance(v, list) and v and isinstance(v[0], str):
            return [v[0]]  # a single [name, node, tensor] triple
        return [str(t[0]) for t in v if isinstance(t, list) and t]

    try:
        graph = {str(layer["name"]): histories(layer.get("inbound_nodes", []), []) for layer in cfg["layers"]}
        outputs, inputs = names(cfg.get("output_layers")), names(cfg.get("input_layers"))
    except Exception:  # noqa: BLE001
        return None
    return {"inbound": graph, "outputs": outputs, "inputs": inputs}


def _predict(obj: Any, x: np.ndarray) -> tuple[Any, str | None]:
    import keras

    try:
        y = obj(x, training=False)
    except TypeError:
        try:
            y = obj(x)
        except Exception as exc:  # noqa: BLE001
            return None, _err(exc)
    except Exception as exc:  # noqa: BLE001
        return None, _err(exc)
    try:
        return np.array(keras.ops.convert_to_numpy(y)), None
    except Exception as exc:  # noqa: BLE001
        return None, message(NOT_A_TENSOR, type=_path(type(y)), error=_err(exc))


def describe_model(
    obj: Any,
    x: np.ndarray | None = None,
    build_with: np.ndarray | None = None,
    attrs: tuple[str, ...] | None = None,
    set_weights: list | None = None,
) -> dict:
    """WORKER SIDE. Plain data describing ``obj`` (hopefully a Keras model).

    Args:
        obj: what the student's function returned.
        x: inputs to predict on (``predictions``), with the model's own weights.
        build_with: if given, ``obj(build_with)`` first (constructs the weights of a subclass).
        attrs: attribute names whose layers are "the model's layers" (a subclassed model);
            otherwise the model's non-InputLayer ``layers`` in order.
        set_weights: per model layer, the list of arrays to load before predicting on ``x``
            again (``predictions_set``); lets the grader choose well-conditioned weights.
    """
    import keras

    out: dict[str, Any] = {
        "type": _path(type(obj)),
        "mro": [_path(c) for c in type(obj).__mro__][:40],
        "is_model": isinstance(obj, keras.Model),
        "is_sequential": isinstance(obj, keras.Sequential),
    }
    if not isinstance(obj, keras.layers.Layer):
        return out
    if build_with is not None:
        _, out["build_error"] = _predict(obj, build_with)
    out["name"] = str(obj.name)
    out["built"] = bool(obj.built)
    try:
        out["inputs"] = [{"name": str(t.name), "shape": _shape(t.shape)} for t in obj.inputs]
    except Exception:  # noqa: BLE001 - an unbuilt Sequential or a subclassed model
        out["inputs"] = None
    all_layers = list(getattr(obj, "layers", []) or [])
    out["layers"] = [_describe_layer(layer) for layer in all_layers]
    if attrs is not None:
        model_layers = [getattr(obj, a, None) for a in attrs]
        out["attrs"] = {
            a: (_describe_layer(layer) if layer is not None else None)
            for a, layer in zip(attrs, model_layers, strict=False)
        }
    else:
        model_layers = [layer for layer in all_layers if not isinstance(layer, keras.layers.InputLayer)]
    try:
        from keras.src.models.functional import Functional
    except ImportError:  # pragma: no cover - another Keras layout
        Functional = None
    if Functional is not None and isinstance(obj, Functional) and not isinstance(obj, keras.Sequential):
        out["graph"] = _inbound(obj)
    try:
        out["n_weights_total"] = int(sum(int(np.prod(w.shape)) for w in obj.weights))
    except Exception:  # noqa: BLE001
        out["n_weights_total"] = None
    if (
        x is not None
        and obj.built
        and any(getattr(layer, "weights", None) for layer in model_layers if layer is not None)
    ):
        out["predictions"], out["predict_error"] = _predict(obj, x)
        if set_weights is not None:
            errors = []
            for i, (layer, values) in enumerate(zip(model_layers, set_weights, strict=False)):
                try:
                    layer.set_weights([np.asarray(v) for v in values])
                except Exception as exc:  # noqa: BLE001
                    errors.append(message(LAYER_ERROR, number=i + 1, error=_err(exc)))
            if not errors and len(model_layers) != len(set_weights):
                errors.append(message(LAYER_COUNT_DIFFERS, got=len(model_layers), expected=len(set_weights)))
            if errors:
                out["set_weights_error"] = errors
            else:
                out["predictions_set"], out["predict_set_error"] = _predict(obj, x)
    return out
