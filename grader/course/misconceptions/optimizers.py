"""Classic slips in the optimizers topic.

Every variant is replayed on the student's own arguments (for the stateful optimizers: the
student's own state arrays) and returns :class:`_Renderings`: the new weights the mistake
gives under every accepted convention it can be written in. The student matches when ONE
rendering matches all of a check's calls:

* momentum_step: the velocity in Keras' units (``v = momentum*v - lr*g; w = w + v``) or as
  PyTorch's running sum (``buf = momentum*buf + g; w = w - lr*buf``, i.e. ``v = -lr*buf``);
* adagrad_step, rmsprop_step: epsilon inside (Keras) or outside (textbooks, PyTorch) the
  square root, which matters when a mistake makes the denominator tiny;
* adam_step: the bias corrections folded into the step size (Keras) or m_hat / v_hat.

What is compared is the STEP ``w_new - w`` (tolerance of :func:`same` relative to the step,
not to |w|, which is often 1000 times larger), and only the weights: the state convention is
free. A rendering may instead be a tuple ``(w_new, state...)`` when the mistake itself fixes
the state's convention; then the returned state is compared too.

Variants for a wrong default decline (raise) when the caller passed that argument, and
variants that ignore an argument decline when it equals the default: on those calls the
mistake is invisible, so it cannot explain the failure.
"""

import numpy as np

from grader.course.misconceptions import REGISTRY, _copy, misconception, same
from grader.i18n import N_

_UNSET = object()


class _NotThisMistake(Exception):
    """Raised by a variant on a call where its mistake cannot show (detect() skips it)."""


class _Renderings(tuple):
    """The new weights (or ``(w_new, state...)``) of one mistake under each accepted convention."""

    origin: np.ndarray  # the weights passed in, to compare steps
    stateful: bool  # whether the student function returns (w_new, state...)


def _renderings(w, renders, stateful=True):
    out = _Renderings(renders)
    out.origin = _f(w)
    out.stateful = stateful
    return out


def _same_step(value, render, origin, stateful):
    state = ()
    if stateful:
        if not isinstance(value, (tuple, list)) or not value:
            return False
        value, state = value[0], tuple(value[1:])
    if isinstance(render, tuple):  # weights and the state this mistake prescribes
        render, want_state = render[0], tuple(render[1:])
        if not same(state, want_state):
            return False
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if got.shape != np.shape(render):
        return False
    return same(got - origin, np.asarray(render, dtype=np.float64) - origin)


def _steps_match(got, want):
    """The student's steps match one rendering of the mistake on every call."""
    if not got or len(got) != len(want):
        return False
    return any(
        all(_same_step(value, r[i], r.origin, r.stateful) for value, r in zip(got, want, strict=False))
        for i in range(len(want[0]))
    )


def _mistake(function, key, name, fix, *, examples, outranks=()):
    """Register a variant returning :class:`_Renderings`, matched step by step.

    Some mistakes give the same steps on some inputs (the course example's w = g = 1 hides the
    square root, for instance). Naming either mistake there would be a guess, so a match
    counts only if no other mistake of the function matches the same calls too, except the
    ones listed in ``outranks`` (mistakes this one is preferred to when they coincide).
    """

    def deco(variant):
        def recorded(*args, **kwargs):
            out = variant(*args, **kwargs)
            out.call = (args, kwargs)
            return out

        def match(got, want):
            if not _steps_match(got, want):
                return False
            calls = [r.call for r in want]
            for other in REGISTRY.get(function, []):
                if other.key == key or other.key in outranks:
                    continue
                try:
                    with np.errstate(all="ignore"):
                        first = other.variant(*_copy(calls[0][0]), **_copy(calls[0][1]))
                        if not _steps_match(got[:1], [first]):  # its first step differs: so do all its steps
                            continue
                        theirs = [first] + [other.variant(*_copy(a), **_copy(k)) for a, k in calls[1:]]
                except Exception:  # noqa: BLE001 - a mistake that cannot show on these calls
                    continue
                if _steps_match(got, theirs):
                    return False
            return True

        match.necessary = _steps_match  # type: ignore[attr-defined]  # see Misconception.ruled_out
        recorded.__name__ = variant.__name__
        misconception(function, key, name, fix, examples=examples, match=match)(recorded)
        return variant

    return deco


def _inside(s, epsilon):
    return np.sqrt(s + epsilon)


def _outside(s, epsilon):
    return np.sqrt(s) + epsilon


def _f(x):
    return np.asarray(x, dtype=np.float64)


# Epsilons students hard-code: Keras' 1e-7, PyTorch's 1e-8 (Adam, RMSprop) and 1e-10 (Adagrad), 1e-6.
_FIXED_EPSILONS = (1e-10, 1e-8, 1e-7, 1e-6)


def _epsilon_shows(epsilon):
    """An ignored epsilon only shows when the one passed is large (the checks use 0.01 to 0.1)."""
    if epsilon <= 1e-5:
        raise _NotThisMistake("a tiny epsilon hides this mistake")


# ------------------------------------------------------------------------------ sgd_step

_W = np.array([1.0, -2.0, 0.5], dtype=np.float32)
_G = np.array([0.3, -0.7, 1.2], dtype=np.float32)


@_mistake(
    "sgd_step",
    "sgd.gradient_ascent",
    N_("the gradient added instead of subtracted (w + lr * g climbs the loss)"),
    N_("step against the gradient: w_new = w - lr * g"),
    examples=[((_W, _G), {"lr": 0.1})],
)
def sgd_ascent(w, g, lr=0.01):
    return _renderings(w, (_f(w) + lr * _f(g),), stateful=False)


@_mistake(
    "sgd_step",
    "sgd.default_lr_0001",
    N_("default learning rate 0.001 (the default of Adam, RMSprop and Adagrad) instead of SGD's 0.01"),
    N_("keras.optimizers.SGD uses learning_rate=0.01 by default: write lr=0.01 in the signature"),
    examples=[((_W, _G), {})],
)
def sgd_default_0001(w, g, lr=_UNSET):
    if lr is not _UNSET:
        raise _NotThisMistake("lr was passed")
    return _renderings(w, (_f(w) - 0.001 * _f(g),), stateful=False)


@_mistake(
    "sgd_step",
    "sgd.default_lr_01",
    N_("default learning rate 0.1 (the course example's value) instead of Keras' 0.01"),
    N_("the course example passes lr=0.1 explicitly; the default must be Keras' 0.01: write lr=0.01 in the signature"),
    examples=[((_W, _G), {})],
)
def sgd_default_01(w, g, lr=_UNSET):
    if lr is not _UNSET:
        raise _NotThisMistake("lr was passed")
    return _renderings(w, (_f(w) - 0.1 * _f(g),), stateful=False)


@_mistake(
    "sgd_step",
    "sgd.lr_ignored",
    N_("the lr argument ignored (a fixed learning rate 0.01)"),
    N_("multiply the gradient by the lr argument the caller passed: w_new = w - lr * g"),
    examples=[((_W, _G), {"lr": 0.5})],
)
def sgd_fixed_lr(w, g, lr=0.01):
    if lr == 0.01:
        raise _NotThisMistake("the default lr hides this mistake")
    return _renderings(w, (_f(w) - 0.01 * _f(g),), stateful=False)


# ------------------------------------------------------------------------- momentum_step

_VEL = np.array([-0.05, 0.02, 0.1], dtype=np.float32)


def _momentum_renderings(step):
    """``step(w, g, v, lr, momentum, nesterov) -> w_new`` with v in Keras' units, rendered for the
    student's velocity in Keras' convention and in PyTorch's (``v = -lr * buf``)."""

    def variant(w, g, velocity, lr=0.01, momentum=0.9, nesterov=False):
        w, g, velocity = _f(w), _f(g), _f(velocity)
        return _renderings(
            w, (step(w, g, velocity, lr, momentum, nesterov), step(w, g, -lr * velocity, lr, momentum, nesterov))
        )

    variant.__name__ = step.__name__
    return variant


# With the defaults this and momentum.velocity_not_kept both give plain SGD steps; the defaults
# check names this one (its fix mentions the other).
@_mistake(
    "momentum_step",
    "momentum.keras_default_momentum",
    N_(
        "with the default arguments every step is a plain SGD step: momentum defaults to 0 (the default of Keras' SGD) "
        "instead of 0.9"
    ),
    N_(
        "keep the signature's default momentum=0.9 (keras.optimizers.SGD defaults to 0, this function does not); if it "
        "is 0.9 already, build v_new from the velocity argument and return v_new"
    ),
    examples=[((_W, _G, _VEL), {})],
    outranks=("momentum.velocity_not_kept",),
)
def momentum_default_zero(w, g, velocity, lr=0.01, momentum=_UNSET, nesterov=False):
    if momentum is not _UNSET:
        raise _NotThisMistake("momentum was passed")
    return _renderings(w, (_f(w) - lr * _f(g),))  # momentum 0: v_new = -lr * g, with or without nesterov


@_mistake(
    "momentum_step",
    "momentum.velocity_sign",
    N_("the velocity built with + lr * g and then added to w: the steps go uphill"),
    N_(
        "Keras: v_new = momentum * v - lr * g, then w_new = w + v_new (or PyTorch's v_new = momentum * v + g with "
        "w_new = w - lr * v_new)"
    ),
    examples=[((_W, _G, _VEL), {"lr": 0.1, "momentum": 0.9})],
)
@_momentum_renderings
def momentum_sign(w, g, v, lr, momentum, nesterov):
    v_new = momentum * v + lr * g
    return w + momentum * v_new - lr * g if nesterov else w + v_new


@_mistake(
    "momentum_step",
    "momentum.velocity_not_kept",
    N_("the velocity does not carry over from one step to the next (every step is a plain SGD step)"),
    N_(
        "compute v_new = momentum * velocity - lr * g from the velocity argument, and return v_new (not the old "
        "velocity) so that the next call continues from it"
    ),
    examples=[((_W, _G, _VEL), {"lr": 0.1, "momentum": 0.9})],
)
def momentum_not_kept(w, g, velocity, lr=0.01, momentum=0.9, nesterov=False):
    w, g = _f(w), _f(g)
    v_new = -lr * g
    return _renderings(w, (w + momentum * v_new - lr * g if nesterov else w + v_new,))


@_mistake(
    "momentum_step",
    "momentum.dampened_ema",
    N_(
        "the velocity as an average of the gradients, v = momentum * v + (1 - momentum) * g (Andrew Ng's form): every "
        "step shrinks by the factor (1 - momentum)"
    ),
    N_(
        "Keras (and PyTorch) do not damp the new gradient: v_new = momentum * v - lr * g; w_new = w + v_new (or v_new "
        "= momentum * v + g; w_new = w - lr * v_new)"
    ),
    examples=[((_W, _G, _VEL), {"lr": 0.1, "momentum": 0.9})],
    outranks=("momentum.lr_twice",),
)
def momentum_ema(w, g, velocity, lr=0.01, momentum=0.9, nesterov=False):
    w, g, velocity = _f(w), _f(g), _f(velocity)
    v_new = momentum * velocity + (1 - momentum) * g
    # The mistake fixes the state's convention (an average of g): compare it too, which tells it
    # apart from momentum.lr_twice on the course example (lr = 1 - momentum = 0.1).
    return _renderings(w, ((w - lr * (g + momentum * v_new) if nesterov else w - lr * v_new, v_new),))


@_mistake(
    "momentum_step",
    "momentum.lr_twice",
    N_("the learning rate applied twice: v already contains -lr * g, and w_new = w + lr * v scales it again"),
    N_("with v_new = momentum * v - lr * g the weights move by v_new itself: w_new = w + v_new"),
    examples=[((_W, _G, _VEL), {"lr": 0.1, "momentum": 0.9})],
)
@_momentum_renderings
def momentum_lr_twice(w, g, v, lr, momentum, nesterov):
    if nesterov:
        raise _NotThisMistake("the Nesterov step does not use w + v_new")
    return w + lr * (momentum * v - lr * g)


@_mistake(
    "momentum_step",
    "momentum.nesterov_plain_step",
    N_(
        "nesterov=True gives the plain momentum step (the look-ahead taken along the OLD velocity: w + momentum * v - "
        "lr * g)"
    ),
    N_(
        "update the velocity first, then look ahead along the NEW one: v_new = momentum * v - lr * g; w_new = w + "
        "momentum * v_new - lr * g"
    ),
    examples=[((_W, _G, _VEL), {"lr": 0.1, "momentum": 0.9, "nesterov": True})],
)
@_momentum_renderings
def momentum_nesterov_plain(w, g, v, lr, momentum, nesterov):
    if not nesterov:
        raise _NotThisMistake("nesterov=False hides this mistake")
    return w + momentum * v - lr * g  # = w + (momentum * v - lr * g): nesterov ignored


# -------------------------------------------------------------------------- adagrad_step

_ACC = np.array([0.1, 0.35, 1.2], dtype=np.float32)


def _adagrad_renderings(step):
    """``step(w, g, acc, lr, epsilon, root) -> w_new`` rendered with epsilon inside and outside the
    square root (``root(s, epsilon)``); both placements are accepted."""

    def variant(w, g, accumulator, lr=0.001, epsilon=1e-7):
        w, g, accumulator = _f(w), _f(g), _f(accumulator)
        return _renderings(w, tuple(step(w, g, accumulator, lr, epsilon, root) for root in (_inside, _outside)))

    variant.__name__ = step.__name__
    return variant


@_mistake(
    "adagrad_step",
    "adagrad.accumulate_after_step",
    N_("the step divided by the OLD accumulator: g**2 added only after the step"),
    N_("add g**2 first and divide by the new sum: acc_new = acc + g**2; w_new = w - lr * g / sqrt(acc_new + epsilon)"),
    examples=[((_W, _G, _ACC), {"lr": 0.1})],
)
@_adagrad_renderings
def adagrad_old_acc(w, g, acc, lr, epsilon, root):
    return w - lr * g / root(acc, epsilon)


@_mistake(
    "adagrad_step",
    "adagrad.not_summed",
    N_("the accumulator overwritten with g**2 instead of summing all squared gradients"),
    N_("Adagrad keeps summing: acc_new = acc + g**2 (starting from the accumulator passed in), and return acc_new"),
    examples=[((_W, _G, _ACC), {"lr": 0.1})],
)
@_adagrad_renderings
def adagrad_overwritten(w, g, acc, lr, epsilon, root):
    return w - lr * g / root(g * g, epsilon)


@_mistake(
    "adagrad_step",
    "adagrad.abs_not_square",
    N_("the accumulator sums |g| instead of g**2"),
    N_("accumulate the squared gradients: acc_new = acc + g**2 (then divide by sqrt(acc_new + epsilon))"),
    examples=[((_W, _G, _ACC), {"lr": 0.1})],
)
@_adagrad_renderings
def adagrad_abs(w, g, acc, lr, epsilon, root):
    return w - lr * g / root(acc + np.abs(g), epsilon)


@_mistake(
    "adagrad_step",
    "adagrad.g_not_squared",
    N_("the accumulator sums g instead of g**2: negative gradients shrink it (down to sqrt of a negative number, NaN)"),
    N_("accumulate the squared gradients, which are never negative: acc_new = acc + g**2"),
    examples=[((_W, _G, _ACC), {"lr": 0.1})],
)
@_adagrad_renderings
def adagrad_signed(w, g, acc, lr, epsilon, root):
    return w - lr * g / root(acc + g, epsilon)


@_mistake(
    "adagrad_step",
    "adagrad.no_sqrt",
    N_("the step divided by the accumulator itself instead of its square root"),
    N_("divide by the square root: w_new = w - lr * g / sqrt(acc_new + epsilon)"),
    examples=[((_W, _G, _ACC), {"lr": 0.1})],
)
def adagrad_no_sqrt(w, g, accumulator, lr=0.001, epsilon=1e-7):
    w, g = _f(w), _f(g)
    return _renderings(w, (w - lr * g / (_f(accumulator) + g * g + epsilon),))


@_mistake(
    "adagrad_step",
    "adagrad.default_lr_001",
    N_("default learning rate 0.01 (PyTorch's Adagrad default) instead of Keras' 0.001"),
    N_("keras.optimizers.Adagrad uses learning_rate=0.001 by default: write lr=0.001 in the signature"),
    examples=[((_W, _G, _ACC), {})],
)
def adagrad_default_001(w, g, accumulator, lr=_UNSET, epsilon=1e-7):
    if lr is not _UNSET:
        raise _NotThisMistake("lr was passed")
    w, g = _f(w), _f(g)
    acc = _f(accumulator) + g * g
    return _renderings(w, tuple(w - 0.01 * g / root(acc, epsilon) for root in (_inside, _outside)))


@_mistake(
    "adagrad_step",
    "adagrad.epsilon_ignored",
    N_("the epsilon argument ignored (a fixed epsilon such as 1e-7 or 1e-6 instead of the one passed)"),
    N_(
        "use the epsilon the caller passed: w_new = w - lr * g / sqrt(acc_new + epsilon) (or / (sqrt(acc_new) + "
        "epsilon))"
    ),
    examples=[((_W, _G, _ACC), {"lr": 0.1, "epsilon": 0.05})],
)
def adagrad_epsilon_ignored(w, g, accumulator, lr=0.001, epsilon=1e-7):
    _epsilon_shows(epsilon)
    w, g = _f(w), _f(g)
    acc = _f(accumulator) + g * g
    return _renderings(w, tuple(w - lr * g / root(acc, e) for e in _FIXED_EPSILONS for root in (_inside, _outside)))


# -------------------------------------------------------------------------- rmsprop_step

_V = np.array([0.02, 0.4, 0.9], dtype=np.float32)


def _rmsprop_renderings(step):
    """``step(w, g, v, lr, rho, epsilon, root) -> w_new``, epsilon inside and outside the root."""

    def variant(w, g, velocity, lr=0.001, rho=0.9, epsilon=1e-7):
        w, g, velocity = _f(w), _f(g), _f(velocity)
        return _renderings(w, tuple(step(w, g, velocity, lr, rho, epsilon, root) for root in (_inside, _outside)))

    variant.__name__ = step.__name__
    return variant


@_mistake(
    "rmsprop_step",
    "rmsprop.rho_swapped",
    N_("rho and 1 - rho swapped: the new g**2 gets weight rho, the old average only 1 - rho"),
    N_("rho keeps the OLD average: v_new = rho * v + (1 - rho) * g**2"),
    examples=[((_W, _G, _V), {"lr": 0.01, "rho": 0.9})],
)
@_rmsprop_renderings
def rmsprop_swapped(w, g, v, lr, rho, epsilon, root):
    return w - lr * g / root((1 - rho) * v + rho * g * g, epsilon)


@_mistake(
    "rmsprop_step",
    "rmsprop.average_after_step",
    N_(
        "the step divided by the OLD average: v updated only after the step (the first step divides by almost 0 and is "
        "huge)"
    ),
    N_(
        "update the average first and divide by the new one: v_new = rho * v + (1 - rho) * g**2; w_new = w - lr * g / "
        "sqrt(v_new + epsilon)"
    ),
    examples=[((_W, _G, _V), {"lr": 0.01, "rho": 0.9})],
)
@_rmsprop_renderings
def rmsprop_old_average(w, g, v, lr, rho, epsilon, root):
    return w - lr * g / root(v, epsilon)


@_mistake(
    "rmsprop_step",
    "rmsprop.undamped_square",
    N_("the new g**2 added without the factor (1 - rho): v = rho * v + g**2"),
    N_("a moving average weights the new value by (1 - rho): v_new = rho * v + (1 - rho) * g**2"),
    examples=[((_W, _G, _V), {"lr": 0.01, "rho": 0.9})],
)
@_rmsprop_renderings
def rmsprop_undamped(w, g, v, lr, rho, epsilon, root):
    return w - lr * g / root(rho * v + g * g, epsilon)


@_mistake(
    "rmsprop_step",
    "rmsprop.average_not_kept",
    N_("the moving average does not carry over: v = (1 - rho) * g**2 at every step"),
    N_(
        "start from the velocity passed in: v_new = rho * velocity + (1 - rho) * g**2, and return v_new for the next "
        "call"
    ),
    examples=[((_W, _G, _V), {"lr": 0.01, "rho": 0.9})],
)
@_rmsprop_renderings
def rmsprop_not_kept(w, g, v, lr, rho, epsilon, root):
    return w - lr * g / root((1 - rho) * g * g, epsilon)


@_mistake(
    "rmsprop_step",
    "rmsprop.no_sqrt",
    N_("the step divided by the average itself instead of its square root"),
    N_("divide by the square root: w_new = w - lr * g / sqrt(v_new + epsilon)"),
    examples=[((_W, _G, _V), {"lr": 0.01, "rho": 0.9})],
)
def rmsprop_no_sqrt(w, g, velocity, lr=0.001, rho=0.9, epsilon=1e-7):
    w, g = _f(w), _f(g)
    return _renderings(w, (w - lr * g / (rho * _f(velocity) + (1 - rho) * g * g + epsilon),))


@_mistake(
    "rmsprop_step",
    "rmsprop.default_rho_099",
    N_("default rho 0.99 (PyTorch's alpha) instead of Keras' 0.9"),
    N_("keras.optimizers.RMSprop uses rho=0.9 by default: write rho=0.9 in the signature"),
    examples=[((_W, _G, _V), {})],
)
def rmsprop_default_099(w, g, velocity, lr=0.001, rho=_UNSET, epsilon=1e-7):
    if rho is not _UNSET:
        raise _NotThisMistake("rho was passed")
    w, g = _f(w), _f(g)
    v = 0.99 * _f(velocity) + 0.01 * g * g
    return _renderings(w, tuple(w - lr * g / root(v, epsilon) for root in (_inside, _outside)))


@_mistake(
    "rmsprop_step",
    "rmsprop.epsilon_ignored",
    N_("the epsilon argument ignored (a fixed epsilon such as 1e-7 or 1e-6 instead of the one passed)"),
    N_("use the epsilon the caller passed: w_new = w - lr * g / sqrt(v_new + epsilon) (or / (sqrt(v_new) + epsilon))"),
    examples=[((_W, _G, _V), {"lr": 0.01, "rho": 0.9, "epsilon": 0.05})],
)
def rmsprop_epsilon_ignored(w, g, velocity, lr=0.001, rho=0.9, epsilon=1e-7):
    _epsilon_shows(epsilon)
    w, g = _f(w), _f(g)
    v = rho * _f(velocity) + (1 - rho) * g * g
    return _renderings(w, tuple(w - lr * g / root(v, e) for e in _FIXED_EPSILONS for root in (_inside, _outside)))


# ----------------------------------------------------------------------------- adam_step

_M = np.array([0.05, -0.1, 0.2], dtype=np.float32)
_V2 = np.array([0.01, 0.03, 0.05], dtype=np.float32)


def _adam_forms(w, lr, epsilon, m_new, v_new, c1, c2):
    """The step in Keras' form (corrections folded into the step size) and in the textbook's
    (m_hat / (sqrt(v_hat) + epsilon)); ``c1``, ``c2`` are the bias-correction divisors."""
    with np.errstate(divide="ignore", invalid="ignore"):  # c1 = c2 = 0 for adam.t_minus_one
        return (
            w - lr * np.sqrt(c2) / c1 * m_new / (np.sqrt(v_new) + epsilon),
            w - lr * (m_new / c1) / (np.sqrt(v_new / c2) + epsilon),
        )


def _adam_args(w, g, m, v):
    return _f(w), _f(g), _f(m), _f(v)


_ADAM_EXAMPLES = [((_W, _G, _M, _V2, 3), {"lr": 0.01}), ((_W, _G, 0 * _M, 0 * _V2, 1), {"lr": 0.1})]


@_mistake(
    "adam_step",
    "adam.no_bias_correction",
    N_(
        "no bias correction: m and v, which start at 0, are used without dividing by 1 - beta**t, so the first steps "
        "have the wrong size"
    ),
    N_(
        "divide by 1 - beta**t with the 1-based step t: m_hat = m_new / (1 - beta_1**t), v_hat = v_new / (1 - "
        "beta_2**t), w_new = w - lr * m_hat / (sqrt(v_hat) + epsilon)"
    ),
    examples=_ADAM_EXAMPLES,
)
def adam_uncorrected(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_1 * m + (1 - beta_1) * g
    v_new = beta_2 * v + (1 - beta_2) * g * g
    return _renderings(w, _adam_forms(w, lr, epsilon, m_new, v_new, 1.0, 1.0))


@_mistake(
    "adam_step",
    "adam.m_only_correction",
    N_("bias correction of m only: v is used without dividing by 1 - beta_2**t"),
    N_("correct both moments: v_hat = v_new / (1 - beta_2**t) as well as m_hat = m_new / (1 - beta_1**t)"),
    examples=_ADAM_EXAMPLES,
)
def adam_m_only(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_1 * m + (1 - beta_1) * g
    v_new = beta_2 * v + (1 - beta_2) * g * g
    return _renderings(w, _adam_forms(w, lr, epsilon, m_new, v_new, 1 - beta_1**t, 1.0))


@_mistake(
    "adam_step",
    "adam.t_plus_one",
    N_("t counted from 0: the bias correction uses t + 1, but t is already 1 on the first call"),
    N_(
        "use t as given (it is 1-based): m_hat = m_new / (1 - beta_1**t), v_hat = v_new / (1 - beta_2**t); do not add "
        "1 to it"
    ),
    examples=_ADAM_EXAMPLES,
)
def adam_t_plus_one(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_1 * m + (1 - beta_1) * g
    v_new = beta_2 * v + (1 - beta_2) * g * g
    return _renderings(w, _adam_forms(w, lr, epsilon, m_new, v_new, 1 - beta_1 ** (t + 1), 1 - beta_2 ** (t + 1)))


@_mistake(
    "adam_step",
    "adam.t_minus_one",
    N_("the bias correction uses t - 1: on the first call 1 - beta**0 = 0 and the step is 0/0 = NaN"),
    N_("t is already the 1-based step number: divide by 1 - beta_1**t and 1 - beta_2**t"),
    examples=_ADAM_EXAMPLES,
)
def adam_t_minus_one(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_1 * m + (1 - beta_1) * g
    v_new = beta_2 * v + (1 - beta_2) * g * g
    return _renderings(w, _adam_forms(w, lr, epsilon, m_new, v_new, 1 - beta_1 ** (t - 1), 1 - beta_2 ** (t - 1)))


@_mistake(
    "adam_step",
    "adam.betas_swapped",
    N_("beta_1 and beta_2 swapped: m averaged with beta_2 and v with beta_1"),
    N_(
        "beta_1 (0.9) goes with the gradient average m, beta_2 (0.999) with the squared-gradient average v: m_new = "
        "beta_1 * m + (1 - beta_1) * g; v_new = beta_2 * v + (1 - beta_2) * g**2"
    ),
    examples=_ADAM_EXAMPLES[:1],
)
def adam_betas_swapped(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_2 * m + (1 - beta_2) * g
    v_new = beta_1 * v + (1 - beta_1) * g * g
    # The corrections either kept right (1 - beta_1**t for m) or swapped along with the averages;
    # the latter equals Adam on a first step from zero state (hence only the t = 3 example).
    return _renderings(
        w,
        _adam_forms(w, lr, epsilon, m_new, v_new, 1 - beta_1**t, 1 - beta_2**t)
        + _adam_forms(w, lr, epsilon, m_new, v_new, 1 - beta_2**t, 1 - beta_1**t),
    )


@_mistake(
    "adam_step",
    "adam.decay_swapped",
    N_("beta and 1 - beta swapped in the moving averages: the new gradient gets weight beta"),
    N_("beta keeps the OLD average: m_new = beta_1 * m + (1 - beta_1) * g; v_new = beta_2 * v + (1 - beta_2) * g**2"),
    examples=_ADAM_EXAMPLES,
)
def adam_decay_swapped(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = (1 - beta_1) * m + beta_1 * g
    v_new = (1 - beta_2) * v + beta_2 * g * g
    return _renderings(w, _adam_forms(w, lr, epsilon, m_new, v_new, 1 - beta_1**t, 1 - beta_2**t))


@_mistake(
    "adam_step",
    "adam.m_undamped",
    N_("the gradient average built like PyTorch's momentum, m = beta_1 * m + g, without the factor (1 - beta_1)"),
    N_("Adam's m is a moving average: m_new = beta_1 * m + (1 - beta_1) * g"),
    examples=_ADAM_EXAMPLES,
)
def adam_m_undamped(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_1 * m + g
    v_new = beta_2 * v + (1 - beta_2) * g * g
    return _renderings(w, _adam_forms(w, lr, epsilon, m_new, v_new, 1 - beta_1**t, 1 - beta_2**t))


@_mistake(
    "adam_step",
    "adam.no_sqrt",
    N_("the step divided by v instead of by its square root"),
    N_("divide by the square root of the second moment: w_new = w - lr * m_hat / (sqrt(v_hat) + epsilon)"),
    examples=_ADAM_EXAMPLES,
)
def adam_no_sqrt(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_1 * m + (1 - beta_1) * g
    v_new = beta_2 * v + (1 - beta_2) * g * g
    c1, c2 = 1 - beta_1**t, 1 - beta_2**t
    return _renderings(
        w, (w - lr * np.sqrt(c2) / c1 * m_new / (v_new + epsilon), w - lr * (m_new / c1) / (v_new / c2 + epsilon))
    )


@_mistake(
    "adam_step",
    "adam.epsilon_ignored",
    N_("the epsilon argument ignored (a fixed epsilon such as 1e-7 or 1e-8 instead of the one passed)"),
    N_("use the epsilon the caller passed: w_new = w - lr * m_hat / (sqrt(v_hat) + epsilon)"),
    examples=[((_W, _G, _M, _V2, 3), {"lr": 0.01, "epsilon": 0.05})],
)
def adam_epsilon_ignored(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    _epsilon_shows(epsilon)
    w, g, m, v = _adam_args(w, g, m, v)
    m_new = beta_1 * m + (1 - beta_1) * g
    v_new = beta_2 * v + (1 - beta_2) * g * g
    c1, c2 = 1 - beta_1**t, 1 - beta_2**t
    return _renderings(w, sum((_adam_forms(w, lr, e, m_new, v_new, c1, c2) for e in _FIXED_EPSILONS), ()))
