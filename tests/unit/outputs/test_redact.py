"""grader/outputs/redact.py: a hidden check shows its verdict and points, and nothing else, anywhere.

"Anywhere" means every output a student receives (results.json, report.html, report.md, the
terminal summary, Gradescope's results.json) and every language's copy of the texts kept in
``i18n`` (a student who renders the JSON in the other language must not find them there).
"""

from __future__ import annotations

import json

import pytest

from grader.core.results import RunResult
from grader.i18n import LANGS
from grader.outputs import gradescope
from grader.outputs.redact import HIDDEN, Audience, for_audience, redact_hidden
from grader.outputs.report import render, render_summary, write_reports
from tests.unit import factories as f

STYLE = dict.fromkeys(("passed", "failed", "error", "timeout", "not_attempted", "graded", "not_graded"), "bold")
SECRETS = (f.SECRET_INPUT, "271828", f.HINT, "Which axis do you normalise")


def _hidden_result(lang: str = "en") -> RunResult:
    return f.result(
        f.check("test_hidden_fail", hidden=True, lang=lang),
        f.check("test_hidden_pass", hidden=True, status="passed", lang=lang),
        f.check("test_visible", lang=lang),
        lang=lang,
    )


def _no_secret(text: str, where: str) -> None:
    for s in SECRETS:
        assert s not in text, f"{where} leaks {s!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_a_hidden_check_keeps_its_verdict_and_points_only(lang):
    r = redact_hidden(_hidden_result(lang))
    fail, ok, visible = r.topics[0].checks
    assert fail.redacted and fail.status == "failed" and fail.points == 0 and fail.max_points == 2
    assert fail.details == {} and fail.hint == "" and fail.message != ""
    assert ok.redacted and ok.status == "passed" and ok.points == 2 and ok.message == ""
    assert not visible.redacted and f.SECRET_INPUT in visible.message  # visible checks are untouched
    for c in (fail, ok):
        assert set(c.i18n) == set(LANGS)
        for code, texts in c.i18n.items():
            _no_secret(json.dumps(texts, ensure_ascii=False), f"{c.name} i18n[{code}]")
            assert texts["hint"] == ""
        assert c.i18n["en"]["message"] == ("" if c.passed else HIDDEN)
        assert c.i18n["en"]["title"] and c.i18n["zh"]["title"] != c.i18n["en"]["title"]  # the title stays


def test_redaction_does_not_change_the_score_and_is_idempotent():
    full = _hidden_result()
    once = redact_hidden(full)
    assert (once.score, once.max_score) == (full.score, full.max_score)
    assert redact_hidden(once) == once


def test_the_audience_decides():
    full = _hidden_result()
    assert for_audience(full, Audience.INSTRUCTOR) is full
    assert for_audience(full, "instructor") is full
    assert for_audience(full, "student") == redact_hidden(full)
    with pytest.raises(ValueError):
        for_audience(full, "teacher")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("render_lang", LANGS)
def test_no_hidden_text_survives_in_any_student_output(tmp_path, lang, render_lang):
    full = f.result(f.check("test_hidden_fail", hidden=True, lang=lang), lang=lang)
    paths = write_reports(full, tmp_path, audience="student", lang=render_lang)
    for kind, path in paths.items():
        _no_secret(path.read_text(encoding="utf-8"), kind)
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert RunResult.from_dict(data).topics[0].checks[0].redacted
    _no_secret(render_summary(full, lang=render_lang, style=STYLE), "summary")
    _no_secret(json.dumps(gradescope.to_gradescope(full, lang=render_lang), ensure_ascii=False), "gradescope")


def test_instructor_outputs_keep_everything(tmp_path):
    full = f.result(f.check("test_hidden_fail", hidden=True))
    paths = write_reports(full, tmp_path, audience="instructor")
    assert f.SECRET_INPUT in paths["json"].read_text() and f.SECRET_INPUT in paths["md"].read_text()
    assert f.SECRET_INPUT in json.dumps(gradescope.to_gradescope(full, audience="instructor"))
    assert f.SECRET_INPUT in render(full, "report.html.j2", audience="instructor")
