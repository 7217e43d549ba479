"""`grader batch` / `grader merge`: same verdicts as `grader run`, resume, hostile students, shards."""

from __future__ import annotations

import csv
import json
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import psutil
import pytest

from grader.batch.merge import merge
from grader.batch.pool import MAX_ATTEMPTS
from grader.batch.roster import Student, graded_students, load_results, parse_shard, select_shard
from grader.batch.run import run_batch
from grader.cli import main
from grader.config import Limits, Settings
from grader.errors import UsageError
from tests.conftest import EXERCISES, SOLUTIONS, grade_dir

TOPIC = "activations"  # numpy-only: quick to grade
SEED = 20261127
SOLUTION = (SOLUTIONS / f"{TOPIC}.py").read_text()
RELU_SLIP = SOLUTION.replace("return np.maximum(x, 0)", "return np.max(x, 0)")
SOFTMAX_SLIP = SOLUTION.replace("z = x - np.max(x, axis=axis, keepdims=True)", "z = x")
assert RELU_SLIP != SOLUTION and SOFTMAX_SLIP != SOLUTION


def _student(root: Path, name: str, source: str, topic: str = TOPIC) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{topic}.py").write_text(source, encoding="utf-8")
    return folder


def _class(root: Path, n_correct: int = 1) -> Path:
    """A small class: correct students, two classic slips, an untouched stub."""
    for i in range(n_correct):
        _student(root, f"correct{i}", SOLUTION)
    _student(root, "relu_slip", RELU_SLIP)
    _student(root, "softmax_slip", SOFTMAX_SLIP)
    shutil.copy(EXERCISES / f"{TOPIC}.py", _student(root, "stub", "") / f"{TOPIC}.py")
    return root


def _settings(**kw) -> Settings:
    return Settings(topics=(TOPIC,), **kw)


def _verdicts(result) -> dict:
    return {c.id: (c.status, c.points, c.message) for t in result.topics for c in t.checks}


def _as_written(result, folder: Path):
    """What `grader run` leaves in results.json (student audience: hidden checks redacted)."""
    from grader.core.results import RunResult
    from grader.outputs.report import write_reports

    write_reports(result, folder)
    return RunResult.from_dict(json.loads((folder / "results.json").read_text()))


def _run(cls: Path, out: Path, **kw):
    kw.setdefault("jobs", 0)
    events = []
    summary = run_batch(
        cls,
        _settings(seed=kw.pop("seed", SEED), **kw.pop("settings", {})),
        out,
        on_event=lambda kind, info: events.append((kind, info)),
        **kw,
    )
    return summary, events


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    cls = _class(root / "class")
    _student(cls, "<i>x&co", SOLUTION)  # markup in a file name must come out escaped
    summary, events = _run(cls, root / "out")
    return cls, root / "out", summary, events


# ------------------------------------------------------------------------------ verdicts


def test_batch_verdicts_equal_grader_run(tmp_path):
    """The process pool path (--jobs 2, shared reference cache) gives exactly `grader run`'s verdicts."""
    cls = _class(tmp_path / "class")
    before = {p.pid for p in psutil.Process().children(recursive=True)}  # earlier tests' leftovers on their way out
    summary, _ = _run(cls, tmp_path / "out", jobs=2)
    # The fork server the batch processes came from (it holds a TensorFlow) went with the batch,
    # and so did the zygotes and their clones (checked before the single runs below start theirs).
    left = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert not [c for c in left if "forkserver" in c or "grader.sandbox.zygote" in c], left
    assert sorted(summary.graded) == sorted(p.name for p in cls.iterdir())
    assert summary.cache.get("hits", 0) > 0  # later students were served from the cache
    results = load_results(tmp_path / "out", instructor=False)
    for folder in sorted(cls.iterdir()):
        single = _as_written(grade_dir(folder, (TOPIC,), seed=SEED), tmp_path / "single" / folder.name)
        assert _verdicts(results[folder.name]) == _verdicts(single), folder.name
        assert results[folder.name].score == single.score
    assert results["correct0"].all_passed and results["stub"].score == 0
    assert 0 < results["relu_slip"].score < results["relu_slip"].max_score


def test_outputs_per_student_and_for_the_class(graded_class):
    cls, out, summary, events = graded_class
    names = sorted(p.name for p in cls.iterdir())
    assert [k for k, _ in events][0] == "start" and [k for k, _ in events][-1] == "finish"
    assert sum(1 for k, _ in events if k == "student") == len(names)
    for name in names:
        for f in ("results.json", "report.html", "report.md", "gradescope.json"):
            assert (out / name / f).is_file(), (name, f)
    assert not list(out.glob(".*partial*"))
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == names
    assert set(rows[0]) == {
        "student",
        "total",
        "max_total",
        "percent",
        "raw_score",
        "late_days",
        "late_penalty",
        "adjustment",
        "submitted_at",
        TOPIC,
    }
    by = {r["student"]: r for r in rows}
    assert by["correct0"]["total"] == by["correct0"]["max_total"] == by["correct0"][TOPIC]
    assert by["stub"]["total"] == "0" and by["stub"][TOPIC] == "—"  # an untouched stub: not submitted
    assert by["relu_slip"]["max_total"] == by["correct0"]["max_total"]
    manifest = json.loads((out / "batch.json").read_text())
    assert manifest["seed"] == SEED and manifest["topics"] == [TOPIC] and manifest["finished_at"]


def test_dashboard_links_misconceptions_and_escaping(graded_class):
    _, out, _, _ = graded_class
    html = (out / "index.html").read_text()
    assert 'href="correct0/report.html"' in html and 'href="stub/report.html"' in html
    assert "Score distribution" in html and "Pass rate per check" in html
    assert "test_relu_matches_tf" in html  # the relu slip shows up among the common mistakes
    assert "<i>x" not in html and "&lt;i&gt;x&amp;co" in html
    assert "%3Ci%3Ex%26co/report.html" in html


def test_junit_xml(graded_class):
    _, out, _, _ = graded_class
    root = ET.parse(out / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert "<i>x&co" in suites and "stub" in suites
    stub_cases = list(suites["stub"].iter("testcase"))
    assert stub_cases and all(c.find("skipped") is not None for c in stub_cases)
    assert int(suites["relu_slip"].get("failures")) >= 1
    assert any(c.find("failure") is not None for c in suites["relu_slip"].iter("testcase"))
    assert int(suites["correct0"].get("failures")) == 0 == int(suites["correct0"].get("errors"))
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())


def test_gradescope_file_follows_the_specification(graded_class):
    _, out, _, _ = graded_class
    for name in ("correct0", "relu_slip", "stub"):
        data = json.loads((out / name / "gradescope.json").read_text())
        results = json.loads((out / name / "results.json").read_text())
        assert isinstance(data["score"], float) and data["score"] == results["score"]
        assert isinstance(data["execution_time"], int) and isinstance(data["output"], str)
        assert data["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        assert data["stdout_visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        assert isinstance(data["tests"], list) and len(data["tests"]) == len(results["topics"][0]["checks"])
        for t in data["tests"]:
            assert isinstance(t["name"], str) and t["name"]
            assert isinstance(t["score"], float) and isinstance(t["max_score"], float)
            assert 0.0 <= t["score"] <= t["max_score"]
            assert isinstance(t["output"], str) and t["status"] in ("passed", "failed")
            assert t["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
            assert isinstance(t["number"], str) and isinstance(t["tags"], list)
        assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
    failing = [
        t for t in json.loads((out / "relu_slip" / "gradescope.json").read_text())["tests"] if t["status"] == "failed"
    ]
    assert failing and all("relu" in t["name"] or "relu" in t["output"] for t in failing)


# -------------------------------------------------------------------------------- resume


def test_resume_skips_finished_students_and_redoes_half_written_ones(tmp_path):
    cls = tmp_path / "class"
    _student(cls, "ann", SOLUTION)
    _student(cls, "ben", RELU_SLIP)
    out = tmp_path / "out"
    _run(cls, out)
    # Simulate an interruption: ben's outputs were never renamed into place, a new student came.
    shutil.rmtree(out / "ben")
    (out / ".ben.partial-dead0001").mkdir()
    (out / ".ben.partial-dead0001" / "results.json").write_text("{half")
    (out / "ann" / "sentinel").write_text("graded before the interruption")
    _student(cls, "cat", SOFTMAX_SLIP)

    events = []
    summary = run_batch(
        cls,
        _settings(),
        out,
        jobs=0,  # no --seed: the recorded one is reused
        on_event=lambda kind, info: events.append((kind, info)),
    )
    assert summary.seed == SEED
    assert summary.skipped == ["ann"] and sorted(summary.graded) == ["ben", "cat"]
    assert (out / "ann" / "sentinel").exists()
    assert not list(out.glob(".ben.partial-*"))
    results = load_results(out)
    assert sorted(results) == ["ann", "ben", "cat"] and {r.seed for r in results.values()} == {SEED}
    assert _verdicts(results["ben"]) == _verdicts(
        _as_written(grade_dir(cls / "ben", (TOPIC,), seed=SEED), tmp_path / "b")
    )
    assert len(list(csv.DictReader((out / "gradebook.csv").open()))) == 3

    with pytest.raises(UsageError, match="seed"):  # mixing seeds in one folder is refused
        run_batch(cls, _settings(seed=SEED + 1), out, jobs=0)
    summary = run_batch(cls, _settings(), out, jobs=0, force=True)
    assert sorted(summary.graded) == ["ann", "ben", "cat"] and not (out / "ann" / "sentinel").exists()


# ------------------------------------------------------------------------------- hostile


def _zip(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)


def test_hostile_and_broken_submissions_do_not_stop_the_batch(tmp_path):
    cls = tmp_path / "class"
    _student(cls, "exits", "import os\nos._exit(7)\n")
    _student(cls, "loops", SOLUTION.replace("def relu(x):\n", "def relu(x):\n    while True:\n        pass\n", 1))
    _student(cls, "chatty", "print('x' * 10_000_000)\nimport sys\nsys.exit(0)\n")
    _student(cls, "writes_reports", SOLUTION + "\nimport pathlib\npathlib.Path('results.json').write_text('{}')\n")
    _zip(cls / "zipped.zip", {"hw/activations.py": SOLUTION, "__MACOSX/._activations.py": "junk"})
    _zip(cls / "slip.zip", {"../../escaped.py": "x = 1", "activations.py": SOLUTION})
    (cls / "garbage.zip").write_bytes(b"not a zip at all")
    (cls / "broken.ipynb").write_text("{ not json")
    _student(cls, "fine", SOLUTION)
    (cls / "readme.txt").write_text("not a student")
    out = tmp_path / "out"
    summary, _ = _run(cls, out, settings={"limits": Limits(call_timeout=2.0)})
    assert summary.ignored == ["readme.txt"]
    results = load_results(out)
    assert sorted(results) == [
        "broken",
        "chatty",
        "exits",
        "fine",
        "garbage",
        "loops",
        "slip",
        "writes_reports",
        "zipped",
    ]
    assert results["fine"].all_passed and results["zipped"].all_passed and results["writes_reports"].all_passed
    exits = results["exits"].topics[0]
    assert exits.score == 0 and "exited with code 7" in exits.message
    loops = {c.function: c.status for c in results["loops"].topics[0].checks}
    assert loops["relu"] == "timeout" and loops["sigmoid"] == "passed"
    assert results["chatty"].score == 0 and not results["chatty"].internal_errors
    for name, needle in (("slip", "unsafe path"), ("garbage", "not a readable zip")):
        r = results[name]
        assert r.score == 0 and not r.internal_errors and r.max_score == results["fine"].max_score
        assert all(c.status == "error" for c in r.topics[0].checks)
        assert all(needle in c.message for c in r.topics[0].checks if not c.hidden)
    broken = results["broken"]  # an unreadable notebook: the student's problem, not the grader's
    assert broken.score == 0 and not broken.internal_errors and broken.topics[0].status == "error"
    assert not (tmp_path / "escaped.py").exists() and not (cls.parent / "escaped.py").exists()
    assert len(list(csv.DictReader((out / "gradebook.csv").open()))) == 9


# --------------------------------------------------------------------------- shard/merge


def test_shards_are_disjoint_round_robin_slices():
    students = [Student(f"s{i:02d}", Path(f"s{i:02d}"), "dir") for i in range(7)]
    shards = [select_shard(students, (i, 3)) for i in (1, 2, 3)]
    assert [s.name for s in shards[0]] == ["s00", "s03", "s06"]
    assert sorted(s.name for sh in shards for s in sh) == [s.name for s in students]
    for bad in ("0/3", "4/3", "1-3", "x/y"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_shards_then_merge_give_the_same_gradebook_as_one_batch(tmp_path):
    cls = _class(tmp_path / "class", n_correct=2)
    _run(cls, tmp_path / "all")
    _run(cls, tmp_path / "s1", shard=(1, 2))
    _run(cls, tmp_path / "s2", shard=(2, 2))
    assert (tmp_path / "s1" / "batch-1-of-2.json").is_file()
    names1, names2 = graded_students(tmp_path / "s1"), graded_students(tmp_path / "s2")
    assert names1 and names2 and not set(names1) & set(names2)
    assert main(["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "merged")]) == 1
    assert (tmp_path / "merged" / "gradebook.csv").read_text() == (tmp_path / "all" / "gradebook.csv").read_text()
    merged, whole = load_results(tmp_path / "merged"), load_results(tmp_path / "all")
    assert {n: _verdicts(r) for n, r in merged.items()} == {n: _verdicts(r) for n, r in whole.items()}
    assert (tmp_path / "merged" / "index.html").is_file() and (tmp_path / "merged" / "junit.xml").is_file()
    with pytest.raises(UsageError, match="--seed"):  # shards must share one seed
        run_batch(cls, _settings(), tmp_path / "s3", jobs=0, shard=(1, 2))
    with pytest.raises(UsageError, match="both"):  # overlapping outputs are refused
        merge([tmp_path / "all", tmp_path / "s1"], tmp_path / "bad")


# ------------------------------------------------------------------------------------ CLI


@pytest.fixture
def in_process(monkeypatch):
    """`grader batch` grading in the test's process (the CLI itself refuses --jobs 0): these
    tests are about the command's contract, the process pool has tests of its own."""
    import grader.cli.batch as cli_batch

    monkeypatch.setattr(cli_batch, "run_batch", lambda *a, **kw: run_batch(*a, **{**kw, "jobs": 0}))


def test_cli_batch_exit_codes(tmp_path, capsys, in_process):
    cls = tmp_path / "class"
    _student(cls, "ann", SOLUTION)
    out = tmp_path / "out"
    assert main(["batch", str(cls), TOPIC, "--out", str(out), "--seed", "3", "-q"]) == 0
    assert "graded 1, skipped 0" in capsys.readouterr().out
    assert main(["batch", str(cls), TOPIC, "--out", str(out), "-q"]) == 0
    assert "graded 0, skipped 1" in capsys.readouterr().out
    _student(cls, "ben", RELU_SLIP)
    assert main(["batch", str(cls), TOPIC, "--out", str(out), "-q"]) == 1
    assert main(["batch", str(cls), TOPIC, "--out", str(out), "--jobs", "0"]) == 2  # at least one process
    for argv in (
        ["batch", str(tmp_path / "nope"), "--out", str(out)],
        ["batch", str(cls), "--out", str(out), "--shard", "3/2"],
        ["batch", str(cls), "no_such_topic", "--out", str(out)],
        ["batch", str(cls)],
        ["merge", str(tmp_path / "empty-does-not-exist")],
    ):
        assert main(argv) == 2, argv


# ---------------------------------------------------------------------- reference cache


def test_reference_cache_serves_equal_fresh_values_and_keeps_gradients():
    import tensorflow

    from grader.batch.refcache import RefCache, cacheable_path, wrap

    cache = RefCache(seed=1)
    tf = wrap(tensorflow, "tf", cache)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    first = tf.nn.softmax(x).numpy()
    second = tf.nn.softmax(x)
    assert cache.hits == 1 and np.array_equal(first, second.numpy())
    mutated = second.numpy()
    mutated[...] = 0  # a check scribbling on its expected array must not poison the cache
    assert np.array_equal(tf.nn.softmax(x).numpy(), first)
    assert not np.array_equal(tf.nn.softmax(x + 1).numpy(), first)
    v = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.sigmoid(v))
    assert tape.gradient(y, v) is not None
    assert isinstance(tf.constant(1.0), tf.Tensor)
    assert not cacheable_path("tf.random.normal") and not cacheable_path("tf.nn.dropout")
    assert not cacheable_path("keras.losses.Huber") and cacheable_path("keras.losses.categorical_crossentropy")


KILLER = "import ctypes, os\nctypes.CDLL(None).kill(os.getppid(), 9)\n"


@pytest.mark.slow
def test_a_submission_killing_its_grading_process_is_isolated_and_recorded(tmp_path, monkeypatch):
    """The student's worker SIGKILLs its parent (the batch process): the pool is rebuilt, the
    innocent student in flight is regraded alone, the killer is recorded after MAX_ATTEMPTS."""
    cls = tmp_path / "class"
    # os.kill of another process is refused by the worker's audit hook (tests/test_hostile.py) and,
    # from native code, by the OS sandbox (next test). This batch-level guard is for machines
    # without one: the sandbox is switched off here (benchmark switch, best-effort).
    monkeypatch.setenv("GRADER_UNSAFE_NO_SANDBOX", "1")
    _student(cls, "killer", KILLER)
    _student(cls, "fine", SOLUTION)
    summary, events = _run(cls, tmp_path / "out", jobs=2, settings={"sandbox": "best-effort"})
    results = load_results(tmp_path / "out")
    assert results["fine"].all_passed
    killer = results["killer"]
    assert killer.score == 0 and killer.internal_errors
    assert "died" in killer.topics[0].checks[0].message
    assert summary.failed_processes >= MAX_ATTEMPTS
    assert any(kind == "retry" for kind, _ in events)
    assert not list((tmp_path / "out").glob(".*running*"))


@pytest.mark.slow
def test_a_confined_submission_cannot_kill_its_grading_process(tmp_path):
    """With the OS sandbox (the default: strict for batches) native code cannot signal the grader."""
    cls = tmp_path / "class"
    _student(cls, "killer", KILLER + SOLUTION)
    _student(cls, "fine", SOLUTION)
    summary, events = _run(cls, tmp_path / "out", jobs=2, settings={"sandbox": "strict"})
    results = load_results(tmp_path / "out")
    assert results["fine"].all_passed and results["killer"].all_passed
    assert summary.failed_processes == 0 and not any(kind == "retry" for kind, _ in events)
    assert results["killer"].sandbox["confined"]


def test_dashboard_sees_hidden_checks_that_students_do_not(tmp_path):
    """Students' folders are redacted; the class files read the unredacted copy in DIR/.instructor."""
    axis_slip = SOLUTION.replace(
        "z = x - np.max(x, axis=axis, keepdims=True)\n    e = np.exp(z)\n    return e / np.sum(e, axis=axis, keepdims=True)",  # noqa: E501
        "z = x - np.max(x, axis=-1, keepdims=True)\n    e = np.exp(z)\n    return e / np.sum(e, axis=-1, keepdims=True)",  # noqa: E501
    )
    assert axis_slip != SOLUTION
    cls = tmp_path / "class"
    _student(cls, "axis_slip", axis_slip)
    _run(cls, tmp_path / "out")
    hidden_id = f"{TOPIC}::test_softmax_respects_axis"
    mine = json.loads((tmp_path / "out" / "axis_slip" / "results.json").read_text())
    (check,) = [c for t in mine["topics"] for c in t["checks"] if c["id"] == hidden_id]
    assert check["status"] == "failed" and check["details"] == {} and "hidden check" in check["message"]
    full = load_results(tmp_path / "out")["axis_slip"]
    (check,) = [c for t in full.topics for c in t.checks if c.id == hidden_id]
    assert check.details.get("misconception") == "softmax.axis_ignored"
    assert "the axis argument ignored" in (tmp_path / "out" / "index.html").read_text()
    merged = tmp_path / "merged"
    assert main(["merge", str(tmp_path / "out"), "--out", str(merged)]) == 1  # a check failed
    (check,) = [c for t in load_results(merged)["axis_slip"].topics for c in t.checks if c.id == hidden_id]
    assert check.details.get("misconception") == "softmax.axis_ignored"
