"""Find and load the MNIST data set (``mnist.npz``) for the grader and the notebooks.

Where the data comes from, in this order:

1. an explicit path: ``grader run --mnist PATH``, ``[tool.grader] mnist = "PATH"`` or the
   ``GRADER_MNIST`` environment variable (the grader's settings merge the three; a direct
   call of :func:`locate_mnist` with no path also reads ``GRADER_MNIST``);
2. the Keras cache, ``~/.keras/datasets/mnist.npz`` (``$KERAS_HOME/datasets`` if set);
3. ``keras.datasets.mnist.load_data()``, which downloads the file (needs the internet).

``.npz`` files are read with ``np.load`` directly: Keras' own loader rejects any file whose
bytes differ from its copy, although the arrays are the same. Every source is validated
(keys, shapes, dtypes, labels 0-9). When nothing works, a :class:`~grader.errors.UsageError`
names all three ways to provide the data; the CLI reports it and exits with status 2.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from grader.errors import UsageError
from grader.i18n import N_, _, t

KEYS = ("x_train", "y_train", "x_test", "y_test")
N_TRAIN, N_TEST = 60_000, 10_000

# Also shown to students (in the report) when grading every topic without the data.
HOW_TO = N_(
    'provide mnist.npz in one of three ways: pass --mnist PATH (or set mnist = "PATH" under '
    "[tool.grader] in pyproject.toml), set the GRADER_MNIST environment variable to the file, "
    "or put it in the Keras cache as ~/.keras/datasets/mnist.npz (keras.datasets.mnist.load_data() "
    "downloads it there when you are online)"
)

_cache: dict[tuple, tuple] = {}


def _exc_text(exc: BaseException, limit: int | None = None) -> str:
    return f"{type(exc).__name__}: {str(exc)[:limit]}"


def keras_cache_path() -> Path:
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(base) / "datasets" / "mnist.npz"


def validate(arrays: dict, source: str) -> tuple:
    """((x_train, y_train), (x_test, y_test)) after checking keys, shapes, dtypes, labels."""
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        raise UsageError(
            t(
                "{source} lacks the array(s) {missing} (expected {expected})",
                source=source,
                missing=", ".join(missing),
                expected=", ".join(KEYS),
            ),
            fix=_(HOW_TO),
        )
    out = {}
    for key, n in (("x_train", N_TRAIN), ("y_train", N_TRAIN), ("x_test", N_TEST), ("y_test", N_TEST)):
        a = np.asarray(arrays[key])
        want = (n, 28, 28) if key.startswith("x") else (n,)
        if a.shape != want:
            raise UsageError(
                t(
                    "{source}: {key} has shape {shape}, expected {expected}",
                    source=source,
                    key=key,
                    shape=a.shape,
                    expected=want,
                ),
                fix=_(HOW_TO),
            )
        if key.startswith("x") and a.dtype != np.uint8:
            raise UsageError(
                t(
                    "{source}: {key} has dtype {dtype}, expected uint8 pixels 0-255",
                    source=source,
                    key=key,
                    dtype=a.dtype,
                ),
                fix=_(HOW_TO),
            )
        if key.startswith("y"):
            if a.dtype.kind not in "iu":
                raise UsageError(
                    t(
                        "{source}: {key} has dtype {dtype}, expected integer labels",
                        source=source,
                        key=key,
                        dtype=a.dtype,
                    ),
                    fix=_(HOW_TO),
                )
            if a.min() < 0 or a.max() > 9:
                raise UsageError(
                    t(
                        "{source}: {key} holds labels outside 0-9 ({low}..{high})",
                        source=source,
                        key=key,
                        low=a.min(),
                        high=a.max(),
                    ),
                    fix=_(HOW_TO),
                )
            a = a.astype(np.uint8)
        a = np.array(a, copy=True)
        a.setflags(write=False)  # shared by every check of the run: nobody may change it
        out[key] = a
    return (out["x_train"], out["y_train"]), (out["x_test"], out["y_test"])


def read_npz(path: str | os.PathLike) -> tuple:
    """Read and validate ``path`` (cached per path, size and modification time)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise UsageError(t("the MNIST file {path} does not exist", path=p), fix=_(HOW_TO))
    if not p.is_file():
        raise UsageError(t("the MNIST path {path} is not a file", path=p), fix=_(HOW_TO))
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _cache:
        try:
            with np.load(p, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files if k in KEYS}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise UsageError(
                t("the MNIST file {path} could not be read as .npz ({error})", path=p, error=_exc_text(exc)),
                fix=_(HOW_TO),
            ) from None
        _cache.clear()  # one data set at a time: 55 MB
        _cache[key] = validate(arrays, str(p))
    return _cache[key]


def _download() -> Path:
    """keras.datasets.mnist.load_data() (downloads); returns a validated .npz path."""
    try:
        import keras

        (xtr, ytr), (xte, yte) = keras.datasets.mnist.load_data()
    except Exception as exc:  # noqa: BLE001 - offline, blocked, corrupt download...
        raise UsageError(
            t(
                "no MNIST data found: no path was given, {cache} does not hold a readable mnist.npz, and "
                "keras.datasets.mnist.load_data() failed ({error})",
                cache=keras_cache_path(),
                error=_exc_text(exc, 200),
            ),
            fix=_(HOW_TO),
        ) from None
    validate({"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}, "keras.datasets.mnist")
    cached = keras_cache_path()
    if cached.is_file():
        try:
            read_npz(cached)
            return cached
        except UsageError:
            pass
    fd, name = tempfile.mkstemp(prefix="mnist-", suffix=".npz")
    os.close(fd)
    np.savez(name, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    return Path(name)


def locate_mnist(path: str | os.PathLike | None = None) -> Path:
    """The path of a valid mnist.npz: ``path`` → ``GRADER_MNIST`` → Keras cache → download.

    An explicit path (or ``GRADER_MNIST``) that is missing or invalid is an error at once:
    the user asked for that file. Raises :class:`UsageError` naming every way to provide it.
    """
    if path is None and os.environ.get("GRADER_MNIST"):
        path = os.environ["GRADER_MNIST"]
    if path is not None and str(path) != "":
        read_npz(path)
        return Path(path).expanduser().resolve()
    cached = keras_cache_path()
    if cached.is_file():
        try:
            read_npz(cached)
            return cached
        except UsageError:
            pass  # a stale or partial cache file: try the download next
    return _download()


def load_mnist(path: str | os.PathLike | None = None) -> tuple:
    """``((x_train, y_train), (x_test, y_test))`` as uint8 arrays, like Keras' loader returns.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,). See :func:`locate_mnist`
    for where the file is looked for.
    """
    return read_npz(locate_mnist(path))
