"""Classic slips in the mnist topic's preprocess.

build_model and train are described / driven, not called, so nothing is replayed for them.
The one-hot rows are written with NumPy (the same values as keras.utils.to_categorical), so
loading this module does not import Keras.
"""

import numpy as np

from grader.course.misconceptions import misconception, observed, same
from grader.i18n import N_

_RNG = np.random.default_rng(0)
_X = _RNG.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
_Y = np.array([0, 3, 9, 5], dtype=np.uint8)


def _images(x):
    return np.asarray(x).reshape(len(x), -1).astype(np.float32) / np.float32(255.0)


def _one_hot(y, num_classes):
    return np.eye(num_classes, dtype=np.float32)[np.asarray(y).astype(np.int64)]


@misconception(
    "preprocess",
    "preprocess.no_one_hot",
    N_("the labels returned as integers (one number per image) instead of one-hot rows"),
    N_(
        "categorical_crossentropy needs one-hot rows: y_out = keras.utils.to_categorical(y, "
        "num_classes).astype('float32')"
    ),
    examples=[((_X, _Y), {})],
)
def preprocess_no_one_hot(x, y, num_classes=10):
    return _images(x), np.asarray(y).astype(np.float32)


@misconception(
    "preprocess",
    "preprocess.not_flattened",
    N_("the images scaled but not flattened: shape (n, 28, 28) instead of (n, 784)"),
    N_("the Dense network reads vectors: x.reshape(len(x), 784) (or reshape(len(x), -1)) before scaling"),
    examples=[((_X, _Y), {})],
)
def preprocess_not_flattened(x, y, num_classes=10):
    return np.asarray(x).astype(np.float32) / np.float32(255.0), _one_hot(y, num_classes)


@misconception(
    "preprocess",
    "preprocess.not_scaled",
    N_("the pixels not scaled: values 0..255 instead of 0..1"),
    N_("divide by 255 after converting to float32: x.reshape(len(x), -1).astype('float32') / 255"),
    examples=[((_X, _Y), {})],
)
def preprocess_not_scaled(x, y, num_classes=10):
    return np.asarray(x).reshape(len(x), -1).astype(np.float32), _one_hot(y, num_classes)


def _float64_match(got: list, want: list) -> bool:
    """The right values, but at least one of the two arrays in float64 (same() ignores dtypes)."""

    def dtypes(v):
        return [str(np.asarray(a).dtype) for a in v]

    return len(got) == len(want) and all(
        isinstance(g, (tuple, list)) and len(g) == 2 and "float64" in dtypes(g) and same(g, w)
        for g, w in zip(got, want, strict=False)
    )


@misconception(
    "preprocess",
    "preprocess.float64",
    N_("float64 arrays returned: x / 255 on uint8 pixels and keras.utils.to_categorical both give float64"),
    N_(
        "convert to float32 yourself: x.astype('float32') / 255 (convert first, then divide) and "
        "keras.utils.to_categorical(y, num_classes).astype('float32')"
    ),
    examples=[((_X, _Y), {})],
    match=_float64_match,
)
def preprocess_float64(x, y, num_classes=10):
    x = np.asarray(x).reshape(len(x), -1) / 255.0
    return x, np.eye(num_classes)[np.asarray(y).astype(np.int64)]


# ------------------------------------------------------------------------------- train
# train() is driven, not called: its mistakes are observed by checks/test_mnist.py.

TRAIN_ON_VALIDATION = observed(
    "train",
    "train.fits_on_validation",
    N_("the validation images used for training (fit on x_train together with x_val, or a second fit on x_val)"),
    N_(
        "fit on x_train, y_train only and pass (x_val, y_val) as validation_data: validation data must stay unseen, "
        "or val_loss and val_accuracy no longer say how the model does on new images"
    ),
)
