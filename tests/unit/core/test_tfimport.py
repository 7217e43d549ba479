"""TensorFlow's native start-up lines are filtered from a grading process's stderr, nothing else is."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from grader.core.tfimport import drop_native_lines
from tests.conftest import REPO

# As TF 2.21 writes them on a machine without a GPU (one `grader run`).
HEADER = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
ONEDNN = (
    b"I0000 00:00:1796685122.965623   15266 port.cc:153] oneDNN custom operations are on. You may see "
    b"slightly different numerical results due to floating-point round-off errors.\n"
)
CUDA = b"I0000 00:00:1796685122.967028   15266 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n"
CUINIT = (
    b"E0000 00:00:1796685126.104314   15266 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    b"CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
)
WARN = b"W1207 23:11:02.123456 4242 cpu_feature_guard.cc:210] This TensorFlow binary is optimized.\n"
FATAL = b"F0000 00:00:1796685126.104314   15266 kernel.cc:1] Check failed: the process aborts next\n"


def test_absl_lines_go_and_everything_else_stays():
    mixed = HEADER + b"spinner \xe2\xa0\x8b" + ONEDNN + CUDA + b"Traceback (most recent call last):\n" + CUINIT + WARN
    assert drop_native_lines(mixed) == b"spinner \xe2\xa0\x8bTraceback (most recent call last):\n"
    # Fatal lines (the reason for the abort that follows) and anything not in absl's form stay.
    others = (b"I0000 not a log line\n", b"UserWarning: something\n", b"E0000 00:00:1.5 1 x.cc:1] no newline")
    for kept in (FATAL, *others):
        assert drop_native_lines(kept) == kept


def _child(body: str) -> subprocess.Popen:
    code = "import os, sys, time\nfrom grader.core.tfimport import native_log_filtered\n" + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_a_process_writing_to_descriptor_2_keeps_its_order_and_loses_only_the_absl_lines():
    lines = [HEADER, ONEDNN, b"kept 1\n", CUDA, CUINIT, b"kept 2\n", FATAL]
    proc = _child(
        f"""
        os.write(2, b"before\\n")
        with native_log_filtered():
            for line in {lines!r}:
                os.write(2, line)  # as C++ writes: the descriptor, not sys.stderr
            print("python-level", file=sys.stderr)
        os.write(2, b"after\\n")
        """
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert err == b"before\nkept 1\nkept 2\n" + FATAL + b"python-level\nafter\n"


def test_a_partial_line_gets_through_at_once():
    """A spinner writes without a newline: it must not wait for the block to end."""
    proc = _child(
        """
        with native_log_filtered():
            os.write(2, b"spinning")
            sys.stdin.readline()  # held inside the block until the test has seen the partial line
        """
    )
    try:
        os.set_blocking(proc.stderr.fileno(), False)
        seen, deadline = b"", time.monotonic() + 30
        while b"spinning" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.read() or b""
            time.sleep(0.02)
        assert seen == b"spinning"
    finally:
        proc.communicate(b"\n", timeout=60)
    assert proc.returncode == 0


def test_without_a_stderr_the_block_still_runs():
    proc = _child(
        """
        os.close(2)
        with native_log_filtered():
            print("ran")
        """
    )
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out == b"ran\n"
