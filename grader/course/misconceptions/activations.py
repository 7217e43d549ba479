"""Classic slips in the activations topic."""

import numpy as np

from grader.course.misconceptions import misconception
from grader.i18n import N_

_X = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]], dtype=np.float32)
_LARGE = np.array([[1000.0, 1000.0, 999.0]], dtype=np.float32)


@misconception(
    "softmax",
    "softmax.no_max_shift",
    N_("softmax without subtracting the maximum: exp overflows for large scores"),
    N_("subtract x.max(axis, keepdims=True) before np.exp; the result is the same and nothing overflows"),
    examples=[((_LARGE,), {})],
)
def softmax_no_shift(x, axis=-1):
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)


@misconception(
    "softmax",
    "softmax.global_sum",
    N_("softmax normalised over the whole array instead of along the axis"),
    N_("sum with axis=axis and keepdims=True so that each row sums to 1"),
    examples=[((np.vstack([_X, _X + 1]),), {})],
)
def softmax_global(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max())
    return e / e.sum()


@misconception(
    "leaky_relu",
    "leaky_relu.keras_layer_slope",
    N_("the Keras LeakyReLU layer's slope 0.3 used as the default"),
    N_("tf.nn.leaky_relu uses alpha=0.2 by default; keep alpha=0.2 as the default argument"),
    examples=[((_X,), {})],
)
def leaky_relu_03(x, alpha=0.2):
    x = np.asarray(x)
    return np.where(x >= 0, x, 0.3 * x)


@misconception(
    "relu_grad",
    "relu_grad.one_at_zero",
    N_("relu'(0) taken as 1"),
    N_("TensorFlow uses 0 at exactly x = 0: test x > 0, not x >= 0"),
    examples=[((_X,), {})],
)
def relu_grad_at_zero(x):
    return (np.asarray(x) >= 0).astype(np.float32)


@misconception(
    "sigmoid_grad",
    "sigmoid_grad.on_input",
    N_("the derivative formula s*(1-s) applied to x instead of to sigmoid(x)"),
    N_("compute s = sigmoid(x) first, then return s * (1 - s)"),
    examples=[((_X,), {})],
)
def sigmoid_grad_on_input(x):
    x = np.asarray(x, dtype=np.float64)
    return x * (1 - x)


@misconception(
    "tanh_grad",
    "tanh_grad.no_square",
    N_("1 - tanh(x) instead of 1 - tanh(x)**2"),
    N_("the derivative of tanh is 1 - tanh(x)**2"),
    examples=[((_X,), {})],
)
def tanh_grad_no_square(x):
    return 1 - np.tanh(np.asarray(x, dtype=np.float64))


@misconception(
    "sigmoid",
    "sigmoid.exp_sign",
    N_("exp(x) where the formula has exp(-x): the result is sigmoid(-x) = 1 - sigmoid(x)"),
    N_("sigmoid(x) = 1 / (1 + exp(-x)); check the sign inside the exponential"),
    examples=[((_X,), {})],
)
def sigmoid_exp_sign(x):
    return 1.0 / (1.0 + np.exp(np.asarray(x, dtype=np.float64)))


@misconception(
    "sigmoid",
    "sigmoid.ratio_overflow",
    N_("sigmoid written as exp(x) / (1 + exp(x)) for every x: inf / inf gives NaN for large x"),
    N_(
        "use 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) only for x < 0, so exp never sees a large positive "
        "number"
    ),
    examples=[((_LARGE,), {})],
)
def sigmoid_ratio_overflow(x):
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / (1.0 + e)


@misconception(
    "tanh",
    "tanh.half_argument",
    N_("2 * sigmoid(x) - 1, which is tanh(x / 2), not tanh(x)"),
    N_("tanh(x) = 2 * sigmoid(2 * x) - 1, or simply np.tanh(x)"),
    examples=[((_X,), {})],
)
def tanh_half(x):
    x = np.asarray(x, dtype=np.float64)
    return 2.0 / (1.0 + np.exp(-x)) - 1.0


@misconception(
    "tanh",
    "tanh.exp_overflow",
    N_("tanh written as (exp(x) - exp(-x)) / (exp(x) + exp(-x)): inf / inf gives NaN for large |x|"),
    N_("use np.tanh(x); the textbook ratio overflows once |x| is a few hundred"),
    examples=[((_LARGE,), {})],
)
def tanh_exp_ratio(x):
    x = np.asarray(x, dtype=np.float64)
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


@misconception(
    "relu",
    "relu.max_reduces",
    N_("np.max(x, 0) instead of np.maximum(x, 0): np.max reduces along axis 0"),
    N_("np.maximum(x, 0) compares elementwise and keeps the shape; np.max's second argument is an axis"),
    examples=[((np.vstack([_X, -_X]),), {})],
)
def relu_np_max(x):
    return np.max(x, 0)


@misconception(
    "relu",
    "relu.absolute",
    N_("np.abs(x) instead of max(x, 0): negative inputs must give 0"),
    N_("relu(x) = np.maximum(x, 0)"),
    examples=[((_X,), {})],
)
def relu_abs(x):
    return np.abs(x)


@misconception(
    "leaky_relu",
    "leaky_relu.pytorch_slope",
    N_("PyTorch's default slope 0.01 used as the default"),
    N_("tf.nn.leaky_relu uses alpha=0.2 by default; keep alpha=0.2 as the default argument"),
    examples=[((_X,), {})],
)
def leaky_relu_001(x, alpha=0.2):
    x = np.asarray(x)
    return np.where(x >= 0, x, 0.01 * x)


@misconception(
    "leaky_relu",
    "leaky_relu.alpha_ignored",
    N_("the alpha argument ignored (a fixed slope 0.2)"),
    N_("multiply the negative inputs by the alpha argument the caller passed"),
    examples=[((_X, 0.5), {})],
)
def leaky_relu_fixed(x, alpha=0.2):
    x = np.asarray(x)
    return np.where(x >= 0, x, 0.2 * x)


@misconception(
    "softmax",
    "softmax.axis_ignored",
    N_("the axis argument ignored (always the last axis)"),
    N_("use axis=axis in both the max and the sum, with keepdims=True"),
    examples=[((np.vstack([_X, _X + 1]),), {"axis": 0})],
)
def softmax_last_axis(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@misconception(
    "sigmoid_grad",
    "sigmoid_grad.no_derivative",
    N_("sigmoid(x) returned instead of its derivative"),
    N_("the derivative is s * (1 - s) with s = sigmoid(x)"),
    examples=[((_X,), {})],
)
def sigmoid_grad_value(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@misconception(
    "tanh_grad",
    "tanh_grad.on_input",
    N_("1 - x**2 applied to x instead of to tanh(x)"),
    N_("compute t = np.tanh(x) first, then return 1 - t**2"),
    examples=[((_X,), {})],
)
def tanh_grad_on_input(x):
    x = np.asarray(x, dtype=np.float64)
    return 1.0 - x * x


@misconception(
    "relu_grad",
    "relu_grad.relu_value",
    N_("relu(x) returned instead of its derivative"),
    N_("the derivative is 1 where x > 0 and 0 elsewhere: (x > 0).astype(float)"),
    examples=[((_X,), {})],
)
def relu_grad_value(x):
    return np.maximum(x, 0)
