"""grader/core/catalog.py: which checks exist and what each is about and worth, without running any."""

from __future__ import annotations

import pytest
from _pytest.pathlib import fnmatch_ex

from grader.core.catalog import (
    CHECKS_DIR,
    api_names,
    available_topics,
    collect,
    max_scores,
    points_by_function,
    pytest_args,
    resolve_topics,
)
from grader.course.topics import TOPICS
from grader.errors import UsageError


def test_every_topic_has_checks_in_course_order():
    assert available_topics() == [t.slug for t in TOPICS]


def test_resolve_topics_keeps_course_order_and_refuses_unknown_ones():
    assert resolve_topics([]) == available_topics()
    assert resolve_topics(["losses", "activations", "losses"]) == ["activations", "losses"]
    with pytest.raises(UsageError) as exc:
        resolve_topics(["activations", "lossses"])
    assert "lossses" in exc.value.message and "losses" in (exc.value.fix or "")


def test_collect_gives_unique_ids_with_their_metadata():
    checks = collect(["activations", "schedules"])
    ids = [cid for cid, _ in checks]
    assert len(ids) == len(set(ids)) and {cid.split("::")[0] for cid in ids} == {"activations", "schedules"}
    for cid, meta in checks:
        assert meta.topic == cid.split("::")[0] and meta.function and meta.points > 0 and meta.title
    assert collect(["activations"]) == [c for c in checks if c[1].topic == "activations"]  # cached per topic set


def test_points_add_up_per_function_and_per_topic():
    per_function = points_by_function("activations")
    assert set(per_function) == set(api_names("activations"))
    assert sum(per_function.values()) == pytest.approx(max_scores(["activations"])["activations"])
    assert max_scores(["activations", "losses"]).keys() == {"activations", "losses"}


def test_api_names_follow_the_check_order_without_duplicates():
    names = api_names("activations")
    assert len(names) == len(set(names)) and "softmax" in names


def test_a_grading_session_keeps_a_broken_check_module_to_its_topic():
    args = pytest_args(["activations"])
    assert "--continue-on-collection-errors" in args and "--assert=plain" in args and "no:terminal" in args


def test_this_suite_never_rewrites_the_grader_checks(request):
    """pytest rewrites the asserts of every module python_files matches, even one a grading run
    imports in this process; a rewritten check loses its message ("wrong answer")."""
    patterns = request.config.getini("python_files")
    checks = sorted(CHECKS_DIR.glob("test_*.py"))
    assert checks and not [(c.name, p) for c in checks for p in patterns if fnmatch_ex(p, c)]
    assert any(fnmatch_ex(p, request.path) for p in patterns)  # while this suite's own tests are collected
