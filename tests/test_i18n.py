"""Every student-facing string exists in English and Simplified Chinese."""

from __future__ import annotations

import re

import pytest

from grader import i18n
from grader.authoring.catalogue import extract_ids
from grader.outputs.report import render
from grader.core.results import CheckResult, RunResult, TopicResult

IDS = extract_ids()


def test_catalogue_covers_every_message_id():
    zh = i18n.catalog("zh")
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in IDS.items() if not zh.get(msgid))
    assert not missing, f"{len(missing)} untranslated (run python -m grader.authoring.catalogue extract, then translate):\n" + \
        "\n".join(missing[:40])


@pytest.mark.parametrize("msgid", sorted(IDS))
def test_placeholders_match(msgid):
    translated = i18n.catalog("zh").get(msgid)
    if translated:
        assert i18n.placeholders(translated) == i18n.placeholders(msgid), (msgid, translated)


def test_no_stale_translations():
    stale = set(i18n.catalog("zh")) - set(IDS)
    assert not stale, f"translations for ids no longer used: {sorted(stale)[:10]}"


def test_default_lang_follows_the_locale(monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.default_lang() == "zh"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.default_lang() == "en"


def _result():
    check = CheckResult(id="activations::test_x", topic="activations", name="test_x", function="softmax",
                        title="softmax matches tf.nn.softmax row by row on random batches (including a batch of 1)",
                        status="failed", points=0, max_points=2, message="m", hint="h")
    topic = TopicResult(topic="activations", title="Activation functions", score=0, max_score=2, checks=(check,))
    return RunResult(grader_version="0", tensorflow_version="2", keras_version="3", numpy_version="2",
                     python_version="3", seed=1, submission="s", score=0, max_score=2, topics=(topic,),
                     started_at="now", duration=1.0, replay="grader run --seed 1")


@pytest.mark.parametrize("template", ["report.html.j2", "report.md.j2"])
def test_zh_report_has_chinese_headings(template):
    zh = render(_result(), template, lang="zh")
    assert "评分报告" in zh and "激活函数" in zh and "未通过" in zh
    en = render(_result(), template, lang="en")
    assert "Grading report" in en and not re.search(r"[\u4e00-\u9fff]", en)
    assert i18n.current() == "en"  # rendering leaves the language as it was


@pytest.mark.parametrize("template", ["report.html.j2", "report.md.j2"])
@pytest.mark.parametrize("kind", ["array", "scalar"])
def test_a_diff_table_with_missing_fields_still_renders(template, kind):
    import dataclasses

    r = _result()
    check = dataclasses.replace(r.topics[0].checks[0], details={"kind": kind, "got": 3.0, "expected": 4.0})
    r = dataclasses.replace(r, topics=(dataclasses.replace(r.topics[0], checks=(check,)),))
    out = render(r, template, lang="en", audience="instructor")
    assert "—" in out or kind == "scalar" and template.endswith("md.j2")
