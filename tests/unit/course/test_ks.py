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

from grader.course.sampling import ks_2samp_sorted


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
