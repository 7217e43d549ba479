"""Keep freed memory for reuse in a grading process instead of returning it to the OS at once.

The checks allocate and free many arrays of a few megabytes (an initializer check's 400,000
pooled values, their sort and CDF counts). glibc hands each such block back to the kernel when
it is freed, so the next one is fresh memory that faults in page by page: a third of the
two-sample KS test's time, ~10 % of a student's grading in a batch (benchmarks/bench_batch.py).
Raising glibc's mmap and trim thresholds makes those blocks come from, and go back to, the heap,
which the process keeps: its peak memory is what it holds (benchmarks/bench_soak.py follows it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

# mallopt(3) parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20  # glibc's documented maximum; bigger blocks (MNIST) still get their own mapping
_TRIM_THRESHOLD = 512 << 20  # the heap's free top is returned to the OS beyond this


@functools.cache
def keep_freed_memory() -> bool:
    """Tune this process's allocator once (glibc only; elsewhere a no-op); whether it was tuned."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
