"""grader/core/plugin.py: check outcomes become statuses and points, through pytester and a fake student.

Each test writes a small check module, named for a real topic (``test_activations.py``), and
runs it in-process with :class:`GraderPlugin` whose ``student`` is a fake: plain Python
functions standing in for the student's module, with no worker process and no TensorFlow.
"""

from __future__ import annotations

import textwrap
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from grader import i18n
from grader.core import runner
from grader.core.catalog import quiet_pytest_env
from grader.core.plugin import GraderPlugin, check_texts
from grader.errors import NotAttempted
from grader.status import Status, TopicStatus

pytest_plugins = ["pytester"]

# What a run of the grader passes to pytest, less the real checks folder.
ARGS = [
    "-p",
    "no:cacheprovider",
    "--strict-markers",
    "--assert=plain",
    "--continue-on-collection-errors",
    "-W",
    "error::pytest.PytestDeprecationWarning",
]

HEADER = """
import numpy as np
import pytest
from grader.compare import assert_allclose
from grader.errors import CheckFailed, NotAttempted, StudentRaised, StudentTimeout
"""


def _softmax(x, axis=-1):
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def _softmax_no_shift(x, axis=-1):  # the catalogued mistake softmax.no_max_shift
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)


class FakeStudent:
    """Stands in for StudentModule: calls plain functions and records them for misconception detection."""

    def __init__(self, topic: str, functions: dict[str, Any]):
        self.topic, self._functions = topic, functions
        self.calls: list[tuple[str, tuple, dict, Any]] = []

    def call_pure(self, name: str, *args, **kwargs):
        if name not in self._functions:
            raise NotAttempted(f"{name} is not defined")
        value = self._functions[name](*args, **kwargs)
        self.calls.append((name, args, kwargs, value))
        return value


class FakePlugin(GraderPlugin):
    def __init__(self, functions: dict[str, Any] | None = None, seed: int = 1, settings: Any = None):
        super().__init__(pool=None, seed=seed, settings=settings)
        self.functions = functions or {}

    def student_module(self, topic: str):
        return self._modules.setdefault(topic, FakeStudent(topic, self.functions))  # type: ignore[arg-type]

    def tensorflow(self):  # the checks here never need TF
        return SimpleNamespace(name="fake-tf")


def run_checks(
    pytester: pytest.Pytester, source: str | dict[str, str], plugin: FakePlugin | None = None, lang: str = "en"
) -> tuple[FakePlugin, Any]:
    files = source if isinstance(source, dict) else {"test_activations": source}
    pytester.makepyfile(**{name: HEADER + textwrap.dedent(code) for name, code in files.items()})
    plugin = plugin or FakePlugin()
    with i18n.language(lang), quiet_pytest_env():  # as the runner does: no third-party plugins join
        rec = pytester.inline_run(*ARGS, plugins=[plugin])
    return plugin, rec


def results(plugin: GraderPlugin) -> dict[str, Any]:
    return {r.name: r for r in plugin.results.values()}


STATUSES = """
@pytest.mark.about("softmax")
@pytest.mark.points(2)
def test_passes(student):
    "softmax is right"
    x = np.array([[1.0, 2.0]])
    assert_allclose(student.call_pure("softmax", x), np.exp(x) / np.exp(x).sum(), rtol=1e-6, atol=0, name="s")

@pytest.mark.about("softmax")
@pytest.mark.points(1)
@pytest.mark.hint("Respect the axis argument (np.max/np.sum with axis=axis, keepdims=True).")
def test_plain_assert_fails(student):
    # (a call of another function: the catalogued softmax mistakes equal softmax on zeros)
    assert student.call_pure("norm", np.zeros((1, 2))).sum() == 3, "the rows do not sum to 3"

@pytest.mark.about("softmax")
@pytest.mark.points(1)
def test_check_failed(student):
    raise CheckFailed("wrong in a structured way", {"kind": "scalar", "got": 1.0})

@pytest.mark.about("relu")
@pytest.mark.points(1)
def test_not_attempted(student):
    student.call_pure("relu", 1.0)

@pytest.mark.about("softmax")
@pytest.mark.points(1)
def test_student_raised(student):
    raise StudentRaised("ValueError: boom (line 3)")

@pytest.mark.about("softmax")
@pytest.mark.points(1)
def test_student_timed_out(student):
    raise StudentTimeout("took longer than 20 s")

@pytest.mark.about("softmax")
@pytest.mark.points(1)
def test_the_check_itself_is_broken(student):
    1 / 0

@pytest.mark.about("softmax")
@pytest.mark.points(1)
def test_skipped(student):
    pytest.skip("not today")

@pytest.fixture
def broken_setup():
    raise StudentRaised("raised while preparing")

@pytest.mark.about("softmax")
@pytest.mark.points(1)
def test_setup_raises_a_student_error(broken_setup):
    pass

@pytest.mark.about("softmax")
@pytest.mark.points(0.5)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parametrized(student, dtype):
    pass
"""


def test_every_outcome_maps_to_its_status_points_and_internal_flag(pytester):
    plugin, rec = run_checks(pytester, STATUSES, FakePlugin({"softmax": _softmax, "norm": np.abs}))
    r = results(plugin)
    expected = {
        "test_passes": (Status.PASSED, 2.0, False),
        "test_plain_assert_fails": (Status.FAILED, 0.0, False),
        "test_check_failed": (Status.FAILED, 0.0, False),
        "test_not_attempted": (Status.NOT_ATTEMPTED, 0.0, False),
        "test_student_raised": (Status.ERROR, 0.0, False),
        "test_student_timed_out": (Status.TIMEOUT, 0.0, False),
        "test_the_check_itself_is_broken": (Status.ERROR, 0.0, True),
        "test_skipped": (Status.ERROR, 0.0, True),
        "test_setup_raises_a_student_error": (Status.ERROR, 0.0, False),
        "test_parametrized[float32]": (Status.PASSED, 0.5, False),
        "test_parametrized[float64]": (Status.PASSED, 0.5, False),
    }
    assert {n: (c.status, c.points, c.internal_error) for n, c in r.items()} == expected
    assert len(plugin.items) == len(expected) and not plugin.collection_errors
    assert r["test_plain_assert_fails"].message == "the rows do not sum to 3"
    assert r["test_check_failed"].details == {"kind": "scalar", "got": 1.0}
    assert "ZeroDivisionError" in r["test_the_check_itself_is_broken"].message
    assert "skipped (not today)" in r["test_skipped"].message
    assert r["test_student_timed_out"].message == "took longer than 20 s"


def test_points_hints_titles_and_ids(pytester):
    plugin, _ = run_checks(pytester, STATUSES, FakePlugin({"softmax": _softmax, "norm": np.abs}))
    r = results(plugin)
    assert {c.max_points for c in r.values()} == {2.0, 1.0, 0.5}
    assert r["test_passes"].title == "softmax is right" and r["test_passes"].hint == ""  # no hint once it passes
    assert r["test_plain_assert_fails"].hint.startswith("Respect the axis")
    assert r["test_parametrized[float32]"].title == "parametrized [float32]"  # the name when there is no docstring
    assert r["test_passes"].id == "activations::test_passes" and r["test_passes"].topic == "activations"
    assert r["test_not_attempted"].function == "relu"
    assert all(c.duration >= 0 and not c.hidden for c in r.values())


def test_a_check_without_about_or_points_is_a_usage_error(pytester):
    _, rec = run_checks(
        pytester,
        """
        @pytest.mark.points(1)
        def test_no_about(student):
            pass
    """,
    )
    assert rec.ret == pytest.ExitCode.USAGE_ERROR


def test_a_marker_with_two_arguments_is_a_usage_error(pytester):
    _, rec = run_checks(
        pytester,
        """
        @pytest.mark.about("softmax", "relu")
        @pytest.mark.points(1)
        def test_two(student):
            pass
    """,
    )
    assert rec.ret == pytest.ExitCode.USAGE_ERROR


def test_an_unregistered_marker_is_refused(pytester):
    _, rec = run_checks(
        pytester,
        """
        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        @pytest.mark.pionts(2)
        def test_typo(student):
            pass
    """,
    )
    assert rec.ret != pytest.ExitCode.OK and not rec.getreports("pytest_runtest_logreport")


def test_hidden_is_recorded_for_redaction(pytester):
    plugin, _ = run_checks(
        pytester,
        """
        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        @pytest.mark.hidden
        def test_secret(student):
            assert False, "secret input 42"
    """,
    )
    (c,) = plugin.results.values()
    assert c.hidden and c.status == Status.FAILED and "secret input 42" in c.message


def test_details_are_kept_when_the_check_passes(pytester):
    plugin, _ = run_checks(
        pytester,
        """
        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_with_details(student, check_details):
            check_details["summary"] = "accuracy 0.98"
    """,
    )
    (c,) = plugin.results.values()
    assert c.passed and c.details == {"summary": "accuracy 0.98"}


def test_fixtures_give_the_runs_seed_settings_and_a_replayable_rng(pytester):
    source = """
        import json, pathlib
        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_fixtures(student, rng, seed, grader_settings, tf, keras):
            pathlib.Path("out.json").write_text(json.dumps(
                {"seed": seed, "settings": grader_settings, "draw": int(rng.integers(1 << 30)), "tf": tf.name}))
    """
    import json

    draws = []
    for s in (5, 5, 6):
        plugin = FakePlugin(seed=s, settings="the settings")
        plugin.keras_module = lambda: "fake-keras"  # type: ignore[method-assign]
        run_checks(pytester, source, plugin)
        data = json.loads((pytester.path / "out.json").read_text())
        assert data["seed"] == s and data["settings"] == "the settings" and data["tf"] == "fake-tf"
        draws.append(data["draw"])
    assert draws[0] == draws[1] != draws[2]


def test_a_known_mistake_is_named_in_the_message_and_details(pytester):
    plugin, _ = run_checks(
        pytester,
        """
        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_large_inputs(student):
            x = np.array([[1000.0, 1000.0, 999.0]])
            e = np.exp(x - x.max())
            assert_allclose(student.call_pure("softmax", x), e / e.sum(), rtol=1e-5, atol=1e-7, name="softmax(x)")
    """,
        FakePlugin({"softmax": _softmax_no_shift}),
    )
    (c,) = plugin.results.values()
    assert c.status == Status.FAILED and c.details["misconception"] == "softmax.no_max_shift"
    assert c.message.startswith("This looks like a known mistake: softmax without subtracting the maximum")
    assert "这看起来是一个常见错误" in c.i18n["zh"]["message"]


def test_a_wrong_answer_that_is_no_known_mistake_is_not_named(pytester):
    plugin, _ = run_checks(
        pytester,
        """
        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_rows(student):
            x = np.array([[1.0, 2.0], [0.5, -1.0]])
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            assert_allclose(student.call_pure("softmax", x), e / e.sum(axis=-1, keepdims=True), rtol=1e-5,
                            atol=1e-7, name="softmax(x)")
    """,
        FakePlugin({"softmax": lambda x, axis=-1: 2 * _softmax(x, axis)}),
    )
    (c,) = plugin.results.values()
    assert c.status == Status.FAILED and "misconception" not in c.details and "known mistake" not in c.message


def test_texts_are_kept_in_every_language(pytester):
    plugin, _ = run_checks(
        pytester,
        """
        from grader.i18n import t
        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_translated(student):
            raise CheckFailed(t("{name} should return an int, but returned {got}", name="f", got=1.5))
    """,
        lang="zh",
    )
    (c,) = plugin.results.values()
    assert c.message == "f 应返回 int，但返回了1.5"
    assert c.i18n["en"]["message"] == "f should return an int, but returned 1.5"
    assert set(c.i18n) == set(i18n.LANGS)
    assert check_texts("no such title", "m", "")["zh"] == {"title": "no such title", "message": "m", "hint": ""}


# ----------------------------------------------------------------------------- collection and teardown errors

BROKEN = """
import grader.no_such_module_here

@pytest.mark.about("relu")
@pytest.mark.points(1)
def test_never_collected(student):
    pass
"""
FINE = """
@pytest.mark.about("softmax")
@pytest.mark.points(1)
def test_fine(student):
    pass
"""


def test_a_check_module_that_fails_to_import_is_one_named_internal_error(pytester):
    plugin, rec = run_checks(pytester, {"test_losses": BROKEN, "test_activations": FINE})
    (err,) = plugin.collection_errors
    assert err.topic == "losses" and err.id == "losses::test_losses.py" and err.status == Status.ERROR
    assert err.internal_error and err.points == 0
    assert "could not be loaded" in err.message and "ModuleNotFoundError" in err.message
    assert "no_such_module_here" in err.message.splitlines()[0]
    assert "无法加载" in err.i18n["zh"]["message"]
    assert plugin.broken_topics["losses"].render("en") == err.message.splitlines()[0]
    # The other topic is still graded.
    assert [c.name for c in plugin.results.values()] == ["test_fine"] and results(plugin)["test_fine"].passed


def test_the_runner_reports_the_broken_topic_and_grades_the_rest(pytester):
    plugin, rec = run_checks(pytester, {"test_losses": BROKEN, "test_activations": FINE})
    pool = SimpleNamespace(get=lambda topic: SimpleNamespace(import_reply=None))
    topics = runner._topic_results(["activations", "losses"], plugin, pool, pytest_code=int(rec.ret))  # type: ignore[arg-type]
    assert topics["activations"].status == TopicStatus.GRADED and topics["activations"].score == 1
    broken = topics["losses"]
    assert broken.status == TopicStatus.ERROR and "could not be loaded" in broken.message
    assert [c.internal_error for c in broken.checks] == [True]
    assert "无法加载" in broken.i18n["zh"]["message"]


def test_a_run_whose_only_module_is_broken_still_gives_a_result(pytester):
    plugin, rec = run_checks(pytester, {"test_losses": BROKEN})
    pool = SimpleNamespace(get=lambda topic: SimpleNamespace(import_reply=None))
    topics = runner._topic_results(["losses"], plugin, pool, pytest_code=int(rec.ret))  # type: ignore[arg-type]
    assert topics["losses"].status == TopicStatus.ERROR and topics["losses"].checks[0].internal_error


def test_a_failing_teardown_turns_its_check_into_an_internal_error(pytester):
    plugin, _ = run_checks(
        pytester,
        """
        @pytest.fixture
        def leaves_a_mess():
            yield
            raise OSError("could not remove the scratch folder")

        @pytest.mark.about("softmax")
        @pytest.mark.points(2)
        def test_passes_then_breaks(student, leaves_a_mess):
            pass

        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_unaffected(student):
            pass
    """,
    )
    r = results(plugin)
    broken = r["test_passes_then_breaks"]
    assert broken.status == Status.ERROR and broken.internal_error and broken.points == 0 and broken.max_points == 2
    assert "cleaning up" in broken.message and "OSError: could not remove the scratch folder" in broken.message
    assert "清理" in broken.i18n["zh"]["message"]
    assert r["test_unaffected"].passed


def test_a_module_fixture_teardown_error_lands_on_the_last_check_of_the_module(pytester):
    plugin, _ = run_checks(
        pytester,
        """
        @pytest.fixture(scope="module")
        def shared():
            yield
            raise RuntimeError("module clean-up broke")

        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_first(shared):
            pass

        @pytest.mark.about("softmax")
        @pytest.mark.points(1)
        def test_last(shared):
            pass
    """,
    )
    r = results(plugin)
    assert r["test_first"].passed and r["test_last"].internal_error


def test_the_plugin_defines_no_fixture_of_its_own():
    # pytest 9.2 deprecates module/session fixtures defined on a plugin object (pytest 10 removes
    # them): they live in grader.core.fixtures, which the plugin registers.
    from grader.core import fixtures

    names = {"student", "rng", "seed", "tf", "keras", "check_details", "grader_settings"}
    assert names <= set(vars(fixtures))
    assert not [n for n, v in vars(GraderPlugin).items() if "fixture" in type(v).__name__.lower()]
