"""Checks for the ``optimizers`` topic: weight trajectories compared with Keras optimizers.

Every check drives the student's step function and a Keras optimizer (``apply_gradients`` on
a ``tf.Variable``) with the SAME gradient sequence: at each step the gradient of a quadratic
bowl ``g = A (w - w*)`` is computed at Keras' current weights and handed to both. Only the
weights are compared, step by step; the student's state arrays are passed back untouched
(their convention is free), only their starting value is fixed.

The Keras side depends only on the check's inputs, never on what the student returns, so it is
a ``reference`` value: computed once per seed and TF version and shared by a batch's students.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import allclose, as_tuple, assert_allclose
from grader.i18n import t
from grader.sandbox.student import Prev

# Tolerance on the weights (|w| is at most ~8 here). Keras on a float32 variable rounds w
# and its state to float32 at every step; over 200 steps that drifts by up to ~1e-5 from an
# exact float64 trajectory, and a float32-throughout student drifts the other way.
# 4e-5 + 4e-5*|w| keeps that margin while every catalogued mistake is off by > 1e-3.
RTOL, ATOL = 4e-5, 4e-5

W_ONE = np.array([1.0], dtype=np.float32)  # the course notes' var = tf.Variable(1.0)


# ------------------------------------------------------------------------------ bowls


class Bowl:
    """Noisy gradients of the quadratic loss ``0.5 (w - w*)^T A (w - w*)`` (flattened weights).

    ``grad(w, k)`` is the exact gradient at ``w`` disturbed by the k-th precomputed noise
    (additive or multiplicative), like a minibatch gradient: its size varies from step to
    step, so the moving averages' decay rates (rho, beta_1, beta_2) change the weights.
    """

    def __init__(self, A, w_star, w0, shape, dtype, kind, add=None, mul=None):
        self.A, self.w_star, self.w0 = A, w_star, w0
        self.shape, self.dtype, self.kind = shape, np.dtype(dtype), kind
        self.add, self.mul = add, mul

    def grad(self, w, k):
        d = np.asarray(w, dtype=np.float64).reshape(-1) - self.w_star
        g = self.A @ d
        if self.mul is not None:
            g = g * self.mul[k - 1]
        if self.add is not None:
            g = g + self.add[k - 1]
        return g.reshape(self.shape).astype(self.dtype)

    def key(self):
        """Everything the gradients depend on (the reference store's key)."""
        return ("bowl", self.A, self.w_star, self.w0, self.shape, self.dtype.str, self.kind, self.add, self.mul)

    def describe(self):
        if self.kind == "rotated":
            return t(
                "rotated quadratic bowl with noisy gradients, w of shape {shape} and dtype {dtype}",
                shape=self.shape,
                dtype=self.dtype.name,
            )
        return t(
            "axis-aligned quadratic bowl with noisy gradients, w of shape {shape} and dtype {dtype}",
            shape=self.shape,
            dtype=self.dtype.name,
        )


def coupled_bowl(rng, shape, dtype, steps, lam=(0.1, 1.0), spread=2.0, noise=0.3):
    """A random rotated bowl with curvatures in ``lam`` (gradients mix all weights) plus
    additive gradient noise of standard deviation ``noise``."""
    n = int(np.prod(shape))
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = q @ np.diag(rng.uniform(*lam, size=n)) @ q.T
    w_star = rng.normal(0, 1, size=n)
    w0 = (w_star + rng.normal(0, spread, size=n)).reshape(shape).astype(dtype)
    return Bowl(A, w_star, w0, shape, dtype, "rotated", add=rng.normal(0, noise, size=(steps, n)))


def axis_bowl(rng, shape, dtype, steps, lo=3.0, hi=5.0, growth=1.0):
    """An axis-aligned bowl with every weight 3..5 away from the minimum; each gradient
    component is scaled by a random factor in [0.3, 1.7] at every step (and by a factor
    rising smoothly to ``growth`` over the run, which makes long averages differ from
    short ones).

    Adaptive methods (RMSprop, Adam) divide by sqrt(v); starting far from the minimum with a
    small learning rate keeps |g| >= ~0.15 for the whole run, so v >> epsilon and the
    placement of epsilon (inside or outside the square root) changes w by < 1e-7.
    """
    n = int(np.prod(shape))
    A = np.diag(rng.uniform(0.5, 2.0, size=n))
    w_star = rng.normal(0, 1, size=n)
    off = rng.choice([-1.0, 1.0], size=n) * rng.uniform(lo, hi, size=n)
    w0 = (w_star + off).reshape(shape).astype(dtype)
    mul = rng.uniform(0.3, 1.7, size=(steps, n)) * growth ** (np.arange(steps) / steps)[:, None]
    return Bowl(A, w_star, w0, shape, dtype, "axis-aligned", mul=mul)


class SignBowl:
    """Gradients of a prescribed size pointing down an axis-aligned bowl: ``g = sign(w - w*) * size[k]``.

    The sizes are chosen up front (per step and weight) so that the squared-gradient statistic
    of Adagrad or RMSprop, which depends only on the sizes, sits exactly where epsilon's two
    accepted placements agree (see :func:`epsilon_neutral`); the signs follow the student's
    weights, so the trajectory still walks down to the minimum and the steps pile up.
    """

    kind = "sign"

    def __init__(self, w_star, w0, sizes, dtype):
        self.w_star, self.w0, self.sizes = w_star, w0, sizes
        self.shape, self.dtype = w0.shape, np.dtype(dtype)

    def grad(self, w, k):
        d = np.asarray(w, dtype=np.float64).reshape(-1) - self.w_star
        return (np.where(d >= 0, 1.0, -1.0) * self.sizes[k - 1]).reshape(self.shape).astype(self.dtype)

    def key(self):
        return ("sign", self.w_star, self.w0, self.sizes, self.dtype.str)

    def describe(self):
        return t(
            "quadratic bowl with gradients of prescribed size (epsilon's two placements agree exactly on them), "
            "w of shape {shape} and dtype {dtype}",
            shape=self.shape,
            dtype=self.dtype.name,
        )


def epsilon_neutral(epsilon):
    """The accumulated square s at which epsilon's two accepted placements give the same step.

    sqrt(s + eps) == sqrt(s) + eps exactly when sqrt(s) = (1 - eps) / 2 (then both equal
    (1 + eps) / 2). Feeding Adagrad/RMSprop gradients that keep s there makes Keras' form and the
    textbook's identical, while an epsilon that is ignored changes every step by ~2 * eps.
    """
    return ((1.0 - epsilon) / 2.0) ** 2


def _sign_start(rng, n, dtype, shape):
    w_star = rng.normal(0, 1, size=n)
    w0 = (w_star + rng.choice([-1.0, 1.0], size=n) * rng.uniform(3, 5, size=n)).reshape(shape).astype(dtype)
    return w_star, w0


def adagrad_epsilon_bowl(rng, shape, dtype, epsilon, steps=4):
    """Each weight gets one gradient, at its own step, of the size that takes its accumulator from
    0.1 to :func:`epsilon_neutral`; before and after it gets 0 (a sparse gradient: the accumulator
    must carry over unchanged)."""
    n = int(np.prod(shape))
    w_star, w0 = _sign_start(rng, n, dtype, shape)
    when = rng.permutation(np.arange(n) % steps)  # every step updates some weights
    sizes = np.zeros((steps, n))
    sizes[when, np.arange(n)] = np.sqrt(epsilon_neutral(epsilon) - 0.1)
    return SignBowl(w_star, w0, sizes, dtype)


def rmsprop_epsilon_bowl(rng, shape, dtype, epsilon, rho, steps):
    """v = rho * v + (1 - rho) * g**2 starts at 0: the first gradient fills it to
    :func:`epsilon_neutral`, every later one (of that size) keeps it there."""
    n = int(np.prod(shape))
    w_star, w0 = _sign_start(rng, n, dtype, shape)
    s = epsilon_neutral(epsilon)
    sizes = np.full((steps, n), np.sqrt(s))
    sizes[0] = np.sqrt(s / (1.0 - rho))
    return SignBowl(w_star, w0, sizes, dtype)


def adam_epsilon_bowl(rng, shape, dtype, steps, quiet):
    """An axis-aligned bowl whose gradients (|g| ~ 0.01-0.2, comparable to the epsilons used) are 0
    for the first ``quiet`` steps: Adam's state stays 0 and only t advances, so by the first real
    gradient 1 - beta_2**t is 1 to ~1e-6 and Keras' folded form equals the textbook's
    m_hat / (sqrt(v_hat) + epsilon), while the epsilon itself still changes every step."""
    bowl = axis_bowl(rng, shape, dtype, steps)
    bowl.mul = bowl.mul * 0.02
    bowl.mul[:quiet] = 0.0
    return bowl


# ------------------------------------------------------------------------- the driver


def _initial_state(fn, w0):
    z = np.zeros_like(w0)
    return {
        "sgd_step": (),
        "momentum_step": (z,),
        "adagrad_step": (np.full_like(w0, 0.1),),
        "rmsprop_step": (z,),
        "adam_step": (z, z.copy()),
    }[fn]


def _keras_optimizer(keras, fn, hp):
    """The Keras optimizer the student function matches, with the same hyperparameters."""
    kw = dict(hp)
    if "lr" in kw:
        kw["learning_rate"] = kw.pop("lr")
    if fn == "sgd_step":
        return keras.optimizers.SGD(**kw)
    if fn == "momentum_step":
        kw.setdefault("momentum", 0.9)  # momentum_step's default; Keras' SGD defaults to 0
        return keras.optimizers.SGD(**kw)
    if fn == "adagrad_step":
        return keras.optimizers.Adagrad(initial_accumulator_value=0.1, **kw)
    if fn == "rmsprop_step":
        return keras.optimizers.RMSprop(**kw)
    if fn == "adam_step":
        return keras.optimizers.Adam(**kw)
    raise KeyError(fn)


def _fmt_hp(hp):
    return ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in hp.items())


def keras_trajectory(tf, keras, fn, w0, grad, steps, hp):
    """The gradients fed and the weights after every step of the Keras optimizer ``fn`` matches.

    ``grad(w, k)`` gives the k-th step's gradient at Keras' current weights. Returns
    ``(gradients, weights)``, each of shape ``(steps, *w0.shape)`` and w0's dtype.
    """
    dtype = w0.dtype
    var = tf.Variable(w0)
    opt = _keras_optimizer(keras, fn, hp)
    opt.build([var])
    apply = tf.function(lambda gt: opt.apply_gradients([(gt, var)]))
    w, gs, ws = w0, [], []
    for k in range(1, steps + 1):
        g = np.asarray(grad(w, k), dtype=dtype)
        apply(tf.constant(g))
        w = var.numpy()
        gs.append(g)
        ws.append(w)
    return np.stack(gs), np.stack(ws).astype(dtype, copy=False)


def run_trajectory(student, reference, tf, keras, fn, w0, grad, grad_key, steps, hp, where):
    """Drive ``fn`` with Keras' gradient sequence; compare w with Keras' after every step.

    ``grad_key`` names everything ``grad`` depends on (the reference's key); ``hp`` are keyword
    arguments for the student function (and, translated, for Keras).
    """
    gs, ws = reference(
        f"keras {fn} trajectory",
        lambda: keras_trajectory(tf, keras, fn, w0, grad, steps, hp),
        inputs=(fn, hp, w0, steps, grad_key),
    )
    state = _initial_state(fn, w0)
    w = w0.copy()
    n_out = 1 + len(state)
    call = f"{fn}(..., {_fmt_hp(hp)})" if hp else t("{fn}(...) with its default arguments", fn=fn)
    # The calls below, announced: the worker makes all of them in one round trip (each step's w and
    # state are the previous step's results, as below), and the loop takes their replies in order.
    state_args = tuple(Prev(i) for i in range(1, n_out))
    student.prefetch(
        fn,
        [((Prev(0), gs[k - 1], *state_args) + ((k,) if fn == "adam_step" else ()), hp) for k in range(1, steps + 1)],
        start=(w, *state),
        n_out=n_out,
    )
    for k in range(1, steps + 1):
        g = gs[k - 1]
        args = (w, g, *state) + ((k,) if fn == "adam_step" else ())
        got = student.call_pure(fn, *args, **hp)
        want = ws[k - 1]
        if n_out > 1:
            got = as_tuple(got, n_out, name=fn)
            w_new, state = got[0], tuple(got[1:])
        else:
            w_new = got
        if not allclose(w_new, want, rtol=RTOL, atol=ATOL):  # the message only for a failing step
            assert_allclose(
                w_new,
                want,
                rtol=RTOL,
                atol=ATOL,
                name=t("w after step {k} of {steps} ({call})", k=k, steps=steps, call=call),
                inputs=where,
            )
        w = w_new
    return w


def _grad_of_half_square(w, k):
    """Gradient of the course notes' loss w**2 / 2."""
    return np.asarray(w, dtype=np.float32)


def _course(student, reference, tf, keras, fn, hp, steps=1):
    run_trajectory(
        student,
        reference,
        tf,
        keras,
        fn,
        W_ONE.copy(),
        _grad_of_half_square,
        "w**2/2",
        steps,
        hp,
        where=t("the course notes' example: loss w**2/2 from w = 1"),
    )


def _bowl_trajectory(student, reference, tf, keras, fn, bowl, steps, hp):
    where = t(
        "{bowl}, starting at {w0}...", bowl=bowl.describe(), w0=np.array2string(bowl.w0.reshape(-1)[:3], precision=4)
    )
    run_trajectory(student, reference, tf, keras, fn, bowl.w0, bowl.grad, bowl.key(), steps, hp, where=where)


CASES = [  # (dtype, shape): a vector, a matrix and a conv kernel
    pytest.param(np.float32, (10,), id="float32-vector"),
    pytest.param(np.float64, (4, 3), id="float64-matrix"),
    pytest.param(np.float32, (3, 3, 2, 2), id="float32-kernel"),
]


# ----------------------------------------------------------------------------- sgd_step


@pytest.mark.about("sgd_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Work the course's step by hand: the loss w**2/2 has gradient w, so from w = 1 with lr 0.1 the "
    "new w is 0.9. Check the sign of your update (downhill) and that lr scales the gradient."
)
def test_sgd_step_course_example(student, reference, tf, keras):
    """sgd_step reproduces the course notes' example (lr 0.1 on w**2/2 from w = 1)"""
    _course(student, reference, tf, keras, "sgd_step", {"lr": 0.1})


@pytest.mark.about("sgd_step")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Check that your step works for every shape and dtype (a vector, a matrix, a 4-D kernel; float32 "
    "and float64) and uses the lr it is given; the message shows the first step where your w differs."
)
@pytest.mark.parametrize("dtype,shape", CASES)
def test_sgd_step_trajectory(student, reference, tf, keras, rng, dtype, shape):
    """50 sgd_step updates on a random quadratic bowl follow keras.optimizers.SGD"""
    bowl = coupled_bowl(rng, shape, dtype, steps=50)
    hp = {"lr": float(rng.uniform(0.2, 1.2))}
    _bowl_trajectory(student, reference, tf, keras, "sgd_step", bowl, 50, hp)


@pytest.mark.about("sgd_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls sgd_step(w, g) with no hyperparameters: check that your defaults are the stub's "
    "(Keras' SGD default) and that nothing inside the function overrides them."
)
def test_sgd_step_default_lr(student, reference, tf, keras, rng):
    """sgd_step(w, g) uses Keras' default learning rate 0.01"""
    bowl = coupled_bowl(rng, (6,), np.float32, steps=10)
    _bowl_trajectory(student, reference, tf, keras, "sgd_step", bowl, 10, {})


# ------------------------------------------------------------------------ momentum_step


@pytest.mark.about("momentum_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Work the course's two steps by hand: w goes from 1 to 0.9, then to 0.72 (steps of 0.1, then "
    "0.18). If step 1 is right and step 2 is not, look at how the new velocity combines the old one "
    "with the gradient."
)
def test_momentum_step_course_example(student, reference, tf, keras):
    """momentum_step reproduces the course notes' two steps (0.1 then 0.18) with lr 0.1, momentum 0.9"""
    _course(student, reference, tf, keras, "momentum_step", {"lr": 0.1, "momentum": 0.9}, steps=2)


@pytest.mark.about("momentum_step")
@pytest.mark.points(2)
@pytest.mark.hint(
    "If the first steps match but later ones drift, check the velocity you hand back: the next call "
    "continues from exactly what you hand back, so it must be this step's new velocity, not the old "
    "one."
)
@pytest.mark.parametrize("dtype,shape", CASES)
def test_momentum_step_trajectory(student, reference, tf, keras, rng, dtype, shape):
    """100 momentum_step updates (nesterov=False) on a random quadratic bowl follow SGD(momentum)"""
    bowl = coupled_bowl(rng, shape, dtype, steps=100)
    hp = {"lr": float(rng.uniform(0.05, 0.3)), "momentum": float(rng.uniform(0.5, 0.95)), "nesterov": False}
    _bowl_trajectory(student, reference, tf, keras, "momentum_step", bowl, 100, hp)


@pytest.mark.about("momentum_step")
@pytest.mark.points(2)
@pytest.mark.hint(
    "With nesterov=True, check which velocity the weight update looks ahead with: Keras uses the "
    "freshly updated one. The velocity you hand back is updated exactly as without Nesterov."
)
@pytest.mark.parametrize("dtype,shape", CASES[:2])
def test_momentum_step_nesterov_trajectory(student, reference, tf, keras, rng, dtype, shape):
    """100 momentum_step updates with nesterov=True follow SGD(momentum, nesterov=True)"""
    bowl = coupled_bowl(rng, shape, dtype, steps=100)
    hp = {"lr": float(rng.uniform(0.05, 0.3)), "momentum": float(rng.uniform(0.5, 0.95)), "nesterov": True}
    _bowl_trajectory(student, reference, tf, keras, "momentum_step", bowl, 100, hp)


@pytest.mark.about("momentum_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls momentum_step(w, g, velocity) with no hyperparameters: check that your defaults "
    "are the stub's (lr 0.01, momentum 0.9, no Nesterov) and that nothing inside the function "
    "overrides them."
)
def test_momentum_step_defaults(student, reference, tf, keras, rng):
    """momentum_step(w, g, velocity) with its defaults follows SGD(0.01, momentum=0.9)"""
    bowl = coupled_bowl(rng, (6,), np.float32, steps=20)
    _bowl_trajectory(student, reference, tf, keras, "momentum_step", bowl, 20, {})


# ------------------------------------------------------------------------- adagrad_step


@pytest.mark.about("adagrad_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the order within a step: the accumulator (starting at 0.1) takes in this step's squared "
    "gradient before it scales the step, so the course's first step from w = 1 uses an accumulator of "
    "1.1."
)
def test_adagrad_step_course_example(student, reference, tf, keras):
    """adagrad_step reproduces the course notes' example (lr 0.1, initial accumulator 0.1)"""
    _course(student, reference, tf, keras, "adagrad_step", {"lr": 0.1, "epsilon": 1e-7})


@pytest.mark.about("adagrad_step")
@pytest.mark.points(2)
@pytest.mark.hint(
    "If early steps match and later ones drift, check the accumulator you hand back: it must keep "
    "summing squared gradients over all steps (never averaged or reset), and the next call starts "
    "from it."
)
@pytest.mark.parametrize("dtype,shape", CASES)
def test_adagrad_step_trajectory(student, reference, tf, keras, rng, dtype, shape):
    """100 adagrad_step updates on a random quadratic bowl follow keras.optimizers.Adagrad"""
    bowl = coupled_bowl(rng, shape, dtype, steps=100)
    hp = {"lr": float(rng.uniform(0.05, 0.5))}
    _bowl_trajectory(student, reference, tf, keras, "adagrad_step", bowl, 100, hp)


@pytest.mark.about("adagrad_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls adagrad_step(w, g, accumulator) with no hyperparameters: check that your "
    "defaults are the stub's (Keras' Adagrad defaults) and that nothing inside the function overrides "
    "them."
)
def test_adagrad_step_defaults(student, reference, tf, keras, rng):
    """adagrad_step(w, g, accumulator) with its defaults follows Adagrad()"""
    bowl = coupled_bowl(rng, (6,), np.float32, steps=20)
    _bowl_trajectory(student, reference, tf, keras, "adagrad_step", bowl, 20, {})


@pytest.mark.about("adagrad_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check passes a large epsilon (0.01 to 0.1), where a fixed 1e-7 is visibly wrong: check that "
    "the epsilon argument is what you add; inside or outside the square root both pass."
)
@pytest.mark.parametrize("dtype,shape", CASES[:2])
def test_adagrad_step_uses_epsilon(student, reference, tf, keras, rng, dtype, shape):
    """adagrad_step with a large epsilon (0.01 to 0.1) follows Adagrad(epsilon=...); both placements of epsilon pass"""
    epsilon = float(rng.uniform(0.01, 0.1))
    bowl = adagrad_epsilon_bowl(rng, shape, dtype, epsilon)
    hp = {"lr": float(rng.uniform(0.2, 1.0)), "epsilon": epsilon}
    _bowl_trajectory(student, reference, tf, keras, "adagrad_step", bowl, len(bowl.sizes), hp)


# ------------------------------------------------------------------------- rmsprop_step


@pytest.mark.about("rmsprop_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check the order within a step: the average of squared gradients (starting at 0) is updated "
    "first, and that new average scales the step. From w = 1 the first step is lr / sqrt(1 - rho), "
    "about 0.32, larger than lr."
)
def test_rmsprop_step_course_example(student, reference, tf, keras):
    """rmsprop_step reproduces the course notes' example (lr 0.1 on w**2/2 from w = 1)"""
    _course(student, reference, tf, keras, "rmsprop_step", {"lr": 0.1})


@pytest.mark.about("rmsprop_step")
@pytest.mark.points(2)
@pytest.mark.hint(
    "Random rho values are used here: check which term rho weights (the old average, not the new "
    "square) and that you hand back the new average for the next call."
)
@pytest.mark.parametrize("dtype,shape", CASES)
def test_rmsprop_step_trajectory(student, reference, tf, keras, rng, dtype, shape):
    """100 rmsprop_step updates with random lr and rho follow keras.optimizers.RMSprop"""
    bowl = axis_bowl(rng, shape, dtype, steps=100)
    hp = {"lr": float(rng.uniform(0.005, 0.02)), "rho": float(rng.uniform(0.6, 0.99))}
    _bowl_trajectory(student, reference, tf, keras, "rmsprop_step", bowl, 100, hp)


@pytest.mark.about("rmsprop_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls rmsprop_step(w, g, velocity) with no hyperparameters: check that your defaults "
    "are the stub's (Keras' RMSprop defaults) and that nothing inside the function overrides them."
)
def test_rmsprop_step_defaults(student, reference, tf, keras, rng):
    """rmsprop_step(w, g, velocity) with its defaults follows RMSprop()"""
    bowl = axis_bowl(rng, (6,), np.float32, steps=20)
    _bowl_trajectory(student, reference, tf, keras, "rmsprop_step", bowl, 20, {})


@pytest.mark.about("rmsprop_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check passes a large epsilon (0.01 to 0.1), where a fixed 1e-7 is visibly wrong: check that "
    "the epsilon argument is what you add; inside or outside the square root both pass."
)
@pytest.mark.parametrize("dtype,shape", CASES[:2])
def test_rmsprop_step_uses_epsilon(student, reference, tf, keras, rng, dtype, shape):
    """60 rmsprop_step updates with a large epsilon (0.01 to 0.1) follow RMSprop(epsilon=...); both placements pass"""
    epsilon, rho = float(rng.uniform(0.01, 0.1)), float(rng.uniform(0.6, 0.95))
    bowl = rmsprop_epsilon_bowl(rng, shape, dtype, epsilon, rho, steps=60)
    hp = {"lr": float(rng.uniform(0.02, 0.1)), "rho": rho, "epsilon": epsilon}
    _bowl_trajectory(student, reference, tf, keras, "rmsprop_step", bowl, 60, hp)


# ---------------------------------------------------------------------------- adam_step


@pytest.mark.about("adam_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "Check your first step: m and v start at 0 and t is 1, and with bias correction Adam's first step "
    "has length about lr (0.1 here, so w becomes about 0.9); a step of a very different length means "
    "a bias correction is missing."
)
def test_adam_step_course_example(student, reference, tf, keras):
    """adam_step reproduces the course notes' example (lr 0.1 on w**2/2 from w = 1)"""
    _course(student, reference, tf, keras, "adam_step", {"lr": 0.1})


@pytest.mark.about("adam_step")
@pytest.mark.points(2)
@pytest.mark.hint(
    "If the first steps match and later ones drift, check the m and v you hand back (the next call "
    "continues from them, so they are the running averages, not bias-corrected) and that the bias "
    "correction uses the `t` it is given; the betas are random here."
)
@pytest.mark.parametrize("dtype,shape", CASES)
def test_adam_step_trajectory(student, reference, tf, keras, rng, dtype, shape):
    """200 adam_step updates with random lr and betas follow keras.optimizers.Adam"""
    bowl = axis_bowl(rng, shape, dtype, steps=200)
    hp = {
        "lr": float(rng.uniform(0.003, 0.01)),
        "beta_1": float(rng.uniform(0.7, 0.95)),
        "beta_2": float(rng.uniform(0.95, 0.9995)),
    }
    _bowl_trajectory(student, reference, tf, keras, "adam_step", bowl, 200, hp)


@pytest.mark.about("adam_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check calls adam_step(w, g, m, v, t) with no hyperparameters: check that your defaults are "
    "the stub's (Keras' Adam defaults) and that nothing inside the function overrides them."
)
def test_adam_step_defaults(student, reference, tf, keras, rng):
    """adam_step(w, g, m, v, t) with its defaults follows Adam()"""
    # Gradients growing 5x over 200 steps: beta_2 = 0.999 averages over all of them, a wrong
    # default (0.99) only over the last ~100, which changes the steps by several percent.
    bowl = axis_bowl(rng, (6,), np.float32, steps=200, growth=5.0)
    _bowl_trajectory(student, reference, tf, keras, "adam_step", bowl, 200, {})


@pytest.mark.about("adam_step")
@pytest.mark.points(1)
@pytest.mark.hint(
    "This check passes a large epsilon (0.01 to 0.1) after 40 steps without gradient: check that the "
    "epsilon argument is what you add to the square root of v. Keras' folded form and the textbook's "
    "both pass."
)
@pytest.mark.parametrize("dtype,shape", CASES[:2])
def test_adam_step_uses_epsilon(student, reference, tf, keras, rng, dtype, shape):
    """Adam with a large epsilon (0.01 to 0.1) after 40 steps without gradient follows Adam(epsilon=...); folded and textbook forms pass"""  # noqa: E501
    # beta_2 <= 0.7: after the 40 quiet steps 1 - beta_2**t > 1 - 1e-6 (see adam_epsilon_bowl).
    hp = {
        "lr": float(rng.uniform(0.01, 0.05)),
        "beta_1": float(rng.uniform(0.5, 0.9)),
        "beta_2": float(rng.uniform(0.5, 0.7)),
        "epsilon": float(rng.uniform(0.01, 0.1)),
    }
    bowl = adam_epsilon_bowl(rng, shape, dtype, steps=140, quiet=40)
    _bowl_trajectory(student, reference, tf, keras, "adam_step", bowl, 140, hp)
