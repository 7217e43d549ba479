"""Weight initializers (numpy-only).

How the first weights are drawn decides whether signals and gradients keep a sensible size
as they pass through many layers. Keras offers several schemes; here you rebuild them with
NumPy. The grader compares your samples *statistically* with samples Keras draws for the
same shape on the installed TensorFlow: the range of the values, their mean and standard
deviation, and a two-sample Kolmogorov-Smirnov test on large samples.

Conventions for every sampler here:

* ``shape`` is a tuple of ints: ``()`` (a scalar), ``(n,)``, a Dense kernel
  ``(fan_in, fan_out)`` or a convolution kernel such as ``(3, 3, in_channels, out_channels)``
  or ``(5, 5, 5, in_channels, out_channels)``.
* ``rng`` is a ``numpy.random.Generator`` (from ``np.random.default_rng(seed)``). Draw every
  random number from it (``rng.normal``, ``rng.uniform``, ...), never from ``np.random.*``:
  the same seed must give the same weights and different seeds different weights.
* Return a NumPy array of exactly ``shape`` with dtype ``float32`` (Keras' default float).

Keras' fan rule (``compute_fans``): ``fan_in`` counts the inputs that feed one output unit,
``fan_out`` the outputs one input unit feeds. Keras' "truncated normal" draws from a normal
distribution and re-draws every value farther than **two standard deviations** from the
mean. Truncation shrinks the spread, so Keras divides the target standard deviation by
``0.87962566103423978`` (the standard deviation of a standard normal truncated to [-2, 2])
before sampling: the *final* samples then have standard deviation ``sqrt(scale / fan)``.
"""

import numpy as np


def compute_fans(shape):
    """Return ``(fan_in, fan_out)`` for a weight of ``shape``, as Keras computes them.

    * ``()`` (a scalar): ``(1, 1)``.
    * ``(n,)``: ``(n, n)``.
    * ``(a, b)`` (a Dense kernel): ``(a, b)``.
    * more dimensions (a convolution kernel ``(*kernel_size, in_channels, out_channels)``):
      the receptive field ``prod(shape[:-2])`` multiplies both, i.e.
      ``fan_in = shape[-2] * receptive_field`` and ``fan_out = shape[-1] * receptive_field``;
      ``(3, 3, 16, 32)`` gives ``(144, 288)``.

    Args:
        shape: tuple of ints.
    Returns:
        tuple ``(fan_in, fan_out)`` of Python ints.
    """
    # TODO: your code here.
    raise NotImplementedError("compute_fans")


def random_normal(shape, rng, mean=0.0, stddev=0.05):
    """Plain (untruncated) normal samples; matches ``keras.initializers.RandomNormal``.

    Args:
        shape: tuple of ints.
        rng: ``numpy.random.Generator``.
        mean: mean of the distribution.
        stddev: standard deviation (not the variance).
    Returns:
        float32 array of ``shape``.
    """
    # TODO: your code here.
    raise NotImplementedError("random_normal")


def standard_uniform(shape, rng):
    """The "standard" initialization: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    Matches ``keras.initializers.VarianceScaling(scale=1/3, mode="fan_in",
    distribution="uniform")``, whose limit is ``sqrt(3 * scale / fan_in) = 1/sqrt(fan_in)``.

    Args:
        shape: tuple of ints.
        rng: ``numpy.random.Generator``.
    Returns:
        float32 array of ``shape``.
    """
    # TODO: your code here.
    raise NotImplementedError("standard_uniform")


def glorot_normal(shape, rng):
    """Glorot (Xavier) normal; matches ``keras.initializers.GlorotNormal``.

    Truncated normal (see the module docstring) whose final standard deviation is
    ``sqrt(2 / (fan_in + fan_out))``: sample a normal with standard deviation
    ``sqrt(2 / (fan_in + fan_out)) / 0.87962566103423978`` and re-draw values farther than
    two of *those* standard deviations from 0.

    Args:
        shape: tuple of ints.
        rng: ``numpy.random.Generator``.
    Returns:
        float32 array of ``shape``.
    """
    # TODO: your code here.
    raise NotImplementedError("glorot_normal")


def glorot_uniform(shape, rng):
    """Glorot (Xavier) uniform; matches ``keras.initializers.GlorotUniform``.

    ``U(-limit, limit)`` with ``limit = sqrt(6 / (fan_in + fan_out))``. This is the default
    ``kernel_initializer`` of ``keras.layers.Dense``.

    Args:
        shape: tuple of ints.
        rng: ``numpy.random.Generator``.
    Returns:
        float32 array of ``shape``.
    """
    # TODO: your code here.
    raise NotImplementedError("glorot_uniform")


def he_normal(shape, rng):
    """He (Kaiming) normal; matches ``keras.initializers.HeNormal``.

    Truncated normal (see the module docstring) whose final standard deviation is
    ``sqrt(2 / fan_in)``: sample with standard deviation ``sqrt(2 / fan_in) / 0.87962566103423978``
    and re-draw values beyond two of those standard deviations.

    Args:
        shape: tuple of ints.
        rng: ``numpy.random.Generator``.
    Returns:
        float32 array of ``shape``.
    """
    # TODO: your code here.
    raise NotImplementedError("he_normal")


def he_uniform(shape, rng):
    """He (Kaiming) uniform; matches ``keras.initializers.HeUniform``.

    ``U(-limit, limit)`` with ``limit = sqrt(6 / fan_in)``.

    Args:
        shape: tuple of ints.
        rng: ``numpy.random.Generator``.
    Returns:
        float32 array of ``shape``.
    """
    # TODO: your code here.
    raise NotImplementedError("he_uniform")
