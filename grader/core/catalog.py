"""Which checks exist and what each is about and worth, without running any of them.

Intake (which notebook names to extract), authoring (points per function in handouts), the
catalogue tool and batch grading all ask these questions; the answers come from one pytest
``--collect-only`` session per set of topics, cached for the life of the process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import pytest

from grader.core.plugin import CheckMeta, GraderPlugin, meta_key
from grader.course.topics import BY_SLUG, TOPICS
from grader.errors import InternalError, UsageError

CHECKS_DIR = Path(__file__).resolve().parent.parent / "course" / "checks"


def available_topics() -> list[str]:
    """Topics that have a check module, in course order."""
    return [t.slug for t in TOPICS if (CHECKS_DIR / t.check_module).exists()]


def resolve_topics(requested: Iterable[str]) -> list[str]:
    """``requested`` in course order without duplicates; all topics when empty."""
    requested = list(requested)
    known = available_topics()
    if not requested:
        return known
    unknown = [t for t in requested if t not in known]
    if unknown:
        raise UsageError(
            f"unknown topic(s): {', '.join(unknown)}",
            fix=f"choose from: {', '.join(known)} (see `grader list`)",
        )
    return [t for t in known if t in requested]


@contextlib.contextmanager
def quiet_pytest_env() -> Iterator[None]:
    """Third-party pytest plugins installed next to the grader must not join a grading run."""
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old


def pytest_args(topics: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    files = [str(CHECKS_DIR / BY_SLUG[t].check_module) for t in topics]
    return [
        *files,
        "-c",
        str(CHECKS_DIR / "grader.ini"),
        "--rootdir",
        str(CHECKS_DIR),
        "-p",
        "no:terminal",
        # A check's assert message is the student's message. Rewritten asserts explain a failed
        # comparison through the terminal writer that no:terminal removes, and that failure
        # replaced the message with an empty AssertionError ("wrong answer").
        "--assert=plain",
        # A check module that fails to import is one topic's internal error (the plugin records
        # it); the other topics are still graded.
        "--continue-on-collection-errors",
        # It only turns exceptions raised in __del__ into warnings, which grading ignores, and runs
        # five gc.collect() passes at the end of every session: ~0.1 s of a batch's student each.
        "-p",
        "no:unraisableexception",
        *extra,
    ]


@cache
def _collect(topics: tuple[str, ...]) -> tuple[tuple[str, CheckMeta], ...]:
    plugin = GraderPlugin(pool=None, seed=0)
    with quiet_pytest_env():
        code = pytest.main(pytest_args(topics, ["--collect-only"]), plugins=[plugin])
    # A module that cannot be collected (the plugin records it) only leaves its own checks out.
    broken = bool(plugin.collection_errors) and code == pytest.ExitCode.TESTS_FAILED
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) and not broken:
        raise InternalError(f"the checks could not be collected (pytest exit {int(code)})")
    return tuple((f"{it.stash[meta_key].topic}::{it.name}", it.stash[meta_key]) for it in plugin.items)


def collect(topics: Iterable[str]) -> list[tuple[str, CheckMeta]]:
    """(check id, metadata) for every check of ``topics``, without running anything."""
    return list(_collect(tuple(topics)))


def api_names(topic: str) -> tuple[str, ...]:
    """The functions/classes the topic's checks are about, in check order."""
    names: list[str] = []
    for _, meta in collect([topic]):
        if meta.function and meta.function not in names:
            names.append(meta.function)
    return tuple(names)


def points_by_function(topic: str) -> dict[str, float]:
    """Total points of the checks about each function of ``topic``."""
    out: dict[str, float] = {}
    for _, meta in collect([topic]):
        out[meta.function] = out.get(meta.function, 0.0) + float(meta.points)
    return out


def max_scores(topics: Iterable[str]) -> dict[str, float]:
    """Each topic's full marks: what a topic that was not submitted counts against."""
    out = {t: 0.0 for t in topics}
    for _, meta in collect(list(out)):
        out[meta.topic] = round(out[meta.topic] + meta.points, 4)
    return out
