"""The mnist topic end to end on the real data (/work/shared/data/mnist.npz, never skipped).

Cost control (CI budget for all mnist tests: < 8 minutes on 2 cores): exactly one test runs
the full course training (4 epochs on the 55,000 training images) through the grader, and one
runs three one-epoch trainings (the same seed twice, another once) for reproducibility. Tests about
preprocess/build_model mistakes, corrupt files and eval-only grading ship a trained
``mnist_model.keras`` instead; that model is trained once here for ONE epoch (about 0.965
test accuracy), so those tests lower the threshold to 0.9 with ``mnist_threshold`` —
reaching the default threshold (0.965) is not their point.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time

import numpy as np
import pytest

from grader.course.misconceptions import by_key
from grader.errors import UsageError
from grader.i18n import catalog
from tests.conftest import EXERCISES, MNIST_NPZ, SOLUTIONS, grade_dir, grade_source
from tests.mutants import Mutant
from tests.mutants.mnist import MUTANTS, SHIPPED_MUTANTS

NPZ = str(MNIST_NPZ)
QUICK = {"mnist": NPZ, "mnist_threshold": 0.9}  # with a 1-epoch shipped model (see the module docstring)


def _by_name(topic_result):
    return {c.name.split("[")[0]: c for c in topic_result.checks}


def _no_internal_errors(topic_result):
    bad = [f"{c.name}: {c.message}" for c in topic_result.checks if c.internal_error]
    assert not bad, bad


def _solution_module():
    spec = importlib.util.spec_from_file_location("_mnist_solution", SOLUTIONS / "mnist.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def trained_keras(tmp_path_factory):
    """A course network trained for one epoch by the reference solution, saved as .keras."""
    import keras

    sol = _solution_module()
    with np.load(MNIST_NPZ) as f:
        xtr, ytr = f["x_train"], f["y_train"]
    keras.utils.set_random_seed(7)
    model = sol.build_model()
    model.fit(*sol.preprocess(xtr, ytr), batch_size=128, epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("trained") / "mnist_model.keras"
    model.save(path)
    return path


def _submission(tmp_path, source: str, model_file=None, data: bytes | None = None):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mnist.py").write_text(source, encoding="utf-8")
    if model_file is not None:
        shutil.copyfile(model_file, sub / "mnist_model.keras")
    if data is not None:
        (sub / "mnist_model.keras").write_bytes(data)
    return sub


# ------------------------------------------------------------------ full training (slow)


def test_reference_trains_to_full_marks_with_progress_events(tmp_path):
    """The one full training run of the suite: 4 epochs, batch 128, the default threshold."""
    from grader.config import Settings
    from grader.core.runner import run

    events = []
    started = time.monotonic()
    result = run(
        Settings(submission=SOLUTIONS, topics=("mnist",), seed=3, mnist=NPZ),
        on_progress=lambda topic, ev: events.append((topic, ev)),
    )
    (topic,) = result.topics
    bad = [f"{c.name}: {c.status}: {c.message}" for c in topic.checks if c.status != "passed"]
    assert not bad, "\n".join(bad)
    checks = _by_name(topic)
    acc = checks["test_train_reaches_the_test_accuracy_threshold"]
    assert (
        acc.details["source"] == "trained" and acc.details["accuracy"] >= Settings(submission=SOLUTIONS).mnist_threshold
    )
    assert "test accuracy" in acc.details["summary"]
    assert {i["title"] for i in acc.details["images"]} >= {"Confusion matrix"}
    assert checks["test_train_returns_the_per_epoch_history"].details["images"][0]["title"] == "Training curves"
    messages = [ev.get("message", "") for t, ev in events if t == "mnist"]
    assert any("epoch 4/4" in m and "ETA" in m for m in messages), messages[-5:]
    print(f"train-and-grade: {time.monotonic() - started:.1f} s, accuracy {acc.details['accuracy']:.4f}")


# --------------------------------------------------------------------- fast grader runs


def test_stub_is_not_attempted():
    (topic,) = grade_dir(EXERCISES, ("mnist",), mnist=NPZ).topics
    assert topic.score == 0
    assert all(c.status == "not_attempted" for c in topic.checks), [(c.name, c.status) for c in topic.checks]
    assert topic.status == "not_attempted"


def test_shipped_model_is_evaluated_instead_of_training(tmp_path, trained_keras):
    sub = _submission(tmp_path, (SOLUTIONS / "mnist.py").read_text(), model_file=trained_keras)
    (topic,) = grade_dir(sub, ("mnist",), **QUICK).topics
    bad = [f"{c.name}: {c.status}: {c.message}" for c in topic.checks if c.status != "passed"]
    assert not bad, "\n".join(bad)
    acc = _by_name(topic)["test_train_reaches_the_test_accuracy_threshold"]
    assert acc.details["source"] == "shipped" and 0.9 <= acc.details["accuracy"] < 1
    # No full training: train() only ran the short check run.
    assert "2 epochs on 2,048 images" in _by_name(topic)["test_train_returns_the_per_epoch_history"].details["summary"]


def test_undertrained_model_is_below_the_threshold(tmp_path):
    """train() that fits 500 samples for 1 epoch: the accuracy check fails and names the accuracy."""
    (m,) = [m for m in MUTANTS if m.name.startswith("fits on 500 samples")]
    topic = grade_source(tmp_path, "mnist", m.apply((SOLUTIONS / "mnist.py").read_text()), mnist=NPZ)
    _no_internal_errors(topic)
    checks = _by_name(topic)
    acc = checks["test_train_reaches_the_test_accuracy_threshold"]
    assert acc.status == "failed"
    assert "reaches a test accuracy of 0." in acc.message and "at least 0.965" in acc.message
    assert acc.details["accuracy"] < 0.965
    for name in ("test_preprocess_matches_keras_on_real_images", "test_build_model_has_the_course_parameter_count"):
        assert checks[name].status == "passed"


def test_corrupt_shipped_model_gives_a_clear_message(tmp_path):
    sub = _submission(tmp_path, (SOLUTIONS / "mnist.py").read_text(), data=b"PK\x03\x04 not really a zip" * 20)
    (topic,) = grade_dir(sub, ("mnist",), **QUICK).topics
    _no_internal_errors(topic)
    acc = _by_name(topic)["test_train_reaches_the_test_accuracy_threshold"]
    assert acc.status == "failed"
    assert "mnist_model.keras is not a readable .keras model file" in acc.message
    assert _by_name(topic)["test_build_model_has_the_course_parameter_count"].status == "passed"


def test_shipped_model_with_the_wrong_input_shape_gives_a_clear_message(tmp_path):
    import keras

    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )
    path = tmp_path / "wrong.keras"
    model.save(path)
    sub = _submission(tmp_path, (SOLUTIONS / "mnist.py").read_text(), model_file=path)
    (topic,) = grade_dir(sub, ("mnist",), **QUICK).topics
    _no_internal_errors(topic)
    acc = _by_name(topic)["test_train_reaches_the_test_accuracy_threshold"]
    assert acc.status == "failed"
    assert "expects inputs of shape (None, 28, 28)" in acc.message and "(None, 784)" in acc.message


def test_shipped_model_that_is_not_the_course_network_fails(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    path = tmp_path / "small.keras"
    model.save(path)
    sub = _submission(tmp_path, (SOLUTIONS / "mnist.py").read_text(), model_file=path)
    (topic,) = grade_dir(sub, ("mnist",), **QUICK).topics
    _no_internal_errors(topic)
    acc = _by_name(topic)["test_train_reaches_the_test_accuracy_threshold"]
    assert acc.status == "failed" and "is not the course network" in acc.message


@pytest.mark.parametrize("mutant", SHIPPED_MUTANTS, ids=[f"{m.function}-{m.name}" for m in SHIPPED_MUTANTS])
def test_shipped_mutant_loses_points(tmp_path, trained_keras, mutant: Mutant):
    sub = _submission(tmp_path, mutant.apply((SOLUTIONS / "mnist.py").read_text()), model_file=trained_keras)
    (topic,) = grade_dir(sub, ("mnist",), **QUICK).topics
    _no_internal_errors(topic)
    about = [c for c in topic.checks if c.function == mutant.function]
    failing = [c for c in about if c.status != "passed"]
    assert failing, f"mutant {mutant.name!r} passed every check about {mutant.function}"
    checks = _by_name(topic)
    if mutant.name == "no BatchNormalization":
        msg = checks["test_build_model_has_the_course_parameter_count"].message
        assert (
            "the course network has 671,754" in msg
            and checks["test_build_model_has_the_course_parameter_count"].status == "failed"
        )
    if mutant.name.startswith("dropout 0.5"):
        assert (
            "Dropout(0.2), yours has Dropout(0.5)" in checks["test_build_model_layers_match_the_course_network"].message
        )
    if mutant.name.startswith("images not scaled"):
        assert "scale them" in checks["test_preprocess_matches_keras_on_real_images"].message
    if mutant.detects:  # named, in English and in Chinese
        found = by_key(mutant.detects)
        named = [c for c in failing if c.details.get("misconception") == mutant.detects]
        assert named and "known mistake" in named[0].message and found.name in named[0].message, [
            c.message for c in failing
        ]
        zh = _by_name(grade_dir(sub, ("mnist",), lang="zh", **QUICK).topics[0])[named[0].name.split("[")[0]]
        assert catalog("zh")[found.name] in zh.message and catalog("zh")[found.fix] in zh.message, zh.message


# ------------------------------------------------------------------------ missing data


@pytest.mark.parametrize("problem", ["missing", "not_npz", "wrong_labels"])
def test_bad_mnist_data_stops_the_run_with_exit_2(tmp_path, capsys, problem):
    from grader.cli import main

    path = tmp_path / "mnist.npz"
    if problem == "not_npz":
        path.write_bytes(b"not an npz file")
    elif problem == "wrong_labels":
        np.savez(
            path,
            x_train=np.zeros((60000, 28, 28), np.uint8),
            y_train=np.full(60000, 11, np.uint8),
            x_test=np.zeros((10000, 28, 28), np.uint8),
            y_test=np.zeros(10000, np.uint8),
        )
    code = main(["run", "mnist", "--submission", str(SOLUTIONS), "--mnist", str(path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--mnist" in err and "GRADER_MNIST" in err and ".keras/datasets/mnist.npz" in err
    assert not (tmp_path / "out" / "results.json").exists()


def test_missing_data_when_grading_all_topics_spares_the_others(tmp_path, monkeypatch):
    """No data and no explicit request: MNIST is "not graded" (left out of the score), the rest graded."""
    monkeypatch.delenv("GRADER_MNIST", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setattr("keras.datasets.mnist.load_data", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in ("activations.py", "mnist.py"):
        (sub / name).write_text((SOLUTIONS / name).read_text())
    result = grade_dir(sub, ())
    topics = {t.topic: t for t in result.topics}
    assert topics["activations"].score == topics["activations"].max_score
    mn = topics["mnist"]
    # A missing data set is the machine's problem: no check runs, nothing counts, and the message
    # gives the three ways to provide the data; none of it is a grader bug.
    assert mn.status == "not_graded" and mn.checks == () and mn.max_score == 0
    assert "GRADER_MNIST" in mn.message and "--mnist" in mn.message and "Keras cache" in mn.message
    assert not result.internal_errors
    assert result.max_score == sum(t.max_score for t in result.topics if t.topic != "mnist")


def test_missing_data_is_not_needed_without_mnist_py(tmp_path):
    """A submission without mnist.py grades as 'not attempted' even when no data can be found."""
    sub = tmp_path / "empty"
    sub.mkdir()
    (topic,) = grade_dir(sub, ("mnist",), mnist=str(tmp_path / "nope.npz")).topics
    assert topic.status == "not_attempted" and all(c.status == "not_attempted" for c in topic.checks)


# ------------------------------------------------------------------------- the loader


def test_loader_reads_the_real_file():
    from grader.course.mnist_data import load_mnist

    (xtr, ytr), (xte, yte) = load_mnist(NPZ)
    assert xtr.shape == (60000, 28, 28) and xtr.dtype == np.uint8 and xte.shape == (10000, 28, 28)
    assert ytr[0] == 5 and yte[0] == 7 and int(xtr.sum(dtype=np.int64)) == 1_567_298_545
    assert not xtr.flags.writeable


def test_loader_order_explicit_env_cache_download(tmp_path, monkeypatch):
    import keras

    from grader.course import mnist_data

    monkeypatch.delenv("GRADER_MNIST", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    calls = []

    def offline():
        calls.append(1)
        raise OSError("offline")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(UsageError) as info:
        mnist_data.locate_mnist()
    assert calls and "load_data() failed" in info.value.message and "GRADER_MNIST" in info.value.fix
    cache = tmp_path / "kh" / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    os.symlink(MNIST_NPZ, cache)
    assert mnist_data.locate_mnist() == cache  # the Keras cache, read with np.load
    monkeypatch.setenv("GRADER_MNIST", str(tmp_path / "missing.npz"))
    with pytest.raises(UsageError, match="does not exist"):
        mnist_data.locate_mnist()  # an explicit file that is missing is an error, not a fallback
    assert mnist_data.locate_mnist(NPZ) == MNIST_NPZ.resolve()  # the explicit path wins


def test_loader_rejects_wrong_shapes_and_dtypes(tmp_path):
    from grader.course import mnist_data

    bad = tmp_path / "bad.npz"
    np.savez(
        bad,
        x_train=np.zeros((60000, 784), np.uint8),
        y_train=np.zeros(60000, np.uint8),
        x_test=np.zeros((10000, 28, 28), np.uint8),
        y_test=np.zeros(10000, np.uint8),
    )
    with pytest.raises(UsageError, match=r"x_train has shape \(60000, 784\)"):
        mnist_data.read_npz(bad)
    np.savez(
        bad,
        x_train=np.zeros((60000, 28, 28), np.float32),
        y_train=np.zeros(60000, np.uint8),
        x_test=np.zeros((10000, 28, 28), np.uint8),
        y_test=np.zeros(10000, np.uint8),
    )
    with pytest.raises(UsageError, match="dtype float32"):
        mnist_data.read_npz(bad)


# ------------------------------------------------------------- grader-side architecture


def _ops(model):
    import keras

    from grader.course import mnist_verify as mv

    return mv.first_difference(mv.canonical_ops(model, keras), model.input_shape)


def test_equivalent_spellings_of_the_course_network_are_accepted():
    import keras
    from keras import layers, regularizers

    inp = keras.Input(shape=(784,), name="pixels")
    h = layers.Dense(512, activation="relu")(inp)
    h = layers.Dropout(0.2)(h)
    h = layers.Dense(512, kernel_regularizer=regularizers.L1L2(l2=0.001))(h)
    h = layers.BatchNormalization()(h)
    h = layers.ReLU()(h)
    h = layers.Dropout(0.2)(h)
    out = layers.Dense(10, activation="softmax")(h)
    assert _ops(keras.Model(inp, out)) is None


def test_custom_layers_are_refused_before_keras_deserializes_them():
    from grader.course import mnist_verify as mv
    from grader.errors import CheckFailed

    cfg = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"layers": [{"module": "evil", "class_name": "Boom", "config": {}, "registered_name": "evil>Boom"}]},
    }
    with pytest.raises(CheckFailed, match="only built-in Keras layers"):
        mv.check_builtin_config(cfg, "the model")


# ---------------------------------------------------------------- report charts' language

HISTORY = {"loss": [0.4, 0.2], "val_loss": [0.3, 0.25], "accuracy": [0.9, 0.95], "val_accuracy": [0.92, 0.94]}


def _labels(lang):
    """Every label of the three charts drawn for ``lang``, and the font files they render with."""
    from matplotlib import font_manager

    from grader.course import mnist_verify as mv

    figures = [
        mv.curves_figure(HISTORY, lang),
        mv.confusion_figure(np.eye(10, dtype=int) * 7, lang),
        mv.misclassified_figure(np.zeros((2, 28, 28)), np.array([1, 2]), np.array([7, 3]), lang),
    ]
    texts = []
    for plt, fig in figures:
        artists = [fig._suptitle] if fig._suptitle is not None else []
        for ax in fig.axes:
            artists += [ax.title, ax.xaxis.label, ax.yaxis.label]
            if ax.get_legend() is not None:
                artists += list(ax.get_legend().get_texts())
        texts += [(a.get_text(), font_manager.findfont(a.get_fontproperties())) for a in artists if a.get_text()]
        plt.close(fig)
    return texts


def test_charts_are_labelled_in_chinese_when_a_cjk_font_exists():
    from grader.course import mnist_verify as mv

    assert mv.cjk_font(), "no font with CJK glyphs for matplotlib: apt-get install -y fonts-noto-cjk"
    zh = catalog("zh")
    texts = dict(_labels("zh"))
    for msgid in (
        "loss",
        "accuracy",
        "epoch",
        "train",
        "validation",
        "predicted digit",
        "true digit",
        "Misclassified test digits (true→predicted)",
    ):
        assert zh[msgid] in texts, (msgid, sorted(texts))
    assert zh["Confusion matrix ({n} test images)"].format(n="70") in texts
    # Drawn with the CJK font (DejaVu Sans, matplotlib's default, has no Chinese glyphs).
    assert all("CJK" in path or "Han" in path or "WenQuanYi" in path for path in texts.values()), texts


@pytest.fixture
def stale_font_cache(monkeypatch):
    """matplotlib's font list as cached before a CJK font was installed (its cache is never rescanned)."""
    import copy

    from matplotlib import font_manager

    from grader.course import mnist_verify as mv

    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name and "Han" not in f.name]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    mv.cjk_font.cache_clear()
    yield font_manager
    mv.cjk_font.cache_clear()


def test_a_cjk_font_installed_after_matplotlib_cached_its_fonts_is_found(stale_font_cache):
    import matplotlib

    from grader.course import mnist_verify as mv
    from grader.notebook import use_cjk_font

    assert not any("CJK" in f.name for f in stale_font_cache.fontManager.ttflist)
    found = mv.cjk_font()
    assert found and "CJK" in found, found
    with matplotlib.rc_context():
        assert use_cjk_font("zh") == found
        assert matplotlib.rcParams["font.sans-serif"][0] == found


def test_the_notebook_says_so_when_no_cjk_font_is_installed(stale_font_cache, monkeypatch, capsys):
    import matplotlib

    from grader.notebook import use_cjk_font

    monkeypatch.setattr(stale_font_cache, "findSystemFonts", lambda *a, **k: [])
    with matplotlib.rc_context():
        before = list(matplotlib.rcParams["font.sans-serif"])
        assert use_cjk_font("zh") is None
        assert matplotlib.rcParams["font.sans-serif"] == before
    assert "fonts-noto-cjk" in capsys.readouterr().out


def test_charts_fall_back_to_english_without_a_cjk_font(monkeypatch):
    from grader.course import mnist_verify as mv

    monkeypatch.setattr(mv, "cjk_font", lambda: None)
    for lang in ("zh", "en"):
        texts = [text for text, _path in _labels(lang)]
        assert {
            "loss",
            "accuracy",
            "epoch",
            "train",
            "validation",
            "predicted digit",
            "true digit",
            "Confusion matrix (70 test images)",
            "Misclassified test digits (true→predicted)",
        } <= set(texts)


# ------------------------------------------------------------------------- reproducible


def test_same_seed_same_accuracy_and_another_seed_another_model():
    """Training is seeded from the run's seed: the same submission and seed give the same model.

    One epoch per run (mnist_epochs=1) keeps this cheap; the accuracy check itself fails then
    (one epoch may stay below the threshold), which does not matter here.
    """

    def graded(seed):
        (topic,) = grade_dir(SOLUTIONS, ("mnist",), seed=seed, mnist=NPZ, mnist_epochs=1).topics
        _no_internal_errors(topic)
        return _by_name(topic)["test_train_reaches_the_test_accuracy_threshold"].details

    first, again, other = graded(11), graded(11), graded(12)
    assert first["accuracy"] == again["accuracy"] and first["confusion_matrix"] == again["confusion_matrix"]
    # 10,000 predictions of two differently seeded trainings never agree on every image.
    assert other["confusion_matrix"] != first["confusion_matrix"]
