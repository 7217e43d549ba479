"""Which Keras configurations the grader may deserialize: one rule for every place that does.

A configuration produced by student code is untrusted data: a layer's config reported by the
worker (:mod:`grader.course.keras_verify`), a model's serialized config or the ``config.json``
inside a shipped ``.keras`` file (:mod:`grader.course.mnist_verify`). Keras turns such a config
into objects by importing whatever module and class it names, so before the grader's Keras sees
one, every serialized object in it (every dict with a ``class_name``) must be a public built-in
of the namespace allowed where it stands:

* the model: ``keras.Sequential`` or the functional ``keras.Model`` (as Keras serializes them);
* layers: classes of ``keras.layers``, except those that carry code or load files
  (:data:`CODE_LAYERS`), and in a worker's report exactly that class (not a subclass);
* inside layers: ``keras.initializers``, ``keras.regularizers``, ``keras.constraints`` and Keras'
  dtype policies; activations only by the name of a built-in (``activation="relu"``);
* the compile settings, which the grader reads but never deserializes: ``keras.optimizers``
  (and their learning-rate schedules), ``keras.losses``, ``keras.metrics``, and built-in loss or
  metric functions by name.

A registered name other than the class's own (``"package>Class"``: a custom class), a value the
worker could not serialize, or nesting deeper than :data:`MAX_DEPTH` is refused as well.
Everything is checked before anything is built; the grader then deserializes with
``safe_mode=True`` on top.
"""

from __future__ import annotations

from typing import Any

from grader.i18n import Text, _, t

# Built-in layers whose config carries code (Lambda) or a path or module to load.
CODE_LAYERS = frozenset({"Lambda", "TFSMLayer", "JaxLayer", "FlaxLayer", "TorchModuleWrapper"})
MAX_DEPTH = 24  # a Functional model's layer configs nest ~10 levels; anything far deeper is not Keras'
_ACTIVATION_KEYS = ("activation", "recurrent_activation")
_INSIDE_LAYERS = ("keras.initializers", "keras.regularizers", "keras.constraints")
_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
_COMPILE = ("keras.optimizers", "keras.optimizers.schedules", "keras.losses", "keras.metrics")
# How Keras writes the two model classes (the functional one under its implementation module).
_MODELS = {("keras", "Sequential"): "Sequential", ("keras.src.models.functional", "Functional"): "Functional"}


class Refused(Exception):
    """A configuration the grader will not deserialize; ``reason`` names what it holds."""

    def __init__(self, reason: Text):
        super().__init__(str(reason))
        self.reason = reason


def _namespace(keras: Any, module: str) -> Any:
    ns = keras
    for part in module.split(".")[1:]:
        ns = getattr(ns, part, None)
    return ns


def _public_class(keras: Any, module: str, name: Any) -> type | None:
    if not isinstance(name, str) or name.startswith("_"):
        return None
    cls = getattr(_namespace(keras, module), name, None)
    return cls if isinstance(cls, type) else None


def _named(node: dict) -> str:
    return f"{str(node.get('module'))[:60]}.{str(node.get('class_name'))[:60]}"


def _check_registered(node: dict) -> None:
    reg, name = node.get("registered_name"), node.get("class_name")
    if reg is not None and reg != name:
        raise Refused(t("the custom class {name}", name=str(reg)[:80]))


def layer_problem(node: dict, keras: Any, worker_type: str | None = None) -> None:
    """Refuse a serialized layer (``{"module", "class_name", "config", ...}``) that is not allowed.

    ``worker_type``: the class path of the object in the worker, which must be exactly the
    built-in class (a subclass defined by the submission serializes under its parent's name).
    """
    name = node.get("class_name")
    cls = _public_class(keras, "keras.layers", name) if node.get("module") == "keras.layers" else None
    if cls is None or not issubclass(cls, keras.layers.Layer):
        raise Refused(t("{name}, not a built-in Keras layer", name=worker_type or _named(node)))
    if name in CODE_LAYERS:
        raise Refused(t("a {name} layer, which carries code", name=name))
    if worker_type is not None and worker_type != f"{cls.__module__}.{cls.__qualname__}":
        raise Refused(t("{name}, not a built-in Keras layer", name=worker_type))
    _check_registered(node)


def _object_problem(node: dict, keras: Any, context: str) -> None:
    module, name = node.get("module"), node.get("class_name")
    if "__unserializable__" in node:
        raise Refused(t("a value of type {type}", type=str(node["__unserializable__"])[:80]))
    if context == "structure":
        if module == "keras.layers":
            return layer_problem(node, keras)
        if module == "keras" and name in _DTYPE_POLICIES and _public_class(keras, module, name):
            return _check_registered(node)
        if module in _INSIDE_LAYERS and _public_class(keras, module, name):
            return _check_registered(node)
        if name == "__keras_tensor__" and module is None:  # a functional model's wiring (plain data)
            return None
    elif context == "compile":
        if module in _COMPILE and _public_class(keras, module, name):
            return _check_registered(node)
        if (
            module == "builtins"
            and name == "function"
            and isinstance(node.get("config"), str)
            and _builtin_function(keras, node["config"])
        ):
            return _check_registered(node)
    raise Refused(t("{name} from {module}", name=str(name)[:60], module=str(module)[:60]))


def _builtin_function(keras: Any, name: str) -> bool:
    for getter in (keras.losses.get, keras.metrics.get):
        try:
            if getter(name) is not None:
                return True
        except Exception:  # noqa: BLE001 - not that kind of function
            continue
    return False


def activation_problem(value: Any, keras: Any) -> None:
    """An activation must be None or the name of a built-in Keras activation."""
    if value is None:
        return
    if not isinstance(value, str):
        raise Refused(_("an activation that is not a built-in Keras activation given by name"))
    try:
        keras.activations.get(value)
    except Exception:  # noqa: BLE001
        raise Refused(t("the activation {name}, not a built-in Keras activation", name=repr(value)[:60])) from None


def check_tree(cfg: Any, keras: Any, context: str = "structure", depth: int = 0) -> Any:
    """A plain-data copy of ``cfg`` (str keys) after refusing every object not allowed in ``context``
    ("structure": inside a model or layer; "compile": compile settings)."""
    if depth > MAX_DEPTH:
        raise Refused(t("nesting deeper than {n} levels", n=MAX_DEPTH))
    if isinstance(cfg, dict):
        if "__unserializable__" in cfg:
            raise Refused(t("a value of type {type}", type=str(cfg["__unserializable__"])[:80]))
        if "class_name" in cfg:
            _object_problem(cfg, keras, context)
        out = {}
        for k, v in cfg.items():
            if context == "structure" and k in _ACTIVATION_KEYS and not isinstance(v, dict):
                activation_problem(v, keras)
            elif context == "structure" and k in _ACTIVATION_KEYS:
                raise Refused(_("an activation that is not a built-in Keras activation given by name"))
            out[str(k)] = check_tree(v, keras, context, depth + 1)
        return out
    if isinstance(cfg, (list, tuple)):
        return [check_tree(v, keras, context, depth + 1) for v in cfg]
    if cfg is None or isinstance(cfg, (bool, int, float, str)):
        return cfg
    raise Refused(t("a value of type {type}", type=type(cfg).__name__))


def check_layer_config(ser: dict, keras: Any, worker_type: str | None = None) -> dict:
    """The layer's config (plain data) once the serialized layer and all it holds are allowed."""
    layer_problem(ser, keras, worker_type)
    cfg = ser.get("config")
    if not isinstance(cfg, dict):
        raise Refused(_("a layer configuration that is not a dict"))
    return check_tree(cfg, keras)


def check_model_config(cfg: Any, keras: Any) -> str:
    """Refuse a serialized model (or a ``.keras`` file's config.json) holding anything not allowed;
    returns the model kind, "Sequential" or "Functional"."""
    if not isinstance(cfg, dict):
        raise Refused(_("a model configuration that is not a dict"))
    kind = _MODELS.get((str(cfg.get("module")), str(cfg.get("class_name"))))
    if kind is None:
        raise Refused(
            t("{name} from {module}", name=str(cfg.get("class_name"))[:60], module=str(cfg.get("module"))[:60])
        )
    _check_registered(cfg)
    for key, value in cfg.items():
        if key in ("module", "class_name", "registered_name"):
            continue
        check_tree(value, keras, "compile" if key == "compile_config" else "structure", 1)
    return kind
