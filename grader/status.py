"""The verdict vocabulary: every status a check or a topic can have, defined once.

Both enums are ``str`` subclasses so they compare equal to their JSON spelling
(``Status.PASSED == "passed"``) and serialize as plain strings in results.json.
"""

from __future__ import annotations

import enum


def N_(msgid: str) -> str:
    # The extraction marker of grader.i18n, repeated here: this module sits below i18n.
    return msgid


class _StrEnum(str, enum.Enum):
    # str(Status.PASSED) is "passed" on every Python (3.10 included), like enum.StrEnum.
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)

    __hash__ = str.__hash__  # a Status is found in a dict keyed by its spelling, and the other way round


class Status(_StrEnum):
    """What happened to one check."""

    PASSED = "passed"
    FAILED = "failed"  # the student's answer was wrong
    ERROR = "error"  # the student's code raised, crashed or could not be imported (or the grader broke)
    TIMEOUT = "timeout"
    NOT_ATTEMPTED = "not_attempted"  # still a stub, or the module/function is missing

    @property
    def label(self) -> str:
        """The message id shown to people (translate with ``_``)."""
        return _LABELS[self.value]


class TopicStatus(_StrEnum):
    """What happened to one topic as a whole."""

    GRADED = "graded"
    NOT_ATTEMPTED = "not_attempted"
    ERROR = "error"  # the module could not be imported: every check of the topic shares that error
    NOT_GRADED = "not_graded"  # the grader could not grade it (e.g. data unavailable): left out of the score

    @property
    def label(self) -> str:
        return _LABELS[self.value]


# Both enums' spellings share one label table (not_attempted and error mean the same to a reader).
_LABELS = {
    "passed": N_("passed"),
    "failed": N_("failed"),
    "error": N_("error"),
    "timeout": N_("timeout"),
    "not_attempted": N_("not attempted"),
    "graded": N_("graded"),
    "not_graded": N_("not graded"),
}
STATUS_LABEL = dict(_LABELS)
