"""grader/core/results.py: the frozen model, its JSON, and its texts in every language."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from grader.core.results import STATUSES, CheckResult, RunResult, localized
from grader.status import Status, TopicStatus
from tests.unit import factories as f


def test_json_round_trip_keeps_every_field():
    r = f.result(f.check(), f.check("test_y", status="passed"))
    back = RunResult.from_dict(json.loads(r.to_json()))
    assert back == r
    assert isinstance(back.topics[0].checks[0].status, Status) and back.to_dict()["all_passed"] is False


def test_statuses_are_plain_strings_in_json():
    data = json.loads(f.result().to_json())
    assert data["topics"][0]["checks"][0]["status"] == "failed" and data["topics"][0]["status"] == "graded"
    assert set(STATUSES) == {"passed", "failed", "error", "timeout", "not_attempted"}


def test_numpy_details_become_json_numbers():
    c = dataclasses.replace(f.check(), details={"a": np.float32(1.5), "b": np.arange(3), "c": object()})
    data = json.loads(f.result(c).to_json())["topics"][0]["checks"][0]["details"]
    assert data["a"] == 1.5 and data["b"] == [0, 1, 2] and data["c"].startswith("<object")


def test_a_status_outside_the_vocabulary_is_refused():
    with pytest.raises(ValueError):
        dataclasses.replace(f.check(), status="passd")


@pytest.mark.parametrize("graded_in, shown_in", [("en", "zh"), ("zh", "en"), ("zh", "zh"), ("en", "en")])
def test_localized_picks_every_text_in_the_target_language(graded_in, shown_in):
    r = f.result(f.check(lang=graded_in), lang=graded_in)
    shown = localized(r, shown_in)
    c, t = shown.topics[0].checks[0], shown.topics[0]
    assert shown.lang == shown_in
    assert (c.title, c.message, c.hint) == tuple(
        r.topics[0].checks[0].i18n[shown_in][k] for k in ("title", "message", "hint")
    )
    assert t.title == r.topics[0].i18n[shown_in]["title"]
    # Everything but the texts is the same result.
    assert (c.status, c.points, c.details) == (r.topics[0].checks[0].status, 0.0, r.topics[0].checks[0].details)
    assert localized(shown, graded_in).topics[0].checks[0].message == r.topics[0].checks[0].message


def test_localized_leaves_results_without_translations_alone():
    c = dataclasses.replace(f.check(), i18n={})
    r = dataclasses.replace(f.result(c), topics=(dataclasses.replace(f.result(c).topics[0], i18n={}),))
    assert localized(r, "en") is r
    assert localized(r, "zh").topics[0].checks[0].message == c.message


def test_a_not_graded_topic_is_left_out_of_all_passed():
    ok = f.result(f.check(status="passed"))
    skipped = dataclasses.replace(ok.topics[0], topic="mnist", checks=(), status=TopicStatus.NOT_GRADED)
    r = dataclasses.replace(ok, topics=(*ok.topics, skipped))
    assert r.graded_topics == ok.topics and r.all_passed
    assert not dataclasses.replace(ok, topics=(skipped,)).all_passed  # nothing graded is not a pass


def test_internal_errors_are_listed():
    c = dataclasses.replace(f.check(), status="error", internal_error=True)
    assert f.result(c, f.check("y")).internal_errors == [c]
    assert isinstance(c, CheckResult)
