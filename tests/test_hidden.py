"""Hidden checks count in the score; the student edition shows only that they failed."""

from __future__ import annotations

import json

from grader.cli import main
from tests.conftest import SOLUTIONS

AXIS_IGNORED = (
    (SOLUTIONS / "activations.py")
    .read_text()
    .replace(
        "z = x - np.max(x, axis=axis, keepdims=True)\n    e = np.exp(z)\n    return e / np.sum(e, axis=axis, keepdims=True)",  # noqa: E501
        "z = x - np.max(x, axis=-1, keepdims=True)\n    e = np.exp(z)\n    return e / np.sum(e, axis=-1, keepdims=True)",  # noqa: E501
    )
)


def _run(tmp_path, audience):
    sub = tmp_path / "sub"
    sub.mkdir(exist_ok=True)
    (sub / "activations.py").write_text(AXIS_IGNORED)
    out = tmp_path / audience
    assert (
        main(
            [
                "run",
                "activations",
                "--submission",
                str(sub),
                "--out",
                str(out),
                "--audience",
                audience,
                "--seed",
                "3",
                "-q",
                "--lang",
                "en",
            ]
        )
        == 1
    )
    data = json.loads((out / "results.json").read_text())
    (check,) = [c for c in data["topics"][0]["checks"] if c["name"] == "test_softmax_respects_axis"]
    return data, check, (out / "report.html").read_text(), (out / "report.md").read_text()


def test_student_edition_hides_inputs_and_expected_values(tmp_path):
    data, check, html, md = _run(tmp_path, "student")
    assert check["hidden"] and check["status"] == "failed" and check["points"] == 0
    assert data["score"] < data["max_score"]
    assert check["details"] == {} and check["hint"] == "" and "softmax(x" not in check["message"]
    assert "Hidden check" in html and "Hidden check" in md
    # The hidden check is the only failing one, so no diff text may appear anywhere.
    assert "values differ" not in html and "values differ" not in md and 'table class="diff"' not in html


def test_instructor_edition_shows_everything(tmp_path):
    _, check, html, _ = _run(tmp_path, "instructor")
    assert "softmax(x, axis=0)" in check["message"] and check["details"]["kind"] == "array"
    assert "values differ" in html and 'table class="diff"' in html
