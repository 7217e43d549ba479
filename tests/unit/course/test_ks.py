"""The initializer checks' two-sample Kolmogorov-Smirnov test gives scipy's numbers exactly.

``ks_2samp_sorted`` is a faster route to ``scipy.stats.ks_2samp`` for samples the checks have
already sorted; a verdict must not depend on which route computed it, so the statistic and the
p-value are compared for equality (not closeness), with and without tied values, for sample
sizes on both sides of scipy's exact/asymptotic switch.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from grader.course.sampling import ks_2samp_sorted, ks_verdict


@pytest.mark.parametrize("n,m", [(200_000, 200_000), (20_001, 30_000), (12_000, 11_000), (500, 700)])
@pytest.mark.parametrize("ties", [False, True], ids=["continuous", "tied"])
@pytest.mark.parametrize("shift", [0.0, 0.05], ids=["same", "shifted"])
@pytest.mark.parametrize("values", ["float64", "float32"])  # float32 values (the samplers'): one sort of the union
def test_ks_2samp_sorted_equals_scipy(n, m, ties, shift, values):
    rng = np.random.default_rng(n + m)
    a, b = rng.standard_normal(n), rng.standard_normal(m) + shift
    if ties:  # float32 samples repeat values; rounding makes many repeats, within and across samples
        a, b = np.round(a, 2), np.round(b, 2)
    if values == "float32":
        a, b = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    a.sort()
    b.sort()
    want = stats.ks_2samp(a, b)
    assert ks_2samp_sorted(a, b) == (float(want.statistic), float(want.pvalue))


def test_ks_2samp_sorted_tells_a_truncated_normal_from_a_normal():
    rng = np.random.default_rng(0)
    normal = np.sort(rng.standard_normal(200_000))
    draws = rng.standard_normal(300_000)
    truncated = np.sort(draws[np.abs(draws) <= 2][:200_000])
    _, p_same = ks_2samp_sorted(normal, np.sort(rng.standard_normal(200_000)))
    _, p_diff = ks_2samp_sorted(normal, truncated)
    assert p_same > 1e-9 > p_diff


@pytest.mark.parametrize(
    "special",
    ["signed zeros", "subnormals", "one value only", "disjoint", "infinite"],
)
def test_ks_2samp_sorted_equals_scipy_on_edge_values(special):
    rng = np.random.default_rng(7)
    a = np.round(rng.standard_normal(20_000), 1).astype(np.float32).astype(np.float64)
    b = np.round(rng.standard_normal(30_000), 1).astype(np.float32).astype(np.float64)
    if special == "signed zeros":  # -0.0 equals 0.0: one value for scipy, whatever its sign bit
        a[a == 0] = -0.0
        zeros = np.flatnonzero(b == 0)
        b[zeros[::2]] = -0.0
    elif special == "subnormals":  # float32 subnormals next to 0 (one float32 step apart)
        tiny = np.float32(1e-45).astype(np.float64)
        a[: a.size // 3] = tiny
        b[: b.size // 4] = 0.0
        b[b.size // 4 : b.size // 2] = tiny
    elif special == "one value only":
        a[:], b[:] = 1.5, 1.5
    elif special == "disjoint":
        b += 100.0
    else:  # infinite: not an initializer's samples, so the searches
        a[-5:] = np.inf
    a.sort()
    b.sort()
    want = stats.ks_2samp(a, b)
    assert ks_2samp_sorted(a, b) == (float(want.statistic), float(want.pvalue))


# ks_verdict: the initializer checks' verdict, decided from bucket counts when they can decide it.


def _exact_rejects(a, b_sorted, p_min):
    return ks_2samp_sorted(np.sort(np.asarray(a, dtype=np.float64)), b_sorted)[1] < p_min


def _cases():
    """(label, a unsorted, b sorted): a correct sampler, near misses around the critical statistic,
    clear mistakes, values outside b's range, ties and a sample of one value."""
    rng = np.random.default_rng(11)
    n = 200_000
    b = np.sort(rng.standard_normal(n).astype(np.float32)).astype(np.float64)
    draws = rng.standard_normal(3 * n)
    out = [("same distribution", rng.standard_normal(n).astype(np.float32))]
    # Shifts around the critical statistic (~0.0103 at p = 1e-9): a shift of s moves the CDFs
    # apart by ~0.4 s at the centre, so these straddle it.
    for shift in (0.015, 0.022, 0.025, 0.026, 0.027, 0.03, 0.05):
        out.append((f"shifted {shift}", (rng.standard_normal(n) + shift).astype(np.float32)))
    out.append(("scaled 0.88 (truncation factor ignored)", (rng.standard_normal(n) * 0.88).astype(np.float32)))
    out.append(("truncated at 2 std", draws[np.abs(draws) <= 2][:n].astype(np.float32)))
    out.append(("beyond b's range", np.concatenate([rng.standard_normal(n - 50), np.full(50, 9.0)]).astype(np.float32)))
    out.append(("below b's range", np.concatenate([rng.standard_normal(n - 50), np.full(50, -9.0)]).astype(np.float32)))
    out.append(("ties (rounded)", np.round(rng.standard_normal(n), 2).astype(np.float32)))
    out.append(("one value", np.full(n, 0.25, np.float32)))
    out.append(("float64, unsorted", rng.standard_normal(n)))
    out.append(("another size", rng.standard_normal(150_001).astype(np.float32)))
    return b, out


@pytest.mark.parametrize("p_min", [1e-9, 1e-3])
def test_ks_verdict_is_the_exact_tests_verdict(p_min):
    b, cases = _cases()
    for label, a in cases:
        v = ks_verdict(a, b, p_min)
        assert v.rejected == _exact_rejects(a, b, p_min), label
        if v.statistic is None:  # decided from the buckets: the bound holds the exact statistic
            exact, _ = ks_2samp_sorted(np.sort(a.astype(np.float64)), b)
            assert exact <= v.at_most, label
        else:
            assert (v.statistic, v.pvalue) == ks_2samp_sorted(np.sort(a.astype(np.float64)), b), label


def test_ks_verdict_decides_a_correct_sampler_from_the_buckets_and_shows_every_rejection():
    b, cases = _cases()
    by_label = dict(cases)
    same = ks_verdict(by_label["same distribution"], b, 1e-9)
    assert not same.rejected and same.statistic is None and same.at_most < 0.0103
    wrong = ks_verdict(by_label["truncated at 2 std"], b, 1e-9)
    assert wrong.rejected and wrong.statistic is not None and wrong.pvalue < 1e-9


def test_ks_verdict_near_the_critical_statistic_goes_to_the_exact_test(monkeypatch):
    """A sample whose statistic is just below the critical one passes, but the buckets' upper bound
    (~1e-4 above the statistic) cannot show it: the exact test must run (its calls are counted)."""
    import grader.course.sampling as sampling

    rng = np.random.default_rng(5)
    n = 200_000
    b = np.sort(rng.standard_normal(n).astype(np.float32)).astype(np.float64)
    base = rng.standard_normal(n)
    critical = sampling._critical(n, n, 1e-9)

    def statistic(shift):
        return ks_2samp_sorted(np.sort((base + shift).astype(np.float32).astype(np.float64)), b)[0]

    lo, hi = 0.0, 0.1  # bisect the shift to a statistic within 5e-5 below the critical one
    while True:
        mid = (lo + hi) / 2
        d = statistic(mid)
        if critical - 5e-5 <= d < critical:
            break
        lo, hi = (mid, hi) if d < critical else (lo, mid)
    a = (base + mid).astype(np.float32)
    calls = []
    real = sampling._exact
    monkeypatch.setattr(sampling, "_exact", lambda *args: calls.append(1) or real(*args))
    v = ks_verdict(a, b, 1e-9)
    assert calls == [1] and not v.rejected and v.statistic == d
    calls.clear()
    assert ks_verdict((base + mid + 0.002).astype(np.float32), b, 1e-9).rejected and calls == [1]


@pytest.mark.parametrize("n", [5_000, 10_000])
def test_ks_verdict_of_small_samples_is_the_exact_test(n):
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal(n), np.sort(rng.standard_normal(n) + 0.1)
    v = ks_verdict(a, b, 1e-3)
    assert (v.statistic, v.pvalue) == ks_2samp_sorted(np.sort(a), b)
    assert v.rejected == (v.pvalue < 1e-3)
