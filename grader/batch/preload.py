"""What the batch's fork server imports once, before it forks the batch processes.

:mod:`grader.batch.pool` starts batch processes through :mod:`multiprocessing`'s fork server,
which imports this module first: TensorFlow, Keras, SciPy's statistics and the grader's check
modules are then imported once for the whole batch, not once per process (each import of
TensorFlow is ~4 s of CPU on a 2-core machine busy with the others). Nothing here leaves a
thread running or creates TensorFlow's eager context (whose thread pools would not survive a fork):
each batch process does that itself (:func:`grader.batch.process._init_process`).

Best effort: a failure here only costs the speed; the batch process imports again and reports.
"""

from __future__ import annotations

import contextlib
import gc


def _preload() -> None:
    from grader.core.catalog import available_topics, collect
    from grader.core.tfimport import import_tensorflow

    import_tensorflow()  # no eager context: this process forks; its native start-up lines filtered
    import keras  # noqa: F401
    import scipy.stats  # noqa: F401

    collect(available_topics())  # imports every check module (a failing one is its topic's error later)
    gc.collect()
    gc.freeze()  # shared, untouched, by every process forked from here


with contextlib.suppress(Exception):
    _preload()
