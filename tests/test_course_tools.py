"""Running a course on a graded class: deadlines, adjustments, similarity, LMS export, feedback
release, regrades, and the Gradescope autograder bundle."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.batch.run import run_batch
from grader.cli import main
from grader.config import Settings
from tests.conftest import EXERCISES, SOLUTIONS
from tests.test_batch import in_process  # noqa: F401 - fixture

TOPIC = "activations"
SEED = 424242
DUE = "2026-12-15T23:59:00+08:00"
SOLUTION = (SOLUTIONS / f"{TOPIC}.py").read_text()
RELU_SLIP = SOLUTION.replace("return np.maximum(x, 0)", "return np.max(x, 0)")
AXIS_SLIP = SOLUTION.replace(
    "z = x - np.max(x, axis=axis, keepdims=True)\n    e = np.exp(z)\n    return e / np.sum(e, axis=axis, keepdims=True)",  # noqa: E501
    "z = x - np.max(x, axis=-1, keepdims=True)\n    e = np.exp(z)\n    return e / np.sum(e, axis=-1, keepdims=True)",
)
# ann's code with every name changed: winnowing over normalised identifiers still sees it.
RENAMED = re.sub(r"\bx\b", "values", SOLUTION).replace("z =", "shifted =").replace("(z)", "(shifted)")
HIDDEN = f"{TOPIC}::test_softmax_respects_axis"
assert len({SOLUTION, RELU_SLIP, AXIS_SLIP, RENAMED}) == 4


def _toml(path: Path, due: str = DUE, **more) -> Path:
    lines = [f'due = "{due}"', "late_penalty_per_day = 0.1", "late_grace_minutes = 10", "late_cap = 0.5"]
    lines += [f"{k} = {v!r}" for k, v in more.items()]
    path.write_text("[tool.grader]\n" + "\n".join(lines) + "\n")
    return path


def _settings(due: str = DUE) -> Settings:
    return Settings(topics=(TOPIC,), seed=SEED, due=due, late_penalty_per_day=0.1, late_grace_minutes=10, late_cap=0.5)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    cls = root / "class"
    for name, source in (
        ("ann", SOLUTION),
        ("ben", RELU_SLIP),
        ("cat", RENAMED),
        ("eve", AXIS_SLIP),
        ("dan", (EXERCISES / f"{TOPIC}.py").read_text()),
    ):
        (cls / name).mkdir(parents=True)
        (cls / name / f"{TOPIC}.py").write_text(source)
    for name in ("ann", "cat", "dan", "eve"):
        (cls / f"{name}.submitted_at").write_text("2026-12-15T20:00:00+08:00")
    (cls / "ben.submitted_at").write_text("2026-12-17T09:00:00+08:00")  # 1 day 9 h after the grace period
    out = root / "graded"
    summary = run_batch(cls, _settings(), out, jobs=0)
    return cls, out, summary, _toml(root / "pyproject.toml")


def _gradebook(out: Path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


def test_late_policy_reaches_the_gradebook(course):
    _, out, summary, _ = course
    assert summary.ignored == []  # the .submitted_at files are not students, nor noise
    rows = _gradebook(out)
    ben, ann = rows["ben"], rows["ann"]
    assert ann["late_days"] == "0" and ann["late_penalty"] == "0" and ann["total"] == ann["raw_score"]
    assert ben["late_days"] == "2" and float(ben["late_penalty"]) == pytest.approx(0.2 * float(ben["raw_score"]))
    assert float(ben["total"]) == pytest.approx(0.8 * float(ben["raw_score"]))
    assert ben["submitted_at"] == "2026-12-17T09:00:00+08:00"
    info = json.loads((out / ".instructor" / "ben.submission.json").read_text())
    assert info["submitted_at_source"] == "ben.submitted_at file" and len(info["sha256"]) == 64
    html = (out / "index.html").read_text()
    assert "due 2026-12-15T23:59:00+08:00" in html and "2 d, −" in html


def test_similarity_report_pairs_the_copy_not_the_stub(course):
    _, out, _, _ = course
    html = (out / "index.html").read_text()
    section = html.split("<h2>Similar submissions</h2>")[1].split("<h2>")[0]
    rows = re.findall(r"<tr>.*?</tr>", section, flags=re.S)[1:]
    pairs = [tuple(re.findall(r'href="([^"/]+)/report.html"', r)) for r in rows]
    assert ("ann", "cat") in pairs
    assert not any("dan" in p for p in pairs)  # the untouched stub is boilerplate, never "alike"
    assert 'href=".instructor/sources/ann/activations.py"' in section
    assert (out / ".instructor" / "sources" / "cat" / "activations.py").read_text() == RENAMED


def test_adjustments_merge_into_gradebook_dashboard_and_feedback(course, tmp_path):
    cls, out, _, toml = course
    work = tmp_path / "graded"
    shutil.copytree(out, work)
    (work / "adjustments.csv").write_text(
        "student,target,points,comment\n"
        f"ben,{TOPIC}::test_relu_matches_tf,+2,regrade request: the relu input was unfair\n"
        "dan,,1.5,attended the review session\n"
    )
    assert main(["merge", str(work), "--config", str(toml)]) == 1  # a check failed somewhere
    rows = _gradebook(work)
    assert rows["ben"]["adjustment"] == "2" and rows["dan"]["adjustment"] == "1.5"
    assert float(rows["ben"]["total"]) == pytest.approx(0.8 * float(rows["ben"]["raw_score"]) + 2)
    assert float(rows["dan"]["total"]) == 1.5
    assert "the relu input was unfair" in (work / "index.html").read_text()
    returned = tmp_path / "returned"
    assert main(["release-feedback", str(work), "--out", str(returned), "--config", str(toml), "--lang", "en"]) == 0
    report = (returned / "ben" / "report.html").read_text()
    block = report.split('<section id="course">')[1]
    assert "regrade request: the relu input was unfair" in block and "+2" in block
    assert "Late penalty (20% of the score)" in block and "Final score" in block
    md = (returned / "dan" / "report.md").read_text()
    assert "attended the review session" in md and "Final score" in md
    zh = tmp_path / "returned-zh"
    assert main(["release-feedback", str(work), "--out", str(zh), "--config", str(toml), "--lang", "zh"]) == 0
    assert "最终得分" in (zh / "ben" / "report.html").read_text()
    (work / "adjustments.csv").write_text("student,target,points,comment\nnobody,,1,x\n")
    assert main(["merge", str(work), "--config", str(toml)]) == 2  # checked, with the line number
    assert main(["batch", str(cls), TOPIC, "--out", str(work), "--jobs", "1"]) == 2  # refused before grading


def _hidden(report_dir: Path, name: str) -> dict:
    data = json.loads((report_dir / name / "results.json").read_text())
    (check,) = [c for t in data["topics"] for c in t["checks"] if c["id"] == HIDDEN]
    return check


def test_feedback_reveals_hidden_checks_only_after_the_due_date(course, tmp_path):
    _, out, _, _ = course
    future = _toml(tmp_path / "future.toml", due="2999-01-01T00:00:00+00:00")
    past = _toml(tmp_path / "past.toml", due="2000-01-01T00:00:00+00:00")
    for cfg, flags, revealed in ((future, [], False), (future, ["--after-due"], True), (past, [], True)):
        dest = tmp_path / f"returned-{cfg.stem}-{len(flags)}"
        assert main(["release-feedback", str(out), "--out", str(dest), "--config", str(cfg), *flags]) == 0
        check = _hidden(dest, "eve")
        assert check["status"] == "failed"
        if revealed:
            assert check["details"].get("misconception") == "softmax.axis_ignored"
            assert "the axis argument ignored" in (dest / "eve" / "report.html").read_text()
        else:
            assert check["details"] == {} and "hidden check" in check["message"]
            assert "the axis argument ignored" not in (dest / "eve" / "report.html").read_text()


def test_export_canvas_moodle_and_csv_through_a_roster(course, tmp_path, capsys):
    _, out, _, toml = course
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student,id,name,email,section,login\n"
        "ann,S001,Ann Lee,ann@uni.edu,Sec 1,alee\nben,S002,Ben Wu,ben@uni.edu,Sec 1,bwu\n"
        "cat,S003,Cat Ng,,Sec 2,cng\ndan,S004,Dan Li,,Sec 2,dli\neve,S005,Eve Ma,,Sec 2,ema\n"
        "fay,S006,Fay Qi,,Sec 2,fqi\n"
    )
    rows = _gradebook(out)
    canvas = tmp_path / "canvas.csv"
    assert (
        main(
            [
                "export",
                "canvas",
                str(out),
                "--roster",
                str(roster),
                "--out",
                str(canvas),
                "--assignment",
                "HW3 TensorFlow",
                "--config",
                str(toml),
            ]
        )
        == 0
    )
    lines = list(csv.reader(io.StringIO(canvas.read_text(), newline="")))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW3 TensorFlow"]
    assert lines[1][0] == "    Points Possible" and lines[1][5] == rows["ann"]["max_total"]
    by = {line[2]: line for line in lines[2:]}
    assert by["S002"][0] == "Ben Wu" and by["S002"][3] == "bwu" and by["S002"][5] == rows["ben"]["total"]
    assert by["S006"][5] == ""  # on the roster, handed nothing in: left blank
    assert "fay" in capsys.readouterr().err
    moodle = tmp_path / "moodle.csv"
    assert (
        main(
            [
                "export",
                "moodle",
                str(out),
                "--roster",
                str(roster),
                "--out",
                str(moodle),
                "--per-topic",
                "--config",
                str(toml),
            ]
        )
        == 0
    )
    lines = list(csv.reader(io.StringIO(moodle.read_text(), newline="")))
    assert lines[0] == ["ID number", "First name", "Last name", "tfgrader", f"tfgrader: {TOPIC}"]
    by = {line[0]: line for line in lines[1:]}
    assert by["S001"][1:4] == ["Ann", "Lee", rows["ann"]["total"]] and by["S002"][4] == rows["ben"]["raw_score"]
    plain = tmp_path / "plain.csv"
    assert main(["export", "csv", str(out), "--roster", str(roster), "--out", str(plain), "--config", str(toml)]) == 0
    got = {r["student"]: r for r in csv.DictReader(plain.open())}
    assert got["ben"]["id"] == "S002" and got["ben"]["total"] == rows["ben"]["total"]
    roster.write_text("student,id\nann,S001\nben,\n")
    assert main(["export", "canvas", str(out), "--roster", str(roster), "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "have no id" in err and all(n in err for n in ("ben", "cat", "dan", "eve"))
    assert not (tmp_path / "x.csv").exists()


def test_regrade_only_and_changed_with_a_table_of_changes(course, tmp_path, capsys, in_process):  # noqa: F811
    cls, out, _, toml = course
    work, subs = tmp_path / "graded", tmp_path / "class"
    shutil.copytree(out, work)
    shutil.copytree(cls, subs)
    (subs / "ben" / f"{TOPIC}.py").write_text(SOLUTION)  # ben fixes relu and hands in again
    capsys.readouterr()
    assert main(["batch", str(subs), TOPIC, "--out", str(work), "--changed", "--config", str(toml)]) == 1
    printed = capsys.readouterr()
    assert "regrading 1 student(s) whose submission changed: ben" in printed.err
    assert "graded 1, skipped 4" in printed.out and "Changed by this regrade" in printed.out
    changes = list(csv.DictReader((work / "changes.csv").open()))
    assert {r["student"] for r in changes} == {"ben"}
    relu = [r for r in changes if "relu" in r["check"]]
    assert relu and all(r["old_status"] == "failed" and r["new_status"] == "passed" for r in relu)
    assert all(float(r["change"]) > 0 for r in changes)
    assert float(_gradebook(work)["ben"]["raw_score"]) == float(_gradebook(work)["ann"]["raw_score"])

    assert (
        main(["batch", str(subs), TOPIC, "--out", str(work), "--only", "eve", "--only", "ann", "--config", str(toml)])
        == 1
    )
    printed = capsys.readouterr()
    assert "graded 2, skipped 3" in printed.out and "Changed by this regrade" not in printed.out
    assert list(csv.DictReader((work / "changes.csv").open())) == []  # the same verdicts again
    assert main(["batch", str(subs), TOPIC, "--out", str(work), "--only", "nobody"]) == 2
    assert main(["batch", str(subs), TOPIC, "--out", str(work), "--changed"]) == 1
    assert "graded 0, skipped 5" in capsys.readouterr().out  # nothing changed since


# ----------------------------------------------------------------------------- Gradescope

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def _validate_gradescope(data: dict) -> None:
    """results.json against https://gradescope-autograders.readthedocs.io/en/latest/specs/."""
    known = {
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    }
    assert set(data) <= known, set(data) - known
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], int)
    assert isinstance(data["output"], str) and data["output_format"] in FORMATS
    assert data["visibility"] in VISIBILITIES and data["stdout_visibility"] in VISIBILITIES
    assert isinstance(data["extra_data"], dict) and isinstance(data["tests"], list) and data["tests"]
    numbers = set()
    for t in data["tests"]:
        assert set(t) <= {
            "score",
            "max_score",
            "status",
            "name",
            "name_format",
            "number",
            "output",
            "output_format",
            "tags",
            "visibility",
            "extra_data",
        }, set(t)
        assert isinstance(t["score"], float) and isinstance(t["max_score"], float) and 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed") and isinstance(t["name"], str) and t["name"]
        assert isinstance(t["number"], str) and t["number"] not in numbers
        numbers.add(t["number"])
        assert isinstance(t["output"], str) and t["output_format"] in FORMATS
        assert isinstance(t["tags"], list) and all(isinstance(x, str) for x in t["tags"])
        assert t["visibility"] in VISIBILITIES and isinstance(t["extra_data"], dict)
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])


@pytest.mark.slow
def test_gradescope_autograder_bundle_runs_in_a_scratch_autograder_folder(tmp_path):
    bundle = tmp_path / "autograder.zip"
    assert main(["autograder", TOPIC, "--out", str(bundle), "--seed", str(SEED)]) == 0
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        modes = {i.filename: (i.external_attr >> 16) for i in zf.infolist()}
        root = tmp_path / "autograder"
        zf.extractall(root / "source")
    assert "setup.sh" in names and "run_autograder" in names and "requirements.txt" in names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert f"grader/course/checks/test_{TOPIC}.py" in names and "templates/report.html.j2" in names
    assert f"grader/course/misconceptions/{TOPIC}.py" in names  # the course's own, sealed at run time
    assert not [n for n in names if n.split("/")[0] in ("solutions", "tests", "exercises") or "__pycache__" in n]
    assert "tensorflow" in (root / "source" / "requirements.txt").read_text()
    assert subprocess.run(["bash", "-n", str(root / "source" / "setup.sh")]).returncode == 0
    # Laid out as Gradescope does: run_autograder copied to /autograder, the submission beside it.
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission" / "hw").mkdir(parents=True)  # a zip of a folder: still found
    (root / "submission" / "hw" / f"{TOPIC}.py").write_text(
        AXIS_SLIP.replace("return np.maximum(x, 0)", "return np.max(x, 0)")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(GRADER_AUTOGRADER_ROOT=str(root), GRADER_PYTHON=sys.executable)
    run = subprocess.run(
        ["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    _validate_gradescope(data)
    by_id = {t["extra_data"]["id"]: t for t in data["tests"]}
    hidden = [t for t in data["tests"] if t["extra_data"]["hidden"]]
    assert hidden and all(t["visibility"] == "after_due_date" for t in hidden)
    assert all(t["visibility"] == "visible" for t in data["tests"] if not t["extra_data"]["hidden"])
    assert by_id[HIDDEN]["status"] == "failed" and "the axis argument ignored" in by_id[HIDDEN]["output"]
    relu = by_id[f"{TOPIC}::test_relu_matches_tf[float32]"]
    assert relu["status"] == "failed" and relu["score"] == 0.0 and "known mistake" in relu["output"]
    assert 0 < data["score"] < sum(t["max_score"] for t in data["tests"])
    left = sorted(p.name for p in (root / "source" / "grader" / "course" / "misconceptions").iterdir())
    assert left == ["__init__.py"]  # loaded, then out of the student code's reach
    # A broken bundle or submission still gives Gradescope a results file.
    shutil.rmtree(root / "submission")
    run = subprocess.run(
        ["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    data = json.loads((root / "results" / "results.json").read_text())
    assert run.returncode == 0 and data["score"] == 0.0 and "could not grade" in data["output"]
