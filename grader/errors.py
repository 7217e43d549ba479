"""The grader's error hierarchy.

Three families, kept apart on purpose:

* :class:`GraderError` and its subclasses are problems of the *grader* or of how it was
  invoked. They are raised once, travel up to the CLI and are reported there once, with an
  exit code (2 usage/config, 3 internal).
* :class:`StudentError` subclasses describe what the *student's code* did (not attempted,
  raised, timed out, crashed). They never escape a check: the pytest plugin turns them into
  a check status.
* A plain ``AssertionError`` / :class:`CheckFailed` inside a check means the student's
  answer was wrong: status ``failed``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from grader.status import Status


class ExitCode(enum.IntEnum):
    """The ``grader`` command's process status: the one definition every command uses."""

    OK = 0  # every check passed
    FAILED = 1  # some check did not pass (the student's code)
    USAGE = 2  # the CLI was misused or configured wrongly
    INTERNAL = 3  # the grader itself broke (a report is still written)
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


class GraderError(Exception):
    """Base of every error the CLI reports itself. ``exit_code`` picks the process status."""

    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str, *, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix


class UsageError(GraderError):
    """The CLI was misused or configured wrongly (exit 2)."""

    exit_code = ExitCode.USAGE


class InternalError(GraderError):
    """The grader itself broke (exit 3)."""

    exit_code = ExitCode.INTERNAL


# --------------------------------------------------------------------------- student side


class StudentError(Exception):
    """Something the student's code did; mapped to a check status by the plugin."""

    status = Status.ERROR

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAttempted(StudentError):
    """The function still raises NotImplementedError, or the module is missing."""

    status = Status.NOT_ATTEMPTED


class StudentRaised(StudentError):
    """The student's function raised an exception (other than NotImplementedError)."""

    status = Status.ERROR


class StudentImportFailed(StudentError):
    """The student's module could not be imported (syntax error, failing import...)."""

    status = Status.ERROR


class PolicyViolation(StudentError):
    """The submission broke a topic rule (e.g. TensorFlow in a numpy-only topic)."""

    status = Status.FAILED


class StudentTimeout(StudentError):
    status = Status.TIMEOUT


class StudentCrashed(StudentError):
    """The worker process died (exit, signal, memory limit) while running student code."""

    status = Status.ERROR


@dataclass
class CheckFailed(AssertionError):
    """A wrong answer, with structured details for the reports (diff tables etc.)."""

    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message
