"""Handout notebooks, notebook submissions and the student release bundle.

Execution budget (CI has 2 cores; each kernel imports TensorFlow): every topic's notebook
is executed once per edition — the instructor edition in English, the student edition in
Chinese (both languages are generated and validated) — two kernels at a time. The MNIST
self-checks run with a reduced budget, stated here: GRADER_SELF_CHECK_SETTINGS sets
``mnist_epochs=1`` and ``mnist_threshold=0.9`` (the course network reaches ~0.96 after one
epoch; the full 4-epoch/0.97 run is covered by tests/test_mnist.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from grader.authoring import handouts as ho
from grader.core.catalog import api_names, available_topics, points_by_function
from tests.conftest import EXERCISES, MNIST_NPZ, REPO, SOLUTIONS, grade_dir
from tests.unit.authoring.test_handouts import _code, _contains_body, _solution_bodies

TOPICS = [t for t in available_topics() if (SOLUTIONS / f"{t}.py").exists() and (EXERCISES / f"{t}.py").exists()]
MNIST_BUDGET = {"mnist_epochs": 1, "mnist_threshold": 0.9}
HAVE_MNIST = MNIST_NPZ.exists() or bool(os.environ.get("GRADER_MNIST"))


def _topics_runnable():
    return [t for t in TOPICS if t != "mnist" or HAVE_MNIST]


@pytest.fixture(scope="module", autouse=True)
def _env():
    old = {k: os.environ.get(k) for k in ("GRADER_SELF_CHECK_SETTINGS", "GRADER_MNIST")}
    os.environ["GRADER_SELF_CHECK_SETTINGS"] = json.dumps(MNIST_BUDGET)
    if MNIST_NPZ.exists():
        os.environ.setdefault("GRADER_MNIST", str(MNIST_NPZ))
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def handouts(tmp_path_factory):
    out = tmp_path_factory.mktemp("handouts")
    ho.write_handouts(TOPICS, list(ho.LANGS), list(ho.EDITIONS), out, exercises=EXERCISES, solutions=SOLUTIONS)
    return out


# ------------------------------------------------------------------------------ conversion


def test_a_syntax_error_in_a_graded_function_is_reported_not_ignored(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import numpy as np"),
            nbformat.v4.new_code_cell("def relu(x):\n    return np.maximum(x, 0"),
        ]
    )
    path = tmp_path / "activations.ipynb"
    nbformat.write(nb, str(path))
    result = grade_dir(path, ("activations",))
    (tr,) = result.topics
    assert tr.status == "error" and "SyntaxError" in tr.message, tr.message


# ------------------------------------------------------------------------------ grading notebooks


def _fill_one(student_nb, topic: str):
    """The student notebook with its first graded function replaced by the reference, plus noise."""
    name = api_names(topic)[0]
    chunks = ho.split_module((SOLUTIONS / f"{topic}.py").read_text(encoding="utf-8"))
    (ref,) = [c.source for c in chunks if c.kind == "function" and c.names == [name]]
    # the reference's module-level helpers (constants, private functions) are not in the stub;
    # a student writes their own. They earn no points by themselves.
    helpers = "\n\n".join(c.source for c in chunks if c.kind in ("setup", "helper"))
    ref = helpers + "\n\n\n" + ref
    nb = nbformat.from_dict(json.loads(json.dumps(student_nb)))
    idx = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and re.match(rf"(def|class) {name}\b", c.source)
    )
    nb.cells[idx].source = ref
    nb.cells[idx].execution_count = 7
    v4 = nbformat.v4
    nb.cells.insert(idx + 1, v4.new_code_cell(f"%timeit -n1 -r1 pass\n!echo scratch\nscratch = {name!r}"))
    # the stub again, earlier in the notebook but executed later: document order decides, not execution order
    stub = next(c for c in ho.split_module((EXERCISES / f"{topic}.py").read_text()) if c.names == [name]).source
    nb.cells.insert(1, v4.new_code_cell(stub, execution_count=99))
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i}"
    return nb, name


@pytest.fixture(scope="module")
def graded_notebooks(handouts, tmp_path_factory):
    """One grading run over instructor notebooks, one over one-function student notebooks."""
    topics = _topics_runnable()
    inst_dir = tmp_path_factory.mktemp("inst-submission")
    part_dir = tmp_path_factory.mktemp("partial-submission")
    filled = {}
    for t in topics:
        (inst_dir / f"{t}.ipynb").write_bytes((handouts / ho.notebook_name(t, "en", "instructor")).read_bytes())
        student = nbformat.read(str(handouts / ho.notebook_name(t, "zh", "student")), 4)
        nb, filled[t] = _fill_one(student, t)
        nbformat.write(nb, str(part_dir / f"{t}.zh.student.ipynb"))
    full = grade_dir(inst_dir, tuple(topics), **MNIST_BUDGET)
    partial = grade_dir(part_dir, tuple(topics), **MNIST_BUDGET)
    return (
        {t: tr for t, tr in ((tr.topic, tr) for tr in full.topics)},
        {t: tr for t, tr in ((tr.topic, tr) for tr in partial.topics)},
        filled,
    )


# Under `pytest -n 2 --dist loadgroup` (scripts/test) the tests that share an expensive
# module fixture run on one worker, so the fixture is built once, not once per worker.
GRADING = pytest.mark.xdist_group("handouts-grading")
KERNELS = pytest.mark.xdist_group("handouts-kernels")
RELEASE = pytest.mark.xdist_group("handouts-release")


@GRADING
@pytest.mark.parametrize("topic", _topics_runnable())
def test_an_instructor_notebook_as_submission_gets_full_marks(graded_notebooks, topic):
    tr = graded_notebooks[0][topic]
    bad = [(c.id, c.status, c.message[:200]) for c in tr.checks if c.status != "passed"]
    assert tr.score == tr.max_score and not bad, bad


@GRADING
@pytest.mark.parametrize("topic", _topics_runnable())
def test_a_student_notebook_with_one_function_gets_exactly_its_points(graded_notebooks, topic):
    tr, name = graded_notebooks[1][topic], graded_notebooks[2][topic]
    expected = points_by_function(topic)[name]
    wrong = [(c.id, c.status) for c in tr.checks if (c.function == name) != (c.status == "passed")]
    assert tr.score == pytest.approx(expected) and not wrong, (name, tr.score, expected, wrong)


def test_a_single_notebook_file_grades_only_its_topic(handouts, tmp_path):
    path = tmp_path / "mine.ipynb"  # the topic comes from the metadata, not the name
    path.write_bytes((handouts / ho.notebook_name(TOPICS[0], "en", "student")).read_bytes())
    result = grade_dir(path, ())
    assert [t.topic for t in result.topics] == [TOPICS[0]]
    assert result.topics[0].status == "not_attempted"


# ------------------------------------------------------------------------------ execution


def _execute(path: str) -> dict:
    """Run a notebook in a fresh Jupyter kernel (separate process); report errors and self-checks."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, 4)
    error = None
    try:
        NotebookClient(
            nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}}
        ).execute()
    except Exception as exc:  # noqa: BLE001 - reported by the test
        error = f"{type(exc).__name__}: {str(exc)[-3000:]}"
    checks = [
        o.metadata["grader"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "display_data" and "grader" in o.get("metadata", {})
    ]
    texts = [
        o.data.get("text/plain", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "display_data" and "grader" in o.get("metadata", {})
    ]
    streams = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "stream"
    )
    nbformat.write(nb, path.replace(".ipynb", ".executed.ipynb"))
    return {"error": error, "checks": checks, "texts": texts, "streams": streams}


@pytest.fixture(scope="module")
def executed(handouts):
    jobs = {}
    for t in _topics_runnable():
        jobs[(t, "instructor")] = str(handouts / ho.notebook_name(t, "en", "instructor"))
        jobs[(t, "student")] = str(handouts / ho.notebook_name(t, "zh", "student"))
    # the MNIST notebooks train; start them first so the two workers finish together
    order = sorted(jobs, key=lambda k: k[0] != "mnist")
    # Under xdist the other pytest worker already uses the second core: one kernel at a time.
    with ProcessPoolExecutor(max_workers=1 if os.environ.get("PYTEST_XDIST_WORKER") else 2) as pool:
        futures = {k: pool.submit(_execute, jobs[k]) for k in order}
        return {k: f.result() for k, f in futures.items()}


@KERNELS
@pytest.mark.parametrize("topic", _topics_runnable())
def test_instructor_notebook_runs_and_its_self_check_gives_full_marks(executed, topic):
    res = executed[(topic, "instructor")]
    assert res["error"] is None, res["error"]
    (check,) = res["checks"]
    assert check["topic"] == topic and check["max_score"] > 0
    assert check["score"] == check["max_score"], res["texts"][0]


@KERNELS
@pytest.mark.parametrize("topic", _topics_runnable())
def test_student_notebook_runs_and_its_self_check_reports_not_attempted(executed, topic):
    res = executed[(topic, "student")]
    assert res["error"] is None, res["error"]
    (check,) = res["checks"]
    assert check["status"] == "not_attempted" and check["score"] == 0, res["texts"][0]
    assert check["counts"]["not_attempted"] == sum(check["counts"].values())
    # the Chinese plot labels were drawn with a font that has their glyphs (CI installs fonts-noto-cjk)
    assert "missing from font" not in res["streams"] and "没有找到中文字体" not in res["streams"], res["streams"]


# ------------------------------------------------------------------------------ release


@pytest.fixture(scope="module")
def release_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "student.zip"
    proc = subprocess.run(
        [sys.executable, "-m", "grader.cli", "release", "--out", str(out)], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@RELEASE
def test_release_has_what_students_need(release_zip):
    with zipfile.ZipFile(release_zip) as zf:
        names = set(zf.namelist())
    root = "tfgrader-student/"
    assert all(n.startswith(root) for n in names)
    rel = {n[len(root) :] for n in names}
    for t in TOPICS:
        assert f"exercises/{t}.py" in rel
        for lang in ho.LANGS:
            assert f"notebooks/{ho.notebook_name(t, lang, 'student')}" in rel
    for needed in (
        "README.md",
        "README.zh.md",
        "pyproject.toml",
        "grader/__init__.py",
        "grader/cli/app.py",
        "grader/notebook.py",
        "grader/course/checks/grader.ini",
        "templates/report.html.j2",
        f"templates/handouts/{TOPICS[0]}.zh.md.j2",
    ):
        assert needed in rel, needed
    assert any(r.startswith("grader/course/checks/test_") for r in rel)


@RELEASE
def test_release_ships_the_students_readme_in_both_languages(release_zip):
    with zipfile.ZipFile(release_zip) as zf:
        en = zf.read("tfgrader-student/README.md").decode("utf-8")
        zh = zf.read("tfgrader-student/README.zh.md").decode("utf-8")
    course = (REPO / "README.md").read_text(encoding="utf-8")
    assert en != course and "For instructors" not in en and "solutions" not in en and "pytest" not in en
    for text in (en, zh):
        for needed in (
            "pip install .",
            "exercises/",
            "grader run",
            "grader watch",
            'self_check("softmax"',
            "report.html",
            "--seed",
            "grader list",
        ):
            assert needed in text, needed
        for t in TOPICS:  # every topic with its points
            assert f"`{t}`" in text
    assert "README.zh.md" in en and "README.md" in zh
    assert len(re.findall(r"[\u4e00-\u9fff]", zh)) > 500 and not re.search(r"[\u4e00-\u9fff]{3}", en)


@RELEASE
def test_release_contains_no_solution_code(release_zip):
    with zipfile.ZipFile(release_zip) as zf:
        names = zf.namelist()
        assert not [n for n in names if "/solutions/" in n or n.endswith("instructor.ipynb") or "/tests/" in n]
        catalogues = [n for n in names if "/grader/course/misconceptions/" in n]
        assert catalogues == ["tfgrader-student/grader/course/misconceptions/__init__.py"], catalogues
        texts = {n: zf.read(n).decode("utf-8", "replace") for n in names}
    bodies = [(t, b) for t in TOPICS for b in _solution_bodies(t)]
    assert bodies
    leaks = [(t, n, b.strip()[:80]) for t, b in bodies for n, text in texts.items() if _contains_body(text, b)]
    # notebooks are JSON: check their code cells too
    for n, text in texts.items():
        if n.endswith(".ipynb"):
            code = "\n".join(_code(nbformat.reads(text, 4)))
            leaks += [(t, n, b.strip()[:80]) for t, b in bodies if _contains_body(code, b)]
    assert not leaks, leaks


@RELEASE
def test_release_zip_installs_as_a_package_source(release_zip, tmp_path):
    """The bundle's pyproject builds a wheel holding the grader, its checks and templates."""
    with zipfile.ZipFile(release_zip) as zf:
        zf.extractall(tmp_path)
    src = tmp_path / "tfgrader-student"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "wheel"),
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip("pip wheel unavailable")
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        inside = set(zf.namelist())
    assert "grader/notebook.py" in inside and "grader/templates/handouts/_common.en.md.j2" in inside
    assert not [n for n in inside if n.startswith("solutions/")]
