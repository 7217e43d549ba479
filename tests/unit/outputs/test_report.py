"""grader/outputs/report.py: one results model renders in either language, escaped."""

from __future__ import annotations

import dataclasses
import re

import pytest

from grader import i18n
from grader.outputs.report import render, write_reports
from tests.unit import factories as f

HAN = re.compile(r"[\u4e00-\u9fff]")
TEMPLATES = ["report.html.j2", "report.md.j2"]


def _result():
    check = f.check(details={})
    return f.result(dataclasses.replace(check, message="m", hint="h", i18n={}))


@pytest.mark.parametrize("template", TEMPLATES)
def test_zh_report_has_chinese_headings(template):
    zh = render(_result(), template, lang="zh")
    assert "评分报告" in zh and "激活函数" in zh and "未通过" in zh
    en = render(_result(), template, lang="en")
    assert "Grading report" in en and not HAN.search(en)
    assert i18n.current() == "en"  # rendering leaves the language as it was


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("graded_in", i18n.LANGS)
def test_a_report_renders_in_either_language_from_the_same_results(template, graded_in):
    r = f.result(f.check(lang=graded_in), lang=graded_in)
    en, zh = (
        render(r, template, lang="en", audience="instructor"),
        render(r, template, lang="zh", audience="instructor"),
    )
    # The check's own message and hint follow the report's language, not the run's.
    assert "softmax(x): got 1.5, expected 271828" in en and not HAN.search(en)
    assert "softmax(x)：得到 1.5，期望 271828" in zh
    assert r.topics[0].checks[0].i18n["zh"]["hint"] in zh


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("kind", ["array", "scalar"])
def test_a_diff_table_with_missing_fields_still_renders(template, kind):
    r = _result()
    check = dataclasses.replace(r.topics[0].checks[0], details={"kind": kind, "got": 3.0, "expected": 4.0})
    r = dataclasses.replace(r, topics=(dataclasses.replace(r.topics[0], checks=(check,)),))
    out = render(r, template, lang="en", audience="instructor")
    assert "—" in out or kind == "scalar" and template.endswith("md.j2")


def test_student_text_is_escaped_in_html(tmp_path):
    check = dataclasses.replace(f.check(), message="<script>alert(1)</script>", i18n={})
    html = write_reports(f.result(check), tmp_path, audience="instructor")["html"].read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
