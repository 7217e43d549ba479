"""Statistics the sampling checks (initializers) share: a fast, exact two-sample KS test, and its
verdict from bucket counts when those already decide it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

# Buckets of the bounded test (ks_verdict): 65,536 over the reference's range hold ~3 values of
# 200,000 each, so the bounds are ~1e-4 apart, against a critical statistic of ~0.01.
BUCKETS = 1 << 16
# Relative margin around the critical statistic inside which the exact test decides: the critical
# value comes from inverting scipy's p-value numerically, so a verdict this close is not trusted to it.
CRITICAL_MARGIN = 1e-6


@dataclass(frozen=True)
class KSVerdict:
    """The two-sample KS test at level ``p_min``: ``rejected``, with scipy's exact ``statistic`` and
    ``pvalue`` whenever they were computed (always when rejected), else None; ``at_most`` bounds the
    statistic from above (the statistic itself when computed)."""

    rejected: bool
    statistic: float | None
    pvalue: float | None
    at_most: float


def ks_verdict(a, b_sorted, p_min: float) -> KSVerdict:
    """``ks_2samp_sorted(sorted(a), b_sorted)[1] < p_min``, without sorting ``a`` when it need not.

    Both samples are counted into the same buckets (one monotone function of the value, so a
    bucket's upper end is one point where both empirical CDFs are read). Inside a bucket each CDF
    stays between its values at the bucket's two ends, which bounds the statistic from above. When
    that bound is below the critical statistic, the exact test cannot reject; otherwise the exact
    test runs (and a rejection's message shows its statistic). ``a`` may be unsorted float32 or
    float64; ``b_sorted`` is sorted float64. Same verdict as the exact test, by construction.
    """
    a = np.asarray(a)
    n, m = a.size, b_sorted.size
    lo, hi = (float(b_sorted[0]), float(b_sorted[-1])) if m else (0.0, 0.0)
    if min(n, m) <= 10_000 or not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        return _exact(a, b_sorted, p_min)
    critical = _critical(n, m, p_min)
    ca, cb = _bucket_cdf(a, lo, hi), _bucket_cdf(b_sorted, lo, hi)
    if ca is None:  # a value the buckets cannot place (NaN): the exact route says what it makes of it
        return _exact(a, b_sorted, p_min)
    fa, fb = ca / n, cb / m
    # Inside bucket k both CDFs lie between their values at the ends of buckets k-1 and k (below
    # bucket 0: between 0 and theirs at its end); above the last one both are 1.
    upper = float(max(np.abs(fa[1:] - fb[:-1]).max(), np.abs(fa[:-1] - fb[1:]).max(), fa[0], fb[0]))
    if upper < critical * (1 - CRITICAL_MARGIN):
        return KSVerdict(False, None, None, upper)
    return _exact(a, b_sorted, p_min)


def _exact(a, b_sorted, p_min: float) -> KSVerdict:
    a = np.sort(np.asarray(a, dtype=np.float64))
    d, p = ks_2samp_sorted(a, b_sorted)
    return KSVerdict(p < p_min, d, p, d)


def _bucket_cdf(x, lo: float, hi: float):
    """Counts at or below each bucket's upper end (index 0: below ``lo``; last: above ``hi``), or
    None if a value is NaN."""
    scale = BUCKETS / (hi - lo)
    t = np.subtract(x, lo, dtype=np.float64)
    t *= scale
    np.clip(t, -1.0, BUCKETS, out=t)  # below lo -> bucket 0, hi and above -> the last two
    if np.isnan(t).any():
        return None
    idx = t.astype(np.int64)
    idx += 1
    return np.cumsum(np.bincount(idx, minlength=BUCKETS + 2))


@functools.lru_cache(maxsize=64)
def _critical(n: int, m: int, p_min: float) -> float:
    """The statistic at which the asymptotic p-value of :func:`ks_2samp_sorted` reaches ``p_min``."""
    from scipy import stats

    big, small = max(n, m), min(n, m)
    return float(stats.kstwo.isf(p_min, np.round(big * small / (big + small))))


def ks_2samp_sorted(a, b):
    """``scipy.stats.ks_2samp(a, b)``'s two-sided statistic and p-value, for samples already sorted.

    The statistic is the largest gap between the two empirical CDFs, evaluated (as scipy does) just
    right of every sample value, where the CDFs step: the same numbers as scipy's, without its two
    sorts and two searches of the unsorted union (see :func:`_statistic`). The p-value is scipy's
    own asymptotic one for samples this large; small samples go to scipy itself.
    """
    from scipy import stats

    n, m = a.size, b.size
    if max(n, m) <= 10_000:  # scipy's 'auto' mode is exact there
        res = stats.ks_2samp(a, b)
        return float(res.statistic), float(res.pvalue)
    d = _statistic(a, b)
    big, small = max(n, m), min(n, m)
    p = stats.kstwo.sf(d, np.round(big * small / (big + small)))
    return d, float(np.clip(p, 0.0, 1.0))


def _statistic(a, b) -> float:
    """The largest CDF gap of sorted samples ``a`` and ``b``, from the counts of each at or below
    every value (integers, divided as scipy divides them, so the gaps are bit for bit scipy's)."""
    n, m = a.size, b.size
    if _float32_values(a) and _float32_values(b):
        # Float32 values held as float64 leave the mantissa's low bit free: it marks b's values, so
        # one sort of the union (faster than two searches of 200,000 keys) says which sample each
        # value came from, while a value's copies stay together (marked or not, they differ from every
        # other value by far more than that bit) and their counts are read at the last copy. Marking
        # keeps each half sorted, so the union is two sorted runs: a stable sort (timsort) merges
        # them in one pass, ~8x faster than quicksort, which sees no runs.
        one = np.uint64(1)
        union = np.empty(n + m)
        np.add(a, 0.0, out=union[:n])  # + 0.0: -0.0 becomes 0.0, the value it equals
        np.add(b, 0.0, out=union[n:])
        bits = union.view(np.uint64)
        np.bitwise_or(bits[n:], one, out=bits[n:])
        union.sort(kind="stable")
        # In place where it can be: at 400,000 values, fresh temporaries cost as much as the sort.
        below_b = (bits & one).view(np.int64)
        np.cumsum(below_b, out=below_b)
        np.bitwise_and(bits, ~one, out=bits)  # the values again
        last = np.empty(bits.size, dtype=bool)  # the last copy of each value
        np.not_equal(bits[1:], bits[:-1], out=last[:-1])
        last[-1] = True
        ends = np.flatnonzero(last)
        b_counts = below_b[ends]
        a_counts = ends + 1 - b_counts
        gaps = a_counts / n
        gaps -= b_counts / m
        return float(max(gaps.max(), -gaps.min(), 0.0))
    ends_a = np.flatnonzero(np.append(a[1:] != a[:-1], True))
    ends_b = np.flatnonzero(np.append(b[1:] != b[:-1], True))
    at_a = (ends_a + 1) / n - np.searchsorted(b, a[ends_a], side="right") / m
    at_b = np.searchsorted(a, b[ends_b], side="right") / n - (ends_b + 1) / m
    return float(max(at_a.max(), at_b.max(), -at_a.min(), -at_b.min(), 0.0))


def _float32_values(x) -> bool:
    """Whether sorted float64 ``x`` holds finite float32 values only (an initializer's samples)."""
    return (
        x.dtype == np.float64
        and bool(np.isfinite(x[0]) and np.isfinite(x[-1]))  # sorted: NaN would be last
        and bool(np.array_equal(x.astype(np.float32), x))
    )
