"""Worker-side code of the ``mnist`` topic: runs inside the student's worker process.

Nothing computed here is trusted by the grader. The functions only sequence the student's
own functions and report *plain data* (configs as JSON text, weight shapes, the history's
numbers, predictions on a batch the grader chose) plus a ``.keras`` file; the grader process
rebuilds, loads, counts and evaluates everything itself (:mod:`grader.course.mnist_verify`).

* :func:`describe_model` — a model as plain data (for the architecture checks);
* :func:`train_and_save` — preprocess → build_model → train on the real data, save the
  trained model, predict the grader's probe batch (one training run feeds every check).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from grader.i18n import N_
from grader.sandbox.worker import message

# Sentences for the student, translated by the grader (grader.student.localize): the worker
# does not know the student's language.
AN_ARRAY = N_("an array of shape {shape} and dtype {dtype}")
A_TYPE_OF_SHAPE = N_("a {type} of shape {shape}")
A_TYPE_OF_LENGTH = N_("a {type} of length {n}")
A_TYPE = N_("a {type}")
EXIT_CALLED = N_("called sys.exit({code})")
NOT_DEFINED = N_("{name} is not defined in {file}")
NEEDS_A_PAIR = N_("{call} returned {got}; the training run needs a pair {want}")
WRONG_PART = N_("{call} returned {name} as {got}; the training run needs {want}")
NOT_A_KERAS_MODEL = N_("build_model() returned {got}, not a keras.Model")
ON_TRAINING_IMAGES = N_("preprocess(x_train, y_train) on {n} training images")
ON_TEST_IMAGES = N_("preprocess(x_test, y_test) on {n} test images")
PAIR_SHAPES = N_("(x of shape {x_shape}, y of shape {y_shape})")
UNPRINTABLE = N_("<exception message could not be printed>")
WORKER_MESSAGES = (AN_ARRAY, A_TYPE_OF_SHAPE, A_TYPE_OF_LENGTH, A_TYPE, EXIT_CALLED, NOT_DEFINED, NEEDS_A_PAIR,
                   WRONG_PART, NOT_A_KERAS_MODEL, ON_TRAINING_IMAGES, ON_TEST_IMAGES, PAIR_SHAPES, UNPRINTABLE)


def _type_path(obj: Any) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def describe_model(model: Any) -> dict:
    """Plain data about ``model``: class, model config (JSON), per-layer weight shapes, compile config."""
    import keras

    if not isinstance(model, keras.Model):
        try:
            text = repr(model)[:200]
        except Exception:  # noqa: BLE001 - a hostile __repr__
            text = "<unrepresentable>"
        return {"kind": "not_a_model", "type": _type_path(model), "repr": text}
    out: dict[str, Any] = {"kind": "model", "class": _type_path(model), "compiled": bool(getattr(model, "compiled", False))}
    try:
        out["config_json"] = json.dumps(keras.saving.serialize_keras_object(model))
    except Exception as exc:  # noqa: BLE001 - e.g. a layer without get_config
        out["config_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    try:
        out["compile_json"] = json.dumps(model.get_compile_config() or {})
    except Exception as exc:  # noqa: BLE001
        out["compile_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    layers = []
    for layer in model.layers:
        layers.append({
            "class": _type_path(layer),
            "name": str(layer.name),
            "weights": [[str(w.path), [int(d) for d in w.shape], bool(w.trainable)] for w in layer.weights],
        })
    out["layers"] = layers
    return out


# ------------------------------------------------------------------------------ training


class _Stop(Exception):
    """Ends the driver early with a plain-data reply (a student problem, not a grader bug)."""

    def __init__(self, payload: dict):
        super().__init__(payload.get("message", ""))
        self.payload = payload


def _step(step: str, fn, *args, **kwargs):
    """Run one student function; its exceptions become a reply naming the step."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise _Stop({"status": "not_implemented", "step": step, "message": str(exc)[:300]}) from None
    except SystemExit as exc:
        raise _Stop({"status": "raised", "step": step, "type": "SystemExit",
                     "message": message(EXIT_CALLED, code=repr(exc.code)), "file": "", "line": None}) from None
    except BaseException as exc:  # noqa: BLE001 - whatever the student's code does
        from grader.sandbox.worker import _exc_payload

        payload = _exc_payload("raised", exc)
        payload.update(status="raised", step=step)
        if payload.pop("unprintable", False):
            payload["message"] = message(UNPRINTABLE)
        raise _Stop(payload) from None


def _problem(step: str, text: dict) -> _Stop:
    return _Stop({"status": "problem", "step": step, "message": text})


def _describe_value(v: Any) -> dict | str:
    import numpy as np

    if isinstance(v, np.ndarray):
        return message(AN_ARRAY, shape=str(v.shape), dtype=str(v.dtype))
    if v is None:
        return "None"
    shape = getattr(v, "shape", None)
    if shape is not None:
        try:
            shape = str(tuple(shape))
        except Exception:  # noqa: BLE001 - a hostile shape
            shape = "?"
        return message(A_TYPE_OF_SHAPE, type=_type_path(v), shape=shape)
    if isinstance(v, (list, tuple)):
        return message(A_TYPE_OF_LENGTH, type=type(v).__name__, n=len(v))
    return message(A_TYPE, type=_type_path(v))


def _pair(value: Any, n: int, call: dict):
    """Check a preprocess() result enough to train on it: (x (n, 784), y (n, 10)) numeric arrays."""
    import numpy as np

    want = message(PAIR_SHAPES, x_shape=str((n, 784)), y_shape=str((n, 10)))
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise _problem("preprocess", message(NEEDS_A_PAIR, call=call, got=_describe_value(value), want=want))
    out = []
    for name, v, width in (("x", value[0], 784), ("y", value[1], 10)):
        try:
            arr = np.asarray(v)
        except Exception:  # noqa: BLE001
            arr = None
        if arr is None or arr.dtype.kind not in "biuf" or arr.shape != (n, width):
            raise _problem("preprocess", message(WRONG_PART, call=call, name=name, got=_describe_value(v), want=want))
        out.append(arr)
    return out


class _Progress:
    """Writes JSON lines ``{"message": ...}`` to the file the grader polls (throttled)."""

    def __init__(self, path: str | None):
        self.path, self.last = path, 0.0

    def __call__(self, message: str, force: bool = False, **extra) -> None:
        now = time.monotonic()
        if self.path is None or (not force and now - self.last < 0.5):
            return
        self.last = now
        try:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"message": message, **extra}) + "\n")
        except OSError:
            pass


def _progress_callback(report: _Progress, fits: list):
    import keras

    class ProgressCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.t0, self.done, self.epoch = time.monotonic(), 0, 0
            fits.append({"epochs": self.params.get("epochs"), "steps": self.params.get("steps"), "epochs_run": 0})

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            fits[-1]["epochs_run"] = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            self.done += 1
            epochs, steps = self.params.get("epochs") or 1, self.params.get("steps") or 0
            elapsed = time.monotonic() - self.t0
            left = max(epochs * steps - self.done, 0) if steps else 0
            eta = elapsed / self.done * left
            report(f"training: epoch {self.epoch + 1}/{epochs} · batch {batch + 1}/{steps} · ETA {eta:.0f} s",
                   epoch=self.epoch + 1, epochs=epochs, batch=batch + 1, steps=steps, eta=round(eta, 1))

    return ProgressCallback()


def _attach_progress(model, callback) -> None:
    """Add ``callback`` to every ``model.fit`` call (``train`` has no callbacks argument)."""
    original = model.fit

    def fit(*args, **kwargs):
        args = list(args)
        if len(args) >= 6:  # fit(x, y, batch_size, epochs, verbose, callbacks, ...)
            args[5] = list(args[5] or []) + [callback]
        else:
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [callback]
        return original(*args, **kwargs)

    model.fit = fit


def _plain_history(history: Any) -> tuple[str, dict | None]:
    import keras

    if isinstance(history, keras.callbacks.History):
        raw, kind = getattr(history, "history", None), "History"
    elif isinstance(history, dict):
        raw, kind = history, "dict"
    else:
        return _describe_value(history), None
    if not isinstance(raw, dict):
        return kind, None
    out = {}
    for key, values in list(raw.items())[:50]:
        try:
            out[str(key)] = [float(v) for v in list(values)[:1000]]
        except (TypeError, ValueError):
            continue
    return kind, out


def train_and_save(module, progress: str | None = None, *, npz: str, out_dir: str, probe,
                   epochs: int | None = None, n_train: int | None = None, n_val: int | None = None) -> dict:
    """preprocess → build_model → train on ``npz``; save to ``out_dir/trained.keras``.

    ``probe`` is a float32 batch (grader-preprocessed test images) whose predictions by the
    trained model come back for the save/load round trip. ``epochs`` (if given) is passed to
    ``train``; ``n_train`` / ``n_val`` limit the training / validation images (a short run).
    Returns plain data.
    """
    try:
        return _train_and_save(module, _Progress(progress), npz, out_dir, probe, epochs, n_train, n_val)
    except _Stop as stop:
        return stop.payload


def _train_and_save(module, report, npz, out_dir, probe, epochs, n_train, n_val) -> dict:
    import keras
    import numpy as np

    report("loading MNIST", force=True)
    with np.load(npz, allow_pickle=False) as f:
        x_train, y_train, x_test, y_test = (f[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    if n_train:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    if n_val:
        x_test, y_test = x_test[:n_val], y_test[:n_val]
    report("preprocessing the images with your preprocess()", force=True)
    for name in ("preprocess", "build_model", "train"):
        if not callable(getattr(module, name, None)):
            raise _Stop({"status": "missing", "step": name,
                         "message": message(NOT_DEFINED, name=name, file="mnist.py")})
    xtr, ytr = _pair(_step("preprocess", module.preprocess, x_train.copy(), y_train.copy()), len(x_train),
                     message(ON_TRAINING_IMAGES, n=len(x_train)))
    xte, yte = _pair(_step("preprocess", module.preprocess, x_test.copy(), y_test.copy()), len(x_test),
                     message(ON_TEST_IMAGES, n=len(x_test)))
    report("building the model with your build_model()", force=True)
    model = _step("build_model", module.build_model)
    if not isinstance(model, keras.Model):
        raise _problem("build_model", message(NOT_A_KERAS_MODEL, got=_describe_value(model)))
    fits: list = []
    _attach_progress(model, _progress_callback(report, fits))
    kwargs = {} if epochs is None else {"epochs": int(epochs)}
    report("training with your train()", force=True)
    t0 = time.monotonic()
    history = _step("train", module.train, model, xtr, ytr, xte, yte, **kwargs)
    seconds = time.monotonic() - t0
    history_type, history_values = _plain_history(history)
    report("saving the trained model", force=True)
    probe_pred = _step("model.predict", lambda: np.asarray(model.predict(probe, verbose=0)))
    path = os.path.join(out_dir, "trained.keras")
    _step("model.save", model.save, path)
    return {
        "status": "ok",
        "history_type": history_type,
        "history": history_values,
        "fits": fits,
        "train_seconds": round(seconds, 2),
        "probe_pred": probe_pred,
        "model_path": path,
        "n_train": int(len(x_train)),
        "epochs_requested": epochs,
    }
