"""Bad submissions get clear messages and never stop the other topics."""

from __future__ import annotations

import numpy as np  # noqa: F401 - used inside generated sources

from tests.conftest import SOLUTIONS, grade_dir

ACT = (SOLUTIONS / "activations.py").read_text()


def _topic(result, slug):
    return next(t for t in result.topics if t.topic == slug)


def test_missing_module_is_not_attempted(tmp_path):
    (tmp_path / "activations.py").write_text(ACT)
    result = grade_dir(tmp_path, ())
    for t in result.topics:
        if t.topic == "activations":
            assert t.score == t.max_score
        else:
            assert t.status == "not_attempted" and "not in the submission" in t.message
            assert {c.status for c in t.checks} == {"not_attempted"}


def test_syntax_error_names_file_and_line(tmp_path):
    (tmp_path / "activations.py").write_text(ACT.replace("def relu(x):", "def relu(x)", 1))
    result = grade_dir(tmp_path, ("activations",))
    t = _topic(result, "activations")
    assert t.status == "error"
    line = ACT[: ACT.index("def relu(x):")].count("\n") + 1
    assert "activations.py" in t.message and f"line {line}" in t.message and "SyntaxError" in t.message
    assert {c.status for c in t.checks} == {"error"}


def test_error_in_one_topic_does_not_stop_the_others(tmp_path):
    (tmp_path / "activations.py").write_text("import numpy as np\nraise RuntimeError('boom at import')\n")
    result = grade_dir(tmp_path, ())
    t = _topic(result, "activations")
    assert t.status == "error" and "boom at import" in t.message
    assert len(result.topics) > 1 or result.topics[0].topic == "activations"


def test_wrong_return_type_and_shape_fail_with_explanation(tmp_path):
    src = ACT.replace("    return np.tanh(x)", "    return np.tanh(x).tolist()", 1)
    src = src.replace("    return np.maximum(x, 0)", "    return np.maximum(x, 0).ravel()", 1)
    (tmp_path / "activations.py").write_text(src)
    t = _topic(grade_dir(tmp_path, ("activations",)), "activations")
    tanh = [c for c in t.checks if c.function == "tanh"]
    assert tanh and all(c.status == "failed" for c in tanh)
    assert "should return a NumPy array" in tanh[0].message and "list" in tanh[0].message
    relu = [c for c in t.checks if c.function == "relu"]
    # ravel() is harmless on the 1-D curve check; every check with 2-D inputs must catch it.
    relu_2d = [c for c in relu if "curve" not in c.name]
    assert relu_2d and all(c.status == "failed" and "shape" in c.message for c in relu_2d)
    others = [c for c in t.checks if c.function not in ("tanh", "relu")]
    assert all(c.status == "passed" for c in others)


def test_function_raising_is_an_error_with_line(tmp_path):
    src = ACT.replace("    return np.tanh(x)", "    raise ValueError('oops')", 1)
    (tmp_path / "activations.py").write_text(src)
    t = _topic(grade_dir(tmp_path, ("activations",)), "activations")
    tanh = [c for c in t.checks if c.function == "tanh"]
    assert all(c.status == "error" and "ValueError: oops" in c.message and "line" in c.message for c in tanh)


def test_tensorflow_in_numpy_only_topic_is_refused(tmp_path):
    (tmp_path / "activations.py").write_text("import tensorflow as tf\n" + ACT)
    t = _topic(grade_dir(tmp_path, ("activations",)), "activations")
    assert t.score == 0 and "numpy-only" in t.message
    assert {c.status for c in t.checks} == {"failed"}


def test_forbidden_import_is_detected_before_running(tmp_path):
    # The import sits in a function body that never runs at import time; the static scan sees it.
    src = ACT.replace("    return np.tanh(x)", "    from tensorflow import nn\n    return nn.tanh(x)", 1)
    (tmp_path / "activations.py").write_text("print('this line must never run')\n" + src)
    t = _topic(grade_dir(tmp_path, ("activations",)), "activations")
    assert t.status == "error" and "numpy-only" in t.message and "tensorflow" in t.message
    assert t.score == 0 and {c.status for c in t.checks} == {"failed"}
