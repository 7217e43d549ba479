"""``grader.notebook.self_check``: a topic or one function from a notebook's namespace, rendered in both languages.

The namespace is built as a notebook kernel builds it (the cell sources in ``_ih``, the
definitions executed); a real kernel runs every handout in tests/test_handouts.py.
"""

from __future__ import annotations

import re

import pytest

from grader import notebook
from grader.core.catalog import points_by_function
from grader.errors import UsageError
from tests.conftest import SOLUTIONS

NO_SHIFT = (SOLUTIONS / "activations.py").read_text().replace("z = x - np.max(x, axis=axis, keepdims=True)", "z = x")


def _namespace(source: str) -> dict:
    ns: dict = {}
    exec(compile(source, "<cell>", "exec"), ns)
    ns["_ih"] = ["", source]
    return ns


@pytest.fixture(scope="module")
def reports():
    ns = _namespace(NO_SHIFT)
    return {
        "topic": notebook.self_check("activations", ns, show=False, seed=3),
        "en": notebook.self_check("softmax", ns, show=False, seed=3),
        "zh": notebook.self_check("softmax", ns, show=False, seed=3, lang="zh"),
        "relu": notebook.self_check("relu", ns, show=False, seed=3),
    }


def test_one_function_runs_only_its_checks(reports):
    one = reports["en"]
    assert one.function == "softmax" and one.topic == "activations"
    assert {c.function for c in one.result.checks} == {"softmax"}
    assert one.max_score == points_by_function("activations")["softmax"]
    whole = [c for c in reports["topic"].result.checks if c.function == "softmax"]
    assert [c.status for c in one.result.checks] == [c.status for c in whole]
    assert one.summary()["function"] == "softmax" and one.summary()["seed"] == 3
    relu = reports["relu"]
    assert relu.score == relu.max_score > 0 and "All checks passed." in relu.text()


def test_the_mistake_is_stated_once_in_every_rendering(reports):
    one = reports["en"]
    for text in (one.text(), one.markdown(), one.html()):
        assert text.count("Known mistake") == 1, text
        assert "softmax without subtracting the maximum" in text
        assert "7 / 9" in text or "7 / 9" in re.sub(r"<[^>]+>", "", text)
    assert 'data-function="softmax"' in one.html() and "<script" not in one.html()
    # the whole topic: the failing function first, the passed ones in one line
    text = reports["topic"].text()
    assert text.index("✗ softmax") < text.index("✓ passed: sigmoid")


def test_chinese_self_check(reports):
    zh = reports["zh"]
    for text in (zh.text(), zh.markdown(), zh.html()):
        assert "自测" in text and "常见错误" in text and "改正方法" in text
        assert "Known mistake" not in text and "Self-check" not in text


def test_unknown_names_are_usage_errors():
    with pytest.raises(UsageError, match="unknown topic or function"):
        notebook.self_check("softmaks", {}, show=False)


def test_skip_if_todo_speaks_the_notebooks_language(capsys):
    with notebook.skip_if_todo(lang="zh"):
        raise NotImplementedError("relu")
    with notebook.skip_if_todo():
        raise NotImplementedError("relu")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "（跳过：relu 还没有实现。在上面的单元格里完成它，再运行本单元格。）",
        "(skipped: relu is not implemented yet; fill it in above and run this cell again)",
    ]
