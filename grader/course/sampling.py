"""Statistics the sampling checks (initializers) share: a fast, exact two-sample KS test."""

from __future__ import annotations

import numpy as np


def ks_2samp_sorted(a, b):
    """``scipy.stats.ks_2samp(a, b)``'s two-sided statistic and p-value, for samples already sorted.

    The statistic is the largest gap between the two empirical CDFs, evaluated (as scipy does) just
    right of every sample value, here only at the last copy of each value in each sample, where the
    CDF steps: the same numbers with two searches of sorted keys instead of scipy's two sorts and two
    searches of the unsorted union (a third of the time at 200,000 values each). The p-value is
    scipy's own asymptotic one for samples this large; small samples go to scipy itself.
    """
    from scipy import stats

    n, m = a.size, b.size
    if max(n, m) <= 10_000:  # scipy's 'auto' mode is exact there
        res = stats.ks_2samp(a, b)
        return float(res.statistic), float(res.pvalue)
    ends_a = np.flatnonzero(np.append(a[1:] != a[:-1], True))
    ends_b = np.flatnonzero(np.append(b[1:] != b[:-1], True))
    at_a = (ends_a + 1) / n - np.searchsorted(b, a[ends_a], side="right") / m
    at_b = np.searchsorted(a, b[ends_b], side="right") / n - (ends_b + 1) / m
    d = float(max(at_a.max(), at_b.max(), -at_a.min(), -at_b.min(), 0.0))
    big, small = max(n, m), min(n, m)
    p = stats.kstwo.sf(d, np.round(big * small / (big + small)))
    return d, float(np.clip(p, 0.0, 1.0))
