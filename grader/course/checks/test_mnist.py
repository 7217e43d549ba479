"""Checks for the ``mnist`` topic: preprocessing, the course network, training on real MNIST.

Trust boundary: the student's code runs in the worker, which only reports plain data and
writes a ``.keras`` file (grader/course/mnist_driver.py). Parameter counts, layer comparisons,
test accuracy and the round trip are computed here, in the grader process, with the grader's
own Keras (grader/course/mnist_verify.py). One training run (a module-scoped fixture) feeds the
accuracy, history, held-out-data and round-trip checks.

Held-out data: the worker gets a private copy of the first 55,000 training images (``x_train``)
and the last 5,000 (``x_val``) only; the 10,000 test images never reach student code, and the
test accuracy is measured here. Training is seeded from the run's seed (and TF's op
determinism is on), so the same submission graded with the same seed gets the same accuracy.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from grader import i18n
from grader.compare import as_array, assert_allclose, describe_value
from grader.course import mnist_verify as mv
from grader.course.misconceptions import named
from grader.course.misconceptions.mnist import TRAIN_ON_VALIDATION
from grader.course.mnist_data import locate_mnist, read_npz
from grader.errors import CheckFailed, NotAttempted, StudentRaised
from grader.i18n import N_, _, t

SHIPPED = "mnist_model.keras"
N_FIT = 55_000  # train() gets the first 55,000 training images; the last 5,000 are x_val
PROBE_N = 256  # validation images whose predictions are compared across the save/load round trip
SHORT_RUN = (2048, 2, 1024)  # (training images, epochs, validation images) of the short run
SHORT_BATCH = 256  # the short run's batch_size: not train()'s default 128
# Training reproducible: set_random_seed(seed) before the student's code, plus TF's op determinism
# (benchmarks/mnist_determinism.py: no measurable cost on CPU).
DETERMINISTIC = True
LOAD_MARGIN = 60.0  # seconds on top of the training budget: loading data, preprocessing, saving
SUMMARY_SHIPPED = N_("test accuracy {accuracy} on 10,000 images (shipped model; threshold {threshold})")
SUMMARY_TRAINED = N_("test accuracy {accuracy} on 10,000 images (trained model; threshold {threshold})")


def _expected(keras, x, y, num_classes=10):
    """The course's preprocessing, computed here: reshape, float32 / 255, to_categorical."""
    xe = np.asarray(x).reshape(len(x), -1).astype(np.float32) / np.float32(255)
    ye = keras.utils.to_categorical(np.asarray(y), num_classes).astype(np.float32)
    return xe, ye


def _pair(got, n, num_classes=10):
    if not isinstance(got, tuple) or len(got) != 2:
        if isinstance(got, list) and len(got) == 2:
            got = tuple(got)
        else:
            raise CheckFailed(
                t("preprocess(x, y) should return a pair (x_out, y_out), but returned {got}", got=describe_value(got))
            )
    x_out = as_array(got[0], name=_("preprocess(x, y)[0] (the images)"), shape=(n, 784))
    y_out = as_array(got[1], name=_("preprocess(x, y)[1] (the one-hot labels)"), shape=(n, num_classes))
    return got, x_out, y_out


@pytest.fixture(scope="module")
def mnist(grader_settings, keras):
    """The validated data set (already located by the runner, so this does not download).

    Requests ``keras`` so that the grader imports TensorFlow while the worker is still
    importing it (two cores: the imports overlap instead of adding up).
    """
    if not (Path(grader_settings.submission) / "mnist.py").exists():
        raise NotAttempted(_("mnist.py is not in the submission"))
    path = locate_mnist(grader_settings.mnist)
    (x_train, y_train), (x_test, y_test) = read_npz(path)
    return SimpleNamespace(
        path=str(path),
        x_train=x_train[:N_FIT],
        y_train=y_train[:N_FIT],
        x_val=x_train[N_FIT:],
        y_val=y_train[N_FIT:],
        x_test=x_test,
        y_test=y_test,
    )


# ---------------------------------------------------------------------------- preprocess


@pytest.mark.about("preprocess")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the dtype of both arrays you hand back: dividing a uint8 array by 255 gives float64 unless "
    "you convert first, and keras.utils.to_categorical also gives float64 in this Keras. The shapes "
    "are (n, 784) and (n, 10)."
)
def test_preprocess_returns_float32_arrays_of_the_right_shapes(student, mnist, rng):
    """preprocess returns float32 arrays of shapes (n, 784) and (n, 10)"""
    idx = np.sort(rng.choice(len(mnist.x_train), size=500, replace=False))
    got, _x, _y = _pair(student.call_pure("preprocess", mnist.x_train[idx], mnist.y_train[idx]), 500)
    for name, arr in ((_("images"), got[0]), (_("labels"), got[1])):
        assert arr.dtype == np.float32, t(
            "preprocess returned the {what} as {dtype}; expected float32 (Keras' default)", what=name, dtype=arr.dtype
        )


@pytest.mark.about("preprocess")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the range and layout of your images: every pixel in [0, 1], each 28x28 image flattened row "
    "by row into 784 values. Check that each label row is one-hot, with its 1 at the label's index."
)
def test_preprocess_matches_keras_on_real_images(student, keras, mnist, rng):
    """preprocess of real MNIST images and labels matches the course's reshape, /255 and to_categorical"""
    idx = np.sort(rng.choice(len(mnist.x_train), size=2000, replace=False))
    for x, y, where in (
        (mnist.x_train[idx], mnist.y_train[idx], _("2,000 training images")),
        (mnist.x_val[:500], mnist.y_val[:500], _("500 validation images")),
    ):
        xe, ye = _expected(keras, x, y)
        _got, x_out, y_out = _pair(student.call_pure("preprocess", x, y), len(x))
        if x_out.max() > 1.0 + 1e-6:
            raise CheckFailed(
                t(
                    "preprocess on {where} returned pixel values up to {max}; scale them from 0..255 to "
                    "[0, 1] by dividing by 255",
                    where=where,
                    max=format(x_out.max(), "g"),
                )
            )
        # x/255 in float32 vs x*(1/255) or float64: a few float32 ulps of numbers <= 1.
        assert_allclose(
            x_out, xe, rtol=1e-6, atol=1e-6, name=t("{call} on {where}", call="preprocess(x, y)[0]", where=where)
        )
        assert_allclose(
            y_out, ye, rtol=0, atol=1e-6, name=t("{call} on {where}", call="preprocess(x, y)[1]", where=where)
        )


@pytest.mark.about("preprocess")
@pytest.mark.points(2)
@pytest.mark.hint(
    "This check uses batches of 1, 37, 256 and 50 images and num_classes = 12: check that nothing is "
    "hard-coded to 60,000 images or to 10 classes."
)
def test_preprocess_matches_keras_on_random_data(student, keras, rng):
    """preprocess matches Keras on random images of any batch size (1 included) and on num_classes"""
    cases = [(1, 10, np.uint8), (37, 10, np.int64), (256, 10, np.uint8), (50, 12, np.int32)]
    for n, k, ydtype in cases:
        x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, k, size=n).astype(ydtype)
        y[0] = k - 1
        xe, ye = _expected(keras, x, y, k)
        kwargs = {} if k == 10 else {"num_classes": k}
        args = f"preprocess(x, y{f', num_classes={k}' if kwargs else ''})"
        call = t("{call} with n={n}", call=args, n=n)
        got = student.call_pure("preprocess", x, y, **kwargs)
        _got, x_out, y_out = _pair(got, n, k)
        assert_allclose(x_out, xe, rtol=1e-6, atol=1e-6, name=t("{call}: images", call=call))
        assert_allclose(y_out, ye, rtol=0, atol=1e-6, name=t("{call}: labels", call=call))


# --------------------------------------------------------------------------- build_model


@pytest.fixture(scope="module")
def built(student, keras):
    """build_model() described in the worker, rebuilt here; the rebuild error is kept for the checks."""
    desc = student.describe("build_model", "grader.course.mnist_driver:describe_model", timeout=120)
    try:
        return SimpleNamespace(desc=desc, model=mv.rebuild(desc, keras), error=None)
    except CheckFailed as exc:
        return SimpleNamespace(desc=desc, model=None, error=exc)


def _yours_and_course(ops) -> str:
    """The student's and the course's layer sequences, one per line (layer names stay as in Keras)."""
    return t(
        "  yours:  {yours}\n  course: {course}", yours=mv.sequence_text(ops), course=mv.sequence_text(mv.COURSE_OPS)
    )


def _rebuilt(built):
    if built.error is not None:
        raise built.error
    return built.model


@pytest.mark.about("build_model")
@pytest.mark.points(3)
@pytest.mark.hint(
    "Compare the counts in the message with the course's, layer by layer (model.summary() lists "
    "them): a Dense layer has one weight per input-output pair plus one bias per unit, "
    "BatchNormalization 2 trainable and 2 non-trainable values per feature."
)
def test_build_model_has_the_course_parameter_count(built, keras):
    """the model has 671,754 parameters: 670,730 trainable and 1,024 non-trainable"""
    model = _rebuilt(built)
    total, trainable, frozen = mv.param_counts(model)
    if (total, trainable, frozen) != mv.COURSE_PARAMS:
        ops = mv.canonical_ops(model, keras)
        raise CheckFailed(
            t(
                "build_model()'s network has {total} parameters ({trainable} trainable, {frozen} non-trainable); "
                "the course network has 671,754 (670,730 trainable, 1,024 non-trainable).",
                total=format(total, ","),
                trainable=format(trainable, ","),
                frozen=format(frozen, ","),
            )
            + "\n"
            + _yours_and_course(ops),
            {"kind": "params", "got": [total, trainable, frozen], "expected": list(mv.COURSE_PARAMS)},
        )


@pytest.mark.about("build_model")
@pytest.mark.points(3)
@pytest.mark.hint(
    "The message names the first layer that differs from the course network: compare your model with "
    "the build_model docstring at that position (layer type, activation, dropout rate, which Dense "
    "layer carries the L2 regularizer)."
)
def test_build_model_layers_match_the_course_network(built, keras):
    """layer order and types, dropout rates, the L2 factor and the softmax output match the course network"""
    model = _rebuilt(built)
    ops = mv.canonical_ops(model, keras)
    diff = mv.first_difference(ops, model.input_shape)
    if diff:
        raise CheckFailed(
            t("build_model() differs from the course network: {difference}.", difference=diff)
            + "\n"
            + _yours_and_course(ops)
        )


@pytest.mark.about("build_model")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check the three compile settings, the loss, the optimizer and the metrics, against the names the "
    "build_model docstring gives; the message says which one differs."
)
def test_build_model_is_compiled_like_the_course(built):
    """the model is compiled with categorical cross-entropy, Adam and the accuracy metric"""
    if isinstance(built.desc, dict) and built.desc.get("kind") == "model":
        problem = mv.compile_problem(built.desc)
    else:
        _rebuilt(built)  # raises the explanation (not a model...)
        problem = _("build_model() did not return a model")
    assert problem is None, problem


# --------------------------------------------------------------------------------- train


def training_seed(seed: int) -> int:
    """The seed TF/Keras get in the worker, derived from the run's seed (replayable with --seed)."""
    return zlib.crc32(f"{seed}:mnist".encode())


class _Run:
    """One training run in the worker. The worker runs it while the grader goes on (a shipped model
    is evaluated meanwhile); ``reply`` and ``error`` wait for it on first use."""

    def __init__(self, student, folder, probe, budget, kwargs, shipped=None):
        self.student, self.folder, self.probe, self.budget, self.kwargs = student, folder, probe, budget, kwargs
        self.shipped = shipped
        self._pending = None
        self._reply, self._error = None, None
        self._settled = False

    def start(self, mnist, seed, *, n_train, n_val):
        """Send the run to the worker. It reads a private ``.npz`` holding only what ``train()``
        needs (training and validation images, never the test set), and saves into a folder of its
        own scratch; :meth:`wait` copies the model out by name (never by a path the worker sent)."""
        try:
            data = self.student.provide(
                "mnist-train.npz",
                {
                    "x_train": mnist.x_train[:n_train],
                    "y_train": mnist.y_train[:n_train],
                    "x_val": mnist.x_val[:n_val],
                    "y_val": mnist.y_val[:n_val],
                },
            )
            self._pending = self.student.start_drive(
                "grader.course.mnist_driver:train_and_save",
                timeout=self.budget + LOAD_MARGIN,
                what="training",
                data=data,
                out_dir=self.student.outbox(),
                probe=self.probe,
                seed=training_seed(seed),
                deterministic=DETERMINISTIC,
                epochs=self.kwargs.get("epochs"),
                batch_size=self.kwargs.get("batch_size"),
            )
        except (StudentRaised, NotAttempted, Exception) as exc:  # noqa: BLE001 - kept: the shipped model is still evaluated
            self._error, self._settled = exc, True
        return self

    def wait(self):
        if self._settled:
            return
        self._settled = True
        try:
            self._reply = self._pending.value()
        except (StudentRaised, NotAttempted, Exception) as exc:  # noqa: BLE001 - reported by the checks that need it
            self._error = exc
            return
        with contextlib.suppress(OSError):  # no model file: the checks that need it say so
            self.student.collect("trained.keras", self.folder / "trained.keras")

    @property
    def reply(self):
        self.wait()
        return self._reply

    @property
    def error(self):
        self.wait()
        return self._error

    def close(self):
        if not self._settled and self._pending is not None:
            self._pending.cancel()  # no check is left that reads it
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def run(student, keras, mnist, grader_settings, seed):
    """One run of the student's pipeline: the full training, or a short one when a model is shipped.

    The short run passes non-default ``epochs`` and ``batch_size`` (SHORT_RUN, SHORT_BATCH), so it
    also serves the arguments check; the probe batch is validation images preprocessed here.
    """
    settings = grader_settings
    folder = Path(tempfile.mkdtemp(prefix="grader-mnist-"))
    shipped_src = Path(settings.submission) / SHIPPED
    shipped = None
    if shipped_src.is_file():
        shipped = folder / SHIPPED
        shutil.copyfile(shipped_src, shipped)  # the grader's own copy: the worker never sees it
    probe, _labels = _expected(keras, mnist.x_val[:PROBE_N], mnist.y_val[:PROBE_N])
    if shipped is None:
        kwargs, budget, sizes = {"epochs": settings.mnist_epochs}, settings.mnist_time_budget, (None, None)
    else:
        kwargs = {"epochs": SHORT_RUN[1], "batch_size": SHORT_BATCH}
        budget, sizes = min(settings.mnist_time_budget, 120.0), (SHORT_RUN[0], SHORT_RUN[2])
    training = _Run(student, folder, probe, budget, kwargs, shipped)
    yield training.start(mnist, seed, n_train=sizes[0], n_val=sizes[1])
    training.close()


@pytest.fixture(scope="module")
def short_run(run, student, mnist, grader_settings, seed):
    """A run with non-default ``epochs`` and ``batch_size``: the shipped model's short run, or an
    extra short one on 2,048 images (a few seconds) after the full training."""
    if run.shipped is not None:
        yield run
        return
    run.wait()  # the worker takes one call at a time
    folder = Path(tempfile.mkdtemp(prefix="grader-mnist-args-"))
    kwargs = {"epochs": SHORT_RUN[1], "batch_size": SHORT_BATCH}
    budget = min(grader_settings.mnist_time_budget, 120.0)
    extra = _Run(student, folder, run.probe, budget, kwargs)
    yield extra.start(mnist, seed, n_train=SHORT_RUN[0], n_val=SHORT_RUN[2])
    extra.close()


def _ok(run) -> dict:
    """The worker's reply, or the student-facing reason it has none."""
    if run.error is not None:
        raise run.error
    r = run.reply
    if not isinstance(r, dict):
        raise CheckFailed(_("the training run returned nothing readable"))
    status, step = r.get("status"), r.get("step", "")
    if status == "ok":
        return r
    if status in ("not_implemented", "missing"):
        raise NotAttempted(
            t("{step} still raises NotImplementedError", step=step) if status == "not_implemented" else r["message"]
        )
    if status == "raised":
        where = t(" (at {file}, line {line})", file=r["file"], line=r.get("line")) if r.get("file") else ""
        raise StudentRaised(
            t(
                "while training: {call} raised {type}: {message}{where}",
                call=str(step) + "()",
                type=r.get("type"),
                message=r.get("message"),
                where=where,
            )
        )
    raise CheckFailed(t("while training: {message}", message=r.get("message")))


def _trained_model(run, keras):
    _ok(run)  # raises when the training run did not give a model
    return mv.load_keras_file(str(run.folder / "trained.keras"), keras, _("the model saved after train()"))


@pytest.mark.about("train")
@pytest.mark.points(6)
@pytest.mark.hint(
    "If the accuracy is far below the threshold, check the earlier functions first (preprocess's "
    "scaling, the layers, the softmax output), then that train() fits on all of x_train. The HTML "
    "report's confusion matrix shows which digits get mixed up."
)
def test_train_reaches_the_test_accuracy_threshold(run, keras, mnist, grader_settings, check_details):
    """the trained model (or the shipped mnist_model.keras) reaches the test-accuracy threshold"""
    threshold = float(grader_settings.mnist_threshold)
    if run.shipped is not None:
        what = t("the shipped {file}", file=SHIPPED)
        model = mv.load_keras_file(str(run.shipped), keras, what)
        problem = mv.shape_problem(model, what) or mv.architecture_problem(model, keras, what)
        if problem:
            raise CheckFailed(problem)
        source = "shipped"
    else:
        model = _trained_model(run, keras)
        what = _("the trained model")
        problem = mv.shape_problem(model, what)
        if problem:
            raise CheckFailed(problem)
        source = "trained"
    x_test, _labels = _expected(keras, mnist.x_test, mnist.y_test)
    probs = np.asarray(model.predict(x_test, batch_size=1000, verbose=0))
    pred = probs.argmax(axis=1)
    truth = mnist.y_test.astype(np.int64)
    accuracy = float(np.mean(pred == truth))
    cm = np.zeros((10, 10), dtype=np.int64)
    np.add.at(cm, (truth, pred), 1)
    wrong = np.flatnonzero(pred != truth)[:24]
    summary_id = SUMMARY_SHIPPED if source == "shipped" else SUMMARY_TRAINED
    check_details.update(
        summary=t(summary_id, accuracy=format(accuracy, ".4f"), threshold=format(threshold, "g")),
        accuracy=accuracy,
        threshold=threshold,
        source=source,
        confusion_matrix=cm.tolist(),
    )
    lang = i18n.current()  # the charts are labelled in the report's language (if a font can draw it)
    images = [{"title": _("Confusion matrix"), "png_base64": mv.confusion_png(cm, lang)}]
    if len(wrong):
        images.append(
            {
                "title": _("Misclassified test digits"),
                "png_base64": mv.misclassified_png(mnist.x_test[wrong], truth[wrong], pred[wrong], lang),
            }
        )
    check_details["images"] = images
    if accuracy < threshold:
        raise CheckFailed(
            t(
                "{what} reaches a test accuracy of {accuracy}; at least {threshold} is required "
                "({wrong} of 10,000 test images misclassified)",
                what=what,
                accuracy=format(accuracy, ".4f"),
                threshold=format(threshold, "g"),
                wrong=len(np.flatnonzero(pred != truth)),
            ),
        )


def _verify_history(run, check_details=None):
    """The History of ``run`` has the four series, one finite value per requested epoch, and fit ran
    the number of batches the requested (or default) batch size gives; returns the run's reply."""
    r = _ok(run)
    hist = r.get("history") or {}
    if hist and check_details is not None:
        keys = [k for k in ("loss", "val_loss", "accuracy", "val_accuracy") if hist.get(k)]
        if keys:
            check_details["images"] = [
                {"title": _("Training curves"), "png_base64": mv.curves_png(hist, i18n.current())}
            ]
    if r.get("history_type") != "History" or r.get("history") is None:
        raise CheckFailed(
            t(
                "train() returned {type}; return the History object that model.fit(...) returns",
                type=r.get("history_type"),
            )
        )
    requested, batch_size = run.kwargs.get("epochs"), run.kwargs.get("batch_size")
    epochs = requested if requested is not None else 4
    missing = [k for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k not in hist]
    if missing:
        hint = _(" (pass validation_data=(x_val, y_val) to fit)") if any(k.startswith("val_") for k in missing) else ""
        raise CheckFailed(
            t(
                "the History has no {missing}{hint}; it holds {keys}",
                missing=", ".join(missing),
                hint=hint,
                keys=sorted(hist) or _("nothing"),
            )
        )
    lengths = {k: len(hist[k]) for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
    called = f"train(..., epochs={requested})" if requested is not None else _("train() with its default epochs")
    if set(lengths.values()) != {epochs}:
        raise CheckFailed(
            t(
                "{called} should run {epochs} epochs, but the History holds {lengths}",
                called=called,
                epochs=epochs,
                lengths=lengths,
            )
        )
    bad = [k for k, v in hist.items() if k in lengths and not all(math.isfinite(x) for x in v)]
    if bad:
        raise CheckFailed(
            t("the History has NaN or infinite values in {keys}: the training diverged", keys=", ".join(bad))
        )
    fits = r.get("fits") or []
    n = r.get("n_train") or N_FIT
    expected = math.ceil(n / (batch_size or 128))
    if fits and fits[0].get("steps") not in (None, expected):
        if batch_size is None:
            raise CheckFailed(
                t(
                    "model.fit ran {steps} batches per epoch on {n} images; with the default "
                    "batch_size=128 that should be {expected}",
                    steps=fits[0]["steps"],
                    n=n,
                    expected=expected,
                )
            )
        raise CheckFailed(
            t(
                "train(..., batch_size={batch_size}): model.fit ran {steps} batches per epoch on {n} "
                "images, that should be {expected}: pass batch_size on to fit",
                batch_size=batch_size,
                steps=fits[0]["steps"],
                n=n,
                expected=expected,
            )
        )
    return r, epochs, n


@pytest.mark.about("train")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check what train() hands back: the History object model.fit gives, holding loss, accuracy, "
    "val_loss and val_accuracy for every epoch. The val_ series appear only when fit gets validation "
    "data."
)
def test_train_returns_the_per_epoch_history(run, grader_settings, check_details):
    """train returns the History of fit with loss and accuracy for train and validation, one value per epoch"""
    r, epochs, n = _verify_history(run, check_details)
    check_details["summary"] = t(
        "{epochs} epochs on {n} images in {seconds} s; final val_accuracy {accuracy}",
        epochs=epochs,
        n=format(n, ","),
        seconds=r.get("train_seconds"),
        accuracy=format(r["history"]["val_accuracy"][-1], ".4f"),
    )


@pytest.mark.about("train")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls train(..., epochs=2, batch_size=256) and counts the batches per epoch: check "
    "that both arguments reach model.fit instead of fixed values."
)
def test_train_uses_epochs_and_batch_size(short_run):
    """train(..., epochs=2, batch_size=256) on 2,048 images runs 2 epochs of 8 batches"""
    _verify_history(short_run)


@pytest.mark.about("train")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the data you train on: only x_train and y_train. (x_val, y_val) may serve only as "
    "validation data, never be added to the training set."
)
def test_train_keeps_the_validation_images_held_out(run):
    """train fits on x_train only: none of the validation images is in the data it trains on"""
    r = _ok(run)
    fits, batches = r.get("fits") or [], r.get("train_on_batch") or {}
    n_val = int(r.get("n_val") or 0)
    seen = max([int(f.get("val_rows") or 0) for f in fits] + [int(batches.get("val_rows") or 0)])
    # A copied image is found exactly (mnist_driver._RowPrints); honest training data holds none of
    # the validation images, so 1 % of them is far beyond chance and any real leak is far above it.
    if n_val and seen >= max(1, n_val // 100):
        message, details = named(
            TRAIN_ON_VALIDATION,
            t(
                "{seen} of the {n} validation images were in the data train() trained on; they must only be "
                "passed as validation_data",
                seen=format(seen, ","),
                n=format(n_val, ","),
            ),
        )
        raise CheckFailed(message, {**details, "validation_images_trained_on": seen})


@pytest.mark.about("train")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check what your model is made of: built-in keras.layers survive model.save and "
    "keras.models.load_model unchanged, while custom classes or Lambda layers may not reload to the "
    "same predictions."
)
def test_trained_model_survives_save_and_load(run, keras):
    """the trained model saved as .keras and loaded again predicts exactly what it predicted before"""
    r = _ok(run)
    model = _trained_model(run, keras)
    before = r.get("probe_pred")
    before = as_array(before, name=_("the trained model's predictions before saving"), shape=(PROBE_N, 10))
    after = np.asarray(model.predict(run.probe, verbose=0), dtype=np.float64)
    # Same weights and the same float32 kernels in both processes: equal up to float32 rounding.
    assert_allclose(
        after, before, rtol=1e-5, atol=1e-6, name=_("predictions of the reloaded model (vs. the model before saving)")
    )
