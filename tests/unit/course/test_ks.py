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
def test_ks_2samp_sorted_equals_scipy(n, m, ties, shift):
    rng = np.random.default_rng(n + m)
    a, b = rng.standard_normal(n), rng.standard_normal(m) + shift
    if ties:  # float32 samples repeat values; rounding makes many repeats, within and across samples
        a, b = np.round(a, 2), np.round(b, 2)
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
