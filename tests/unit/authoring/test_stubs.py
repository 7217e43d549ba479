"""grader/authoring/stubs.py: exercises/ is generated from solutions/ and never drifts from it."""

from __future__ import annotations

import pytest

from grader.authoring.stubs import generate, make_stub
from grader.core.catalog import available_topics
from grader.errors import UsageError
from tests.conftest import EXERCISES, SOLUTIONS

SOLUTION = '''"""A topic."""

import numpy as np

# BEGIN SOLUTION
_HELPER = 3
# END SOLUTION


def f(x):
    """Docstring stays."""
    # BEGIN SOLUTION
    return x * _HELPER
    # END SOLUTION


class Model:
    def call(self, x):
        # BEGIN SOLUTION
        return x
        # END SOLUTION
'''


def test_stubs_are_generated_from_solutions():
    assert generate(SOLUTIONS, EXERCISES, check=True) == [], "run `grader stubs` and commit exercises/"
    for topic in available_topics():
        assert (SOLUTIONS / f"{topic}.py").exists() and (EXERCISES / f"{topic}.py").exists()
        assert "# BEGIN SOLUTION" not in (EXERCISES / f"{topic}.py").read_text()


def test_a_region_in_a_function_becomes_not_implemented_and_one_at_module_level_goes():
    stub = make_stub(SOLUTION)
    assert "_HELPER" not in stub and "return x" not in stub and "SOLUTION" not in stub
    assert 'raise NotImplementedError("f")' in stub and 'raise NotImplementedError("call")' in stub
    assert '"""Docstring stays."""' in stub and "import numpy as np" in stub
    ns: dict = {}
    exec(compile(stub, "<stub>", "exec"), ns)
    with pytest.raises(NotImplementedError, match="f"):
        ns["f"](1)


@pytest.mark.parametrize(
    "source, needle",
    [
        ("# BEGIN SOLUTION\nx = 1\n", "without END"),
        ("x = 1\n# END SOLUTION\n", "without BEGIN"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "nested"),
    ],
)
def test_unbalanced_markers_are_a_usage_error_with_the_line(source, needle):
    with pytest.raises(UsageError, match=needle) as exc:
        make_stub(source, "solutions/x.py")
    assert exc.value.message.startswith("solutions/x.py:")


def test_generate_writes_only_what_changed_and_check_writes_nothing(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    (sol / "topic.py").write_text(SOLUTION)
    (sol / "_private.py").write_text("# BEGIN SOLUTION\n")  # skipped: not a topic
    assert generate(sol, ex, check=True) == ["topic.py"] and not ex.exists()
    assert generate(sol, ex) == ["topic.py"] and (ex / "topic.py").read_text() == make_stub(SOLUTION)
    assert generate(sol, ex, check=True) == []
    with pytest.raises(UsageError):
        generate(tmp_path / "nope", ex)
