"""Worker-side code of the ``mnist`` topic: runs inside the student's worker process.

Nothing computed here is trusted by the grader. The functions only sequence the student's
own functions and report *plain data* (configs as JSON text, weight shapes, the history's
numbers, predictions on a batch the grader chose) plus a ``.keras`` file; the grader process
rebuilds, loads, counts and evaluates everything itself (:mod:`grader.course.mnist_verify`).

* :func:`describe_model` — a model as plain data (for the architecture checks);
* :func:`train_and_save` — seed, then preprocess → build_model → train on the training part of
  the real data (the grader's private copy holds no test image), save the trained model,
  predict the grader's probe batch (one training run feeds every check).
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
ON_VALIDATION_IMAGES = N_("preprocess(x_val, y_val) on {n} validation images")
PAIR_SHAPES = N_("(x of shape {x_shape}, y of shape {y_shape})")
UNPRINTABLE = N_("<exception message could not be printed>")
WORKER_MESSAGES = (
    AN_ARRAY,
    A_TYPE_OF_SHAPE,
    A_TYPE_OF_LENGTH,
    A_TYPE,
    EXIT_CALLED,
    NOT_DEFINED,
    NEEDS_A_PAIR,
    WRONG_PART,
    NOT_A_KERAS_MODEL,
    ON_TRAINING_IMAGES,
    ON_VALIDATION_IMAGES,
    PAIR_SHAPES,
    UNPRINTABLE,
)


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
    out: dict[str, Any] = {
        "kind": "model",
        "class": _type_path(model),
        "compiled": bool(getattr(model, "compiled", False)),
    }
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
        layers.append(
            {
                "class": _type_path(layer),
                "name": str(layer.name),
                "weights": [[str(w.path), [int(d) for d in w.shape], bool(w.trainable)] for w in layer.weights],
            }
        )
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
        raise _Stop(
            {
                "status": "raised",
                "step": step,
                "type": "SystemExit",
                "message": message(EXIT_CALLED, code=repr(exc.code)),
                "file": "",
                "line": None,
            }
        ) from None
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
            if not fits or "steps" in fits[-1]:
                fits.append({})
            fits[-1].update(epochs=self.params.get("epochs"), steps=self.params.get("steps"), epochs_run=0)

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
            report(
                f"training: epoch {self.epoch + 1}/{epochs} · batch {batch + 1}/{steps} · ETA {eta:.0f} s",
                epoch=self.epoch + 1,
                epochs=epochs,
                batch=batch + 1,
                steps=steps,
                eta=round(eta, 1),
            )

    return ProgressCallback()


class _RowPrints:
    """Fingerprints of the validation rows, to tell whether the data a fit trains on holds them.

    Each row is reduced to one float64, its dot product with a fixed random vector: two different
    MNIST images practically never share it (neighbouring values of 5,000 rows lie ~1e-5 apart),
    a copied row always does (to ~1e-12). The plain mistakes show (fitting on
    ``concatenate([x_train, x_val])``, a second ``fit(x_val, y_val)``); nothing else about the
    student's training data is recorded.
    """

    CHUNK = 4096  # rows per float64 product: ~25 MB at a time, whatever the data's size
    TOL = 1e-9

    def __init__(self, x_val):
        import numpy as np

        self._np = np
        width = int(np.prod(np.shape(x_val)[1:]) or 1)
        self._v = np.random.default_rng(20251).normal(size=width)
        self.prints = np.sort(self._of(x_val))

    def _of(self, x):
        np = self._np
        flat = np.asarray(x).reshape(len(x), -1)
        if flat.shape[1] != self._v.size:
            return np.empty(0)
        return np.concatenate(
            [flat[i : i + self.CHUNK].astype(np.float64) @ self._v for i in range(0, len(flat), self.CHUNK)]
            or [np.empty(0)]
        )

    def overlap(self, x) -> int | None:
        """How many validation rows occur in ``x`` (None: not an array the grader can read)."""
        np = self._np
        try:
            if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
                x = x.numpy()
            if not isinstance(x, np.ndarray) or x.ndim < 2 or x.dtype.kind not in "biuf" or not len(x):
                return None
            got = np.sort(self._of(x))
            if not got.size or not self.prints.size:
                return 0
            i = np.searchsorted(got, self.prints)
            right, left = got[np.minimum(i, len(got) - 1)], got[np.maximum(i - 1, 0)]
            near = np.minimum(np.abs(right - self.prints), np.abs(left - self.prints))
            return int((near <= self.TOL * np.maximum(1.0, np.abs(self.prints))).sum())
        except Exception:  # noqa: BLE001 - the student's object, whatever it is
            return None


def _attach_progress(model, callback, fits: list, batches: dict, prints: _RowPrints) -> None:
    """Add ``callback`` to every ``model.fit`` call (``train`` has no callbacks argument) and note,
    for each fit and over all ``train_on_batch`` calls, how many validation rows the training data
    held."""
    original, on_batch = model.fit, model.train_on_batch

    def fit(*args, **kwargs):
        args = list(args)
        x = args[0] if args else kwargs.get("x")
        fits.append({"val_rows": prints.overlap(x), "n": _length(x)})
        if len(args) >= 6:  # fit(x, y, batch_size, epochs, verbose, callbacks, ...)
            args[5] = list(args[5] or []) + [callback]
        else:
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [callback]
        return original(*args, **kwargs)

    def train_on_batch(*args, **kwargs):
        x = args[0] if args else kwargs.get("x")
        batches["calls"] += 1
        batches["val_rows"] += prints.overlap(x) or 0
        return on_batch(*args, **kwargs)

    model.fit = fit
    model.train_on_batch = train_on_batch


def _length(x) -> int | None:
    try:
        return int(len(x))
    except Exception:  # noqa: BLE001
        return None


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


def train_and_save(
    module,
    progress: str | None = None,
    *,
    data: str,
    out_dir: str,
    probe,
    seed: int,
    epochs: int | None = None,
    batch_size: int | None = None,
    deterministic: bool = True,
) -> dict:
    """Seed TF/Keras, then preprocess → build_model → train on ``data``; save ``out_dir/trained.keras``.

    ``data`` is the private ``.npz`` the grader provided: ``x_train, y_train`` (the first 55,000
    training images) and ``x_val, y_val`` (the last 5,000); the test images are never in it.
    ``seed`` seeds Python, NumPy and TF (``keras.utils.set_random_seed``) before any student
    function runs and ``deterministic`` turns on TF's op determinism, so the same submission
    trained with the same seed gives the same model. ``probe`` is a float32 batch whose
    predictions by the trained model come back for the save/load round trip. ``epochs`` and
    ``batch_size`` (if given) are passed to ``train``. Returns plain data.
    """
    train_kwargs = {k: int(v) for k, v in (("epochs", epochs), ("batch_size", batch_size)) if v is not None}
    try:
        return _train_and_save(module, _Progress(progress), data, out_dir, probe, seed, train_kwargs, deterministic)
    except _Stop as stop:
        return stop.payload


def seed_everything(seed: int, deterministic: bool) -> None:
    """The same seed gives the same training: Python, NumPy and TF generators, and TF's kernels."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed) % 2**32)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def _train_and_save(module, report, data, out_dir, probe, seed, train_kwargs, deterministic) -> dict:
    import keras
    import numpy as np

    report("loading MNIST", force=True)
    with np.load(data, allow_pickle=False) as f:
        x_train, y_train, x_val, y_val = (f[k] for k in ("x_train", "y_train", "x_val", "y_val"))
    for name in ("preprocess", "build_model", "train"):
        if not callable(getattr(module, name, None)):
            raise _Stop(
                {"status": "missing", "step": name, "message": message(NOT_DEFINED, name=name, file="mnist.py")}
            )
    seed_everything(seed, deterministic)
    report("preprocessing the images with your preprocess()", force=True)
    xtr, ytr = _pair(
        _step("preprocess", module.preprocess, x_train.copy(), y_train.copy()),
        len(x_train),
        message(ON_TRAINING_IMAGES, n=len(x_train)),
    )
    xva, yva = _pair(
        _step("preprocess", module.preprocess, x_val.copy(), y_val.copy()),
        len(x_val),
        message(ON_VALIDATION_IMAGES, n=len(x_val)),
    )
    report("building the model with your build_model()", force=True)
    model = _step("build_model", module.build_model)
    if not isinstance(model, keras.Model):
        raise _problem("build_model", message(NOT_A_KERAS_MODEL, got=_describe_value(model)))
    fits: list = []
    batches = {"calls": 0, "val_rows": 0}
    _attach_progress(model, _progress_callback(report, fits), fits, batches, _RowPrints(xva))
    report("training with your train()", force=True)
    t0 = time.monotonic()
    history = _step("train", module.train, model, xtr, ytr, xva, yva, **train_kwargs)
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
        "train_on_batch": batches,
        "train_seconds": round(seconds, 2),
        "probe_pred": probe_pred,
        "model_path": path,
        "n_train": int(len(x_train)),
        "n_val": int(len(x_val)),
        "train_kwargs": train_kwargs,
    }
