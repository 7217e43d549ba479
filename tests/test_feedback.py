"""Feedback grouped by function, the same in the terminal, HTML and Markdown.

One graded submission holds every case: a function with a known mistake (activations'
softmax), one whose mistake shows in several checks (optimizers' adam_step without bias
correction), a syntax error (losses), an untouched topic (schedules) and passed functions.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from grader.cli.common import STYLE
from grader.core.results import RunResult, TopicResult
from grader.outputs import feedback
from grader.outputs.report import prepare, render, render_summary
from grader.status import TopicStatus
from tests.conftest import EXERCISES, SOLUTIONS, grade_dir
from tests.mutants import all_mutants

TOPICS = ("activations", "losses", "optimizers", "schedules")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    sub = tmp_path_factory.mktemp("sub")
    act = (SOLUTIONS / "activations.py").read_text()
    (sub / "activations.py").write_text(act.replace("z = x - np.max(x, axis=axis, keepdims=True)", "z = x"))
    (sub / "losses.py").write_text((SOLUTIONS / "losses.py").read_text().replace("def ", "def (", 1))
    (mutant,) = [m for m in all_mutants()["optimizers"] if m.detects == "adam.no_bias_correction"]
    (sub / "optimizers.py").write_text(mutant.apply((SOLUTIONS / "optimizers.py").read_text()))
    (sub / "schedules.py").write_text((EXERCISES / "schedules.py").read_text())
    return grade_dir(sub, TOPICS, seed=11)


def _topic(view, slug):
    (tv,) = [t for t in view.topics if t.topic.topic == slug]
    return tv


def _plain(markup: str) -> str:
    """HTML (or plain text) as words: tags dropped, whitespace collapsed."""
    text = re.sub(r"</?[A-Za-z!][^>]*>", " ", markup)  # a tag, not a hint's "<= 0"
    return " ".join(text.split())


def test_the_view_groups_by_function(graded):
    view = feedback.build(prepare(graded, lang="en", audience="student"))
    act = _topic(view, "activations")
    assert [f.name for f in act.failing] == ["softmax"]
    (softmax,) = act.failing
    assert [m.key for m in softmax.mistakes] == ["softmax.no_max_shift"]
    assert softmax.mistakes[0].name and softmax.mistakes[0].fix
    assert softmax.n_passed + len(softmax.failing) == softmax.n_checks
    assert all("known mistake" not in cv.message for cv in softmax.failing)  # stated once, by the function
    assert {f.name for f in act.passed} >= {"sigmoid", "tanh", "relu"} and not act.not_attempted

    opt = _topic(view, "optimizers")
    (adam,) = opt.failing
    assert len(adam.failing) >= 3 and len(adam.mistakes) == 1  # several checks, one mistake

    losses = _topic(view, "losses")
    assert "losses.py" in losses.problem and "line" in losses.problem and "SyntaxError" in losses.problem
    assert not losses.failing and not losses.passed and "categorical_crossentropy" in losses.blocked

    sched = _topic(view, "schedules")
    assert sched.all_not_attempted and len(sched.not_attempted) == 3


def _renderings(result, lang="en"):
    from rich.text import Text

    return {
        "terminal": Text.from_markup(render_summary(result, lang=lang, style=STYLE)).plain,
        "html": render(result, "report.html.j2", lang=lang),
        "md": render(result, "report.md.j2", lang=lang),
    }


@pytest.mark.parametrize("kind", ["terminal", "html", "md"])
def test_every_rendering_states_each_mistake_once_and_failing_functions_first(graded, kind):
    text = _plain(_renderings(graded)[kind])
    view = feedback.build(prepare(graded, lang="en", audience="student"))
    for slug in ("activations", "optimizers"):
        (f,) = _topic(view, slug).failing
        (m,) = f.mistakes
        assert text.count(m.name) == 1, (kind, m.name)
        assert text.count(m.fix) == 1, (kind, m.fix)
    assert "This looks like a known mistake" not in text
    # failing functions come before the passed ones, which are not listed check by check
    act = text[text.index("Activation functions" if kind != "terminal" else "activations 36") :]
    assert act.index("softmax") < act.index("sigmoid")
    passed_titles = [c.title for c in graded.topics[0].checks if c.function == "sigmoid"]
    if kind != "html":  # HTML keeps them, collapsed in <details>
        assert not any(t in text for t in passed_titles)


@pytest.mark.parametrize("kind", ["terminal", "html", "md"])
def test_an_import_error_is_stated_once_without_the_checks_hints(graded, kind):
    text = _renderings(graded)[kind]
    losses = [t for t in graded.topics if t.topic == "losses"][0]
    assert text.count("SyntaxError") == 1, kind
    assert "line" in text
    hints = {c.hint for c in losses.checks if c.hint}
    assert hints and not [h for h in hints if h in text]
    assert not [c.title for c in losses.checks if c.title in text]


@pytest.mark.parametrize("kind", ["terminal", "html", "md"])
def test_not_attempted_functions_take_one_line(graded, kind):
    text = _renderings(graded)[kind]
    sched = [t for t in graded.topics if t.topic == "schedules"][0]
    assert not [c.title for c in sched.checks if c.title in text]
    lines = [line for line in text.splitlines() if "schedules" in line or "not attempted" in line.lower()]
    assert lines and len([line for line in text.splitlines() if "still raises NotImplementedError" in line]) == 0


def test_passed_checks_expand_in_html(graded):
    html = render(graded, "report.html.j2", lang="en")
    block = html[html.index('id="fn-activations-sigmoid"') :]
    block = block[: block.index("</details>")]
    assert "all 4 checks passed" in block and block.count('class="check passed"') == 4


@pytest.mark.parametrize("kind", ["terminal", "html", "md"])
def test_chinese_feedback(graded, kind):
    text = _renderings(graded, "zh")[kind]
    assert "常见错误" in text and "改正方法" in text and "语法错误" in text
    assert "Known mistake" not in text and "needs work" not in text


def _long_message_result(graded) -> RunResult:
    why = (
        "the MNIST data set is not available on this machine: " + "looked in GRADER_MNIST, the path given with "
        "--mnist, the [tool.grader] mnist key and the Keras cache ~/.keras/datasets/mnist.npz "
        * 5
        + "and finally gave up without downloading anything; provide mnist.npz with --mnist PATH"
    )
    topic = TopicResult(
        topic="mnist",
        title="MNIST classifier",
        score=0,
        max_score=0,
        checks=(),
        status=TopicStatus.NOT_GRADED,
        message=why,
    )
    return dataclasses.replace(graded, topics=(*graded.topics, topic)), why


@pytest.mark.parametrize("kind", ["terminal", "html", "md"])
def test_a_long_message_is_never_cut(graded, kind):
    result, why = _long_message_result(graded)
    assert len(why) > 400
    text = _plain(_renderings(result)[kind])
    assert " ".join(why.split()) in text


def test_the_terminal_wraps_long_lines_at_words(graded, capsys):
    from rich.console import Console

    from grader.cli.common import print_markup

    result, why = _long_message_result(graded)
    console = Console(width=60, highlight=False, force_terminal=False)
    print_markup(console, render_summary(result, lang="en", style=STYLE))
    out = capsys.readouterr().out
    assert all(len(line) <= 60 for line in out.splitlines())
    words = set(re.findall(r"[A-Za-z_]{3,}", why))
    shown = set(re.findall(r"[A-Za-z_]{3,}", out))
    assert words <= shown  # wrapped between words, never through one
    assert " ".join(why.split()) in " ".join(out.split())
