"""Classic slips in the activations topic."""

import numpy as np

from grader.i18n import N_
from grader.misconceptions import misconception

_X = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]], dtype=np.float32)
_LARGE = np.array([[1000.0, 1000.0, 999.0]], dtype=np.float32)


@misconception("softmax", "softmax.no_max_shift",
               N_("softmax without subtracting the maximum: exp overflows for large scores"),
               N_("subtract x.max(axis, keepdims=True) before np.exp; the result is the same and nothing overflows"),
               examples=[((_LARGE,), {})])
def softmax_no_shift(x, axis=-1):
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)


@misconception("softmax", "softmax.global_sum",
               N_("softmax normalised over the whole array instead of along the axis"),
               N_("sum with axis=axis and keepdims=True so that each row sums to 1"),
               examples=[((np.vstack([_X, _X + 1]),), {})])
def softmax_global(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max())
    return e / e.sum()


@misconception("leaky_relu", "leaky_relu.keras_layer_slope",
               N_("the Keras LeakyReLU layer's slope 0.3 used as the default"),
               N_("tf.nn.leaky_relu uses alpha=0.2 by default; keep alpha=0.2 as the default argument"),
               examples=[((_X,), {})])
def leaky_relu_03(x, alpha=0.2):
    x = np.asarray(x)
    return np.where(x >= 0, x, 0.3 * x)


@misconception("relu_grad", "relu_grad.one_at_zero",
               N_("relu'(0) taken as 1"),
               N_("TensorFlow uses 0 at exactly x = 0: test x > 0, not x >= 0"),
               examples=[((_X,), {})])
def relu_grad_at_zero(x):
    return (np.asarray(x) >= 0).astype(np.float32)


@misconception("sigmoid_grad", "sigmoid_grad.on_input",
               N_("the derivative formula s*(1-s) applied to x instead of to sigmoid(x)"),
               N_("compute s = sigmoid(x) first, then return s * (1 - s)"),
               examples=[((_X,), {})])
def sigmoid_grad_on_input(x):
    x = np.asarray(x, dtype=np.float64)
    return x * (1 - x)


@misconception("tanh_grad", "tanh_grad.no_square",
               N_("1 - tanh(x) instead of 1 - tanh(x)**2"),
               N_("the derivative of tanh is 1 - tanh(x)**2"),
               examples=[((_X,), {})])
def tanh_grad_no_square(x):
    return 1 - np.tanh(np.asarray(x, dtype=np.float64))
