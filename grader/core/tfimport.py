"""TensorFlow imported into a grading process without its native start-up lines on the terminal.

TensorFlow's C++ libraries log through absl before anything initializes absl logging, so
``TF_CPP_MIN_LOG_LEVEL`` no longer hides them (TF 2.21): every ``grader run`` printed
"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", the
oneDNN and CUDA notes twice, and, when the eager context probed for a GPU, an ``E0000 ...
failed call to cuInit: ... CUDA error`` -- seven lines, one of them an error, for a student
whose code was fine, written straight to file descriptor 2 through the spinner.

:func:`native_log_filtered` points descriptor 2 at a pipe for the length of the import; a
thread passes everything through to the real stderr as it comes (the spinner's partial lines,
a Python warning, a traceback, absl's fatal ``F`` lines) except whole lines in absl's
``I``/``W``/``E`` format and that header. Student code never runs in these processes, so
nothing a submission prints can be dropped here; workers have their own pipes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import sys
import threading
from collections.abc import Iterator
from typing import Any

# absl's prefix: severity, MMDD, time, thread id, file:line] -- as TF's native code writes it.
_ABSL_LINE = re.compile(
    rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\n"
    rb"|[IWE]\d{4} \d\d:\d\d:[\d.]+ +\d+ [^\s\]]+:\d+\] [^\n]*\n"
)
_JOIN_SECONDS = 2.0  # the forwarder drains what is left; a child holding the pipe cannot hold us longer


def drop_native_lines(data: bytes) -> bytes:
    """``data`` without the complete absl lines in it (anything else, partial lines too, kept)."""
    return _ABSL_LINE.sub(b"", data)


@contextlib.contextmanager
def native_log_filtered() -> Iterator[None]:
    """Inside the block, what is written to descriptor 2 reaches stderr without absl's start-up lines."""
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        real = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep clean
        yield
        return
    try:
        read_end, write_end = os.pipe()
    except OSError:  # out of descriptors: unfiltered rather than not at all
        os.close(real)
        yield
        return
    stop = threading.Event()
    # The thread owns ``real`` and ``read_end`` and closes them: it may outlive the join below.
    forwarder = threading.Thread(target=_forward, args=(read_end, real, stop), name="grader-tf-log", daemon=True)
    os.dup2(write_end, 2)
    os.close(write_end)
    forwarder.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(real, 2)  # the pipe's last write end goes: the forwarder reads to its end and stops
        stop.set()
        forwarder.join(_JOIN_SECONDS)  # so that what was written inside comes out before what follows


def _forward(read_end: int, real: int, stop: threading.Event) -> None:
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], 0.05)
            if not ready:
                if stop.is_set():
                    return
                continue
            data = os.read(read_end, 1 << 16)
            if not data:
                return
            kept = memoryview(drop_native_lines(data))
            while kept:
                try:
                    kept = kept[os.write(real, kept) :]
                except OSError:  # stderr is gone: drop, but keep draining the pipe
                    break
    finally:
        os.close(read_end)
        os.close(real)


def import_tensorflow(*, eager_context: bool = False) -> Any:
    """``import tensorflow`` with :func:`native_log_filtered`; returns the module.

    ``eager_context``: also create TensorFlow's eager context now, whose GPU probe logs the
    ``cuInit`` error. Never in a process that forks afterwards (a batch's fork server): the
    context starts thread pools that a forked child would not have.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_log_filtered():
        import tensorflow

        if eager_context:
            tensorflow.constant(1.0) + 1.0
    # Its Python warnings are about the grader's own reference computations (e.g. "triggered
    # tf.function retracing" when a batch computes many optimizer trajectories): nothing a student
    # or an instructor can act on, and they would land in the progress display.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return tensorflow
