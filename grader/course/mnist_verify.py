"""Grader-side verification for the ``mnist`` topic (runs in the grader process only).

The worker reports plain data (:mod:`grader.course.mnist_driver`); here the grader rebuilds the
model from that configuration or loads the ``.keras`` file itself, with Keras built-ins
only (:mod:`grader.course.keras_policy`) and ``safe_mode=True``, and does every count,
comparison and evaluation with its own Keras. Also renders the report images (matplotlib, Agg backend) as base64 PNG.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import math
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from grader import i18n
from grader.course import keras_policy
from grader.errors import CheckFailed
from grader.i18n import N_, _, t

# The course network (seed, section 5.3), as a sequence of operations.
COURSE_OPS: list[tuple] = [
    ("Dense", 512, None, True),
    ("relu",),
    ("Dropout", 0.2),
    ("Dense", 512, ("L2", 0.001), True),
    ("BatchNormalization",),
    ("relu",),
    ("Dropout", 0.2),
    ("Dense", 10, None, True),
    ("softmax",),
]
COURSE_PARAMS = (671_754, 670_730, 1_024)  # total, trainable, non-trainable


# ------------------------------------------------------------------------ configuration


def _exc_text(exc: BaseException, limit: int) -> str:
    return f"{type(exc).__name__}: {str(exc)[:limit]}"


def check_builtin_config(cfg: Any, what: str) -> str:
    """Refuse configs holding anything but Keras built-ins, before Keras deserializes them.

    The rule is :mod:`grader.course.keras_policy`'s, shared with the models topic. Returns the
    model kind ("Sequential" or "Functional").
    """
    import keras

    try:
        return keras_policy.check_model_config(cfg, keras)
    except keras_policy.Refused as exc:
        raise CheckFailed(
            t(
                "{what} uses {thing}; the course network uses only built-in Keras layers (keras.layers)",
                what=what,
                thing=exc.reason,
            ),
            {"kind": "refused"},
        ) from None


def rebuild(desc: Any, keras) -> Any:
    """The grader's own copy of the student's model, rebuilt from the reported configuration."""
    if not isinstance(desc, dict) or desc.get("kind") not in ("model", "not_a_model"):
        raise CheckFailed(_("build_model() returned something the grader could not inspect"))
    if desc["kind"] == "not_a_model":
        raise CheckFailed(
            t(
                "build_model() returned {type} ({repr}); it should return a compiled keras.Model (keras.Sequential)",
                type=desc.get("type"),
                repr=str(desc.get("repr", ""))[:80],
            )
        )
    if "config_json" not in desc:
        raise CheckFailed(
            t(
                "the model's configuration could not be read ({error}); build it from built-in keras.layers",
                error=desc.get("config_error"),
            )
        )
    try:
        cfg = json.loads(desc["config_json"])
    except (TypeError, ValueError):
        raise CheckFailed(_("the model's configuration could not be read")) from None
    check_builtin_config(cfg, _("build_model()'s model"))
    try:
        model = keras.saving.deserialize_keras_object(cfg, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - the student's config, whatever it holds
        raise CheckFailed(
            t(
                "the grader could not rebuild build_model()'s model from its configuration ({error})",
                error=_exc_text(exc, 200),
            )
        ) from None
    if not model.built or not model.weights:
        raise CheckFailed(
            _(
                "build_model()'s model has no input shape, so it has no weights yet: start it with "
                "keras.Input(shape=(784,)) (or input_shape=(784,) on the first Dense layer)"
            )
        )
    # The reported weight shapes must be the ones the configuration implies.
    reported = [(tuple(w[1]), bool(w[2])) for layer in desc.get("layers", []) for w in layer.get("weights", [])]
    rebuilt = [(tuple(int(d) for d in w.shape), bool(w.trainable)) for w in model.weights]
    if sorted(reported) != sorted(rebuilt):
        raise CheckFailed(
            t(
                "build_model()'s model has weights that do not follow from its layer configuration "
                "({got} weight arrays reported, {expected} expected); build it from built-in keras.layers "
                "without changing their weights afterwards",
                got=len(reported),
                expected=len(rebuilt),
            )
        )
    return model


def param_counts(model) -> tuple[int, int, int]:
    trainable = sum(int(np.prod(w.shape)) for w in model.weights if w.trainable)
    frozen = sum(int(np.prod(w.shape)) for w in model.weights if not w.trainable)
    return trainable + frozen, trainable, frozen


# -------------------------------------------------------------------- the course network


def _regularizer(cfg: Any):
    if cfg is None:
        return None
    if isinstance(cfg, dict):
        name, c = cfg.get("class_name"), cfg.get("config") or {}
        if name in ("L2", "L1L2") and not float(c.get("l1", 0.0) or 0.0):
            return ("L2", round(float(c.get("l2", 0.0) or 0.0), 9))
        if name == "L1":
            return ("L1", round(float(c.get("l1", 0.0)), 9))
        if name == "L1L2":
            return ("L1L2", round(float(c.get("l1", 0.0)), 9), round(float(c.get("l2", 0.0)), 9))
        return (str(name),)
    return (str(cfg),)


def _activation(name: Any) -> str:
    if isinstance(name, dict):  # serialized function
        name = name.get("config", name.get("class_name"))
    return str(name)


def canonical_ops(model, keras) -> list[tuple]:
    """The model as operations: Dense(units, regularizer, bias), activations, Dropout(rate)..."""
    L = keras.layers
    ops: list[tuple] = []
    for layer in model.layers:
        cfg = layer.get_config()
        if isinstance(layer, L.InputLayer):
            continue
        if type(layer) is L.Dense:
            extra = [k for k in ("bias_regularizer", "activity_regularizer") if cfg.get(k) is not None]
            ops.append(
                ("Dense", int(cfg["units"]), _regularizer(cfg.get("kernel_regularizer")), bool(cfg["use_bias"]))
                + tuple(extra)
            )
            act = _activation(cfg.get("activation"))
            if act != "linear":
                ops.append((act,))
        elif type(layer) is L.Activation:
            ops.append((_activation(cfg.get("activation")),))
        elif (
            type(layer) is L.ReLU
            and not cfg.get("max_value")
            and not cfg.get("negative_slope")
            and not cfg.get("threshold")
        ):
            ops.append(("relu",))
        elif type(layer) is L.Softmax and cfg.get("axis", -1) in (-1, [-1], 1, [1]):
            ops.append(("softmax",))
        elif type(layer) is L.Dropout:
            ops.append(("Dropout", round(float(cfg["rate"]), 9)))
        elif type(layer) is L.BatchNormalization:
            ops.append(("BatchNormalization",))
        else:
            ops.append((type(layer).__name__,))
    return ops


def op_text(op: tuple) -> str:
    if op[0] == "Dense":
        parts = [str(op[1])]
        if op[2] is not None:
            reg = op[2]
            parts.append(f"kernel_regularizer={reg[0]}({', '.join(f'{v:g}' for v in reg[1:])})")
        if not op[3]:
            parts.append("use_bias=False")
        parts += [f"{k}=..." for k in op[4:]]
        return f"Dense({', '.join(parts)})"
    if op[0] == "Dropout":
        return f"Dropout({op[1]:g})"
    return op[0]


def _same(a: tuple, b: tuple) -> bool:
    if len(a) != len(b) or a[0] != b[0]:
        return False
    for x, y in zip(a[1:], b[1:], strict=False):
        if isinstance(x, float) or isinstance(y, float):
            if not (isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isclose(x, y, rel_tol=1e-6)):
                return False
        elif isinstance(x, tuple) and isinstance(y, tuple):
            if not _same(x, y):
                return False
        elif x != y:
            return False
    return True


def first_difference(ops: list[tuple], input_shape: Any) -> str | None:
    """A sentence naming the first difference from the course network (None if there is none)."""
    shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else input_shape
    if shape != (None, 784):
        return t(
            "the model takes inputs of shape {shape}; the course network takes flattened images, (None, 784)",
            shape=shape,
        )
    for i, want in enumerate(COURSE_OPS):
        before = _("the input") if i == 0 else op_text(COURSE_OPS[i - 1])
        if i >= len(ops):
            return t(
                "your network ends after {last}; the course network continues with {want}",
                last=op_text(ops[-1]) if ops else _("the input"),
                want=op_text(want),
            )
        if not _same(ops[i], want):
            return t(
                "after {before} the course network has {want}, yours has {got}",
                before=before,
                want=op_text(want),
                got=op_text(ops[i]),
            )
    if len(ops) > len(COURSE_OPS):
        return t("your network has an extra {extra} after the final softmax", extra=op_text(ops[len(COURSE_OPS)]))
    return None


def sequence_text(ops: list[tuple]) -> str:
    return " → ".join(op_text(o) for o in ops)


def architecture_problem(model, keras, what: str) -> str | None:
    """Layer order/types and parameter counts of a (grader-side) model vs the course network."""
    ops = canonical_ops(model, keras)
    diff = first_difference(ops, getattr(model, "input_shape", None))
    if diff:
        return t(
            "{what} is not the course network: {difference}.\n  course: {course}\n  yours:  {yours}",
            what=what,
            difference=diff,
            course=sequence_text(COURSE_OPS),
            yours=sequence_text(ops),
        )
    counts = param_counts(model)
    if counts != COURSE_PARAMS:
        return t(
            "{what} has {total} parameters ({trainable} trainable, {frozen} non-trainable); the course network "
            "has 671,754 (670,730 trainable, 1,024 non-trainable)",
            what=what,
            total=format(counts[0], ","),
            trainable=format(counts[1], ","),
            frozen=format(counts[2], ","),
        )
    return None


# ---------------------------------------------------------------------------- compiling


def compile_problem(desc: dict) -> str | None:
    if "compile_json" not in desc:
        return t("the model's compile settings could not be read ({error})", error=desc.get("compile_error"))
    try:
        cfg = json.loads(desc["compile_json"])
    except (TypeError, ValueError):
        return _("the model's compile settings could not be read")
    if not desc.get("compiled") or not cfg:
        return _(
            "build_model() returns a model that is not compiled: call model.compile(loss=..., optimizer=..., "
            "metrics=[...]) before returning it"
        )
    loss = cfg.get("loss")
    ok_loss = (
        loss in ("categorical_crossentropy", "CategoricalCrossentropy")
        or (
            isinstance(loss, dict)
            and loss.get("class_name") == "CategoricalCrossentropy"
            and not (loss.get("config") or {}).get("from_logits")
            and not (loss.get("config") or {}).get("label_smoothing")
        )
        or (
            isinstance(loss, dict)
            and loss.get("class_name") == "function"
            and loss.get("config") == "categorical_crossentropy"
        )
    )
    if not ok_loss:
        return t(
            "the loss is {loss}; the course network is compiled with loss='categorical_crossentropy' "
            "(one-hot labels, softmax outputs)",
            loss=_short(loss),
        )
    opt = cfg.get("optimizer")
    if not (opt in ("adam", "Adam") or (isinstance(opt, dict) and opt.get("class_name") == "Adam")):
        return t("the optimizer is {optimizer}; the course network uses optimizer='adam'", optimizer=_short(opt))
    metrics = cfg.get("metrics") or []
    if not isinstance(metrics, list):
        metrics = [metrics]
    names = set()
    for m in metrics:
        if isinstance(m, str):
            names.add(m)
        elif isinstance(m, dict):
            names.add(str(m.get("class_name")))
    if not names & {"accuracy", "acc", "categorical_accuracy", "CategoricalAccuracy"}:
        return t("the metrics are {metrics}; the course network reports metrics=['accuracy']", metrics=_short(metrics))
    return None


def _short(v: Any) -> str:
    if isinstance(v, dict) and "class_name" in v:
        return f"{v.get('class_name')}({'' if v.get('class_name') != 'function' else v.get('config')})"
    return repr(v)[:80]


# ----------------------------------------------------------------------- .keras files


def load_keras_file(path: str, keras, what: str):
    """Load a .keras file in the grader: config checked first, built-ins only, safe_mode=True."""
    try:
        with zipfile.ZipFile(path) as zf:
            cfg = json.loads(zf.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, RuntimeError) as exc:
        raise CheckFailed(
            t(
                "{what} is not a readable .keras model file ({error}); save it with model.save('mnist_model.keras')",
                what=what,
                error=_exc_text(exc, 120),
            )
        ) from None
    check_builtin_config(cfg, what)
    try:
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - corrupt weights, unknown layers...
        raise CheckFailed(
            t(
                "{what} could not be loaded ({error}); save it with model.save('mnist_model.keras')",
                what=what,
                error=_exc_text(exc, 200),
            )
        ) from None


def shape_problem(model, what: str) -> str | None:
    try:
        ins, outs = model.input_shape, model.output_shape
    except Exception:  # noqa: BLE001 - multi-input or unbuilt models
        return t("{what} has no single input and output", what=what)
    if tuple(ins) != (None, 784):
        return t(
            "{what} expects inputs of shape {shape}; the course network takes flattened images of shape "
            "(None, 784) (preprocess turns each 28x28 image into 784 pixels)",
            what=what,
            shape=tuple(ins),
        )
    if tuple(outs) != (None, 10):
        return t(
            "{what} outputs shape {shape}; expected (None, 10): one probability per digit", what=what, shape=tuple(outs)
        )
    return None


# ------------------------------------------------------------------------------- images
#
# Chart labels are in the report's language when matplotlib has a font with CJK glyphs (e.g.
# Noto Sans CJK, Debian's fonts-noto-cjk); otherwise in English, never as boxes of missing glyphs.

CHART_WORDS = (
    N_("epoch"),
    N_("loss"),
    N_("accuracy"),
    N_("train"),
    N_("validation"),
    N_("predicted digit"),
    N_("true digit"),
)
CONFUSION_TITLE = N_("Confusion matrix ({n} test images)")
MISCLASSIFIED_TITLE = N_("Misclassified test digits (true→predicted)")
_CJK_SAMPLE = "训练验证准确率损失混淆矩阵预测真实数字"  # every glyph the zh labels need must be there
# Fonts with Chinese glyphs, most likely first (Linux, Windows, macOS); any other family with "CJK"
# in its name is tried after these.
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Noto Sans CJK",
    "Source Han Sans",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Serif CJK SC",
    "Arial Unicode MS",
)


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a font matplotlib can draw Chinese labels with, or None."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    def rank(f: font_manager.FontEntry) -> int:
        return next((i for i, fam in enumerate(_CJK_FAMILIES) if f.name.startswith(fam)), len(_CJK_FAMILIES))

    def usable(fonts: list[font_manager.FontEntry]) -> str | None:
        for f in sorted(fonts, key=rank):
            if rank(f) == len(_CJK_FAMILIES) and "CJK" not in f.name:  # not a Chinese font's family
                continue
            try:
                font = FT2Font(f.fname)
                if all(font.get_char_index(ord(c)) for c in _CJK_SAMPLE):
                    return f.name
            except Exception:  # noqa: BLE001 - an unreadable font file: try the next
                continue
        return None

    manager = font_manager.fontManager
    found = usable(manager.ttflist)
    if found:
        return found
    # matplotlib scans the system's fonts once and then trusts its cache (~/.cache/matplotlib), so a
    # font installed after matplotlib first ran (apt-get install fonts-noto-cjk) stays invisible:
    # look at the font files the cache does not know.
    known = {f.fname for f in manager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                manager.addfont(path)
            except Exception:  # noqa: BLE001 - an unreadable font file: skip it
                continue
    return usable([f for f in manager.ttflist if f.fname not in known])  # the others failed above


def chart_lang(lang: str) -> tuple[str, str | None]:
    """(language the labels are drawn in, font family): ``lang`` if it is English or a font for it
    exists, else English."""
    if lang == "en":
        return "en", None
    font = cjk_font()
    return (lang, font) if font else ("en", None)


def _figure(w: float, h: float):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt, plt.figure(figsize=(w, h), dpi=80)


def _png(plt, fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


@contextlib.contextmanager
def _drawing(lang: str) -> Iterator[tuple[Any, Any]]:
    """Inside: matplotlib set up for ``lang``'s labels; yields (gettext, t) for that language."""
    import matplotlib

    lang, font = chart_lang(lang)
    rc: dict[str, Any] = {"font.family": [font, "DejaVu Sans"]} if font else {}  # named, so every text keeps it
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]  # rcParams keys are typed as literals
        yield i18n.bound(lang)


def curves_figure(history: dict, lang: str = "en"):
    with _drawing(lang) as (g, _t):
        plt, fig = _figure(8, 3)
        for i, metric in enumerate(("loss", "accuracy")):
            ax = fig.add_subplot(1, 2, i + 1)
            for key, label in ((metric, "train"), (f"val_{metric}", "validation")):
                values = history.get(key)
                if values:
                    ax.plot(range(1, len(values) + 1), values, marker="o", label=g(label))
            ax.set_xlabel(g("epoch"))
            ax.set_title(g(metric))
            ax.grid(True, alpha=0.3)
            ax.legend()
        return plt, fig


def curves_png(history: dict, lang: str = "en") -> str:
    with _drawing(lang):
        return _png(*curves_figure(history, lang))


def confusion_figure(cm: np.ndarray, lang: str = "en"):
    with _drawing(lang) as (g, tt):
        plt, fig = _figure(4.6, 4.2)
        ax = fig.add_subplot(1, 1, 1)
        ax.imshow(np.log1p(cm), cmap="Blues")
        for i in range(cm.shape[0]):
            for j in range(cm.shape[1]):
                if cm[i, j]:
                    ax.text(
                        j,
                        i,
                        str(int(cm[i, j])),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if i == j else "black",
                    )
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel(g("predicted digit"))
        ax.set_ylabel(g("true digit"))
        ax.set_title(tt(CONFUSION_TITLE, n=format(int(cm.sum()), ",")))
        return plt, fig


def confusion_png(cm: np.ndarray, lang: str = "en") -> str:
    with _drawing(lang):
        return _png(*confusion_figure(cm, lang))


def misclassified_figure(images: np.ndarray, true: np.ndarray, pred: np.ndarray, lang: str = "en"):
    with _drawing(lang) as (g, _t):
        n = len(images)
        cols = 8
        rows = max(1, math.ceil(n / cols))
        plt, fig = _figure(cols * 0.9, rows * 1.05)
        for k in range(n):
            ax = fig.add_subplot(rows, cols, k + 1)
            ax.imshow(images[k], cmap="gray_r", interpolation="none")
            ax.set_title(f"{int(true[k])}→{int(pred[k])}", fontsize=8)
            ax.axis("off")
        fig.suptitle(g(MISCLASSIFIED_TITLE), fontsize=9)
        return plt, fig


def misclassified_png(images: np.ndarray, true: np.ndarray, pred: np.ndarray, lang: str = "en") -> str:
    with _drawing(lang):
        return _png(*misclassified_figure(images, true, pred, lang))
