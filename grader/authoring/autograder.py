"""A Gradescope autograder: the zip to upload, and what its ``run_autograder`` does per submission.

Layout of the zip (Gradescope extracts it to ``/autograder/source``)::

    setup.sh          installs Python and the grader's dependencies (not the grader itself)
    run_autograder    grades /autograder/submission, writes /autograder/results/results.json
    requirements.txt  the dependencies of pyproject.toml
    autograder.json   topics, seed (one for every student, like a batch), settings, data file
    grader/ templates/ pyproject.toml   the grader and its checks
    data/mnist.npz    when built with ``mnist`` (the MNIST topic needs it; no download at run time)

Never in it: ``solutions/``, ``tests/``, ``exercises/``. The known-mistake catalogues
(``grader/course/misconceptions/``, each mistake the answer with one slip) are in it: the
autograder runs on the course's behalf and the zip is visible to instructors only, and naming
the student's actual mistake is the feedback the course wants on Gradescope too. Student code
runs in the same container, though, so ``run_autograder`` loads the catalogues into the grader
process and deletes their files (and bytecode) before any student code starts; each
Gradescope run is a fresh container, so nothing is lost. Only the grader process ever has them.

``/autograder`` is ``GRADER_AUTOGRADER_ROOT`` when set (tests run the bundle in a scratch folder).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
import traceback
import zipfile
from dataclasses import replace
from pathlib import Path

import grader
from grader.config import build_settings, load_pyproject
from grader.core import runner
from grader.core.catalog import resolve_topics
from grader.course.topics import BY_SLUG
from grader.errors import UsageError
from grader.i18n import language, t
from grader.intake.ipynb import SUFFIX
from grader.intake.prepare import prepared
from grader.outputs.files import write_json
from grader.outputs.gradescope import to_gradescope
from grader.outputs.redact import Audience
from grader.outputs.templating import template_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
CONFIG = "autograder.json"
_SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
# Settings that make sense inside Gradescope's container (paths of this machine do not).
_CARRIED = (
    "call_timeout",
    "import_timeout",
    "memory_mb",
    "output_kb",
    "mnist_threshold",
    "mnist_time_budget",
    "mnist_epochs",
)

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, while it builds the autograder's image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-pip >/dev/null
cd /autograder/source
# The dependencies only: the grader runs from /autograder/source (see run_autograder).
python3 -m pip install --no-cache-dir -r requirements.txt \\
  || python3 -m pip install --no-cache-dir --break-system-packages -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, in /autograder; it writes results/results.json.
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source" || exit 1
export PYTHONPATH="$ROOT/source" PYTHONDONTWRITEBYTECODE=1 TF_CPP_MIN_LOG_LEVEL=2
exec "${GRADER_PYTHON:-python3}" -m grader.cli gradescope-run --root "$ROOT"
"""


def _requirements(pyproject: Path) -> str:
    with open(pyproject, "rb") as fh:
        deps = tomllib.load(fh).get("project", {}).get("dependencies", [])
    return "".join(f"{d}\n" for d in deps)


def build_autograder(
    out: Path, *, repo: Path, topics: list[str], seed: int, mnist: Path | None = None, lang: str = "en"
) -> list[str]:
    """Write the autograder zip; returns its member names."""
    topics = resolve_topics(topics)
    pyproject = repo / "pyproject.toml"
    if not pyproject.is_file():
        raise UsageError(f"{pyproject} does not exist", fix="run `grader autograder` from the course repository")
    if "mnist" in topics and mnist is None:
        raise UsageError(
            "the mnist topic needs the data set inside the autograder",
            fix="pass --mnist PATH/mnist.npz (or leave the mnist topic out)",
        )
    if mnist is not None and not mnist.is_file():
        raise UsageError(f"{mnist} does not exist", fix="pass the path of mnist.npz with --mnist")
    course = load_pyproject(pyproject)
    config = {
        "grader_version": grader.__version__,
        "topics": topics,
        "seed": seed,
        "lang": lang,
        "hidden_visibility": "after_due_date",
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "mnist": "data/mnist.npz" if mnist is not None else None,
        "settings": {k: v for k, v in course.items() if k in _CARRIED},
    }
    pkg = Path(grader.__file__).resolve().parent
    names: list[str] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:

        def text(arc: str, body: str, executable: bool = False) -> None:
            info = zipfile.ZipInfo(arc, date_time=time.localtime()[:6])
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, body)
            names.append(arc)

        def add(path: Path, arc: str) -> None:
            zf.write(path, arc)
            names.append(arc)

        text("setup.sh", SETUP_SH, executable=True)
        text("run_autograder", RUN_AUTOGRADER, executable=True)
        text("requirements.txt", _requirements(pyproject))
        text(CONFIG, json.dumps(config, indent=2) + "\n")
        for p in sorted(pkg.rglob("*")):
            rel = p.relative_to(pkg)
            if p.is_file() and not (_SKIP_PARTS & set(rel.parts)) and p.suffix != ".pyc":
                add(p, f"grader/{rel.as_posix()}")
        templates = template_dir()
        for p in sorted(templates.rglob("*")):
            rel = p.relative_to(templates)
            if p.is_file() and not (_SKIP_PARTS & set(rel.parts)):
                add(p, f"templates/{rel.as_posix()}")
        add(pyproject, "pyproject.toml")
        if mnist is not None:
            add(mnist, "data/mnist.npz")
    tmp.replace(out)
    return names


def seal_catalogues(source: Path) -> list[str]:
    """Load the known-mistake catalogues into this process, then delete their files under
    ``source`` (student code runs in this container next). Returns the files removed."""
    from grader.course import misconceptions

    misconceptions.load_all()
    folder = Path(misconceptions.__file__).resolve().parent
    try:
        folder.relative_to(source.resolve())
    except ValueError:  # not the bundle's copy (e.g. a developer's checkout): leave it alone
        return []
    removed = []
    for p in sorted(folder.iterdir()):
        if p.name == "__pycache__":
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
        elif p.suffix == ".py" and p.name != "__init__.py":
            p.unlink()
            removed.append(p.name)
    return removed


def find_submission(folder: Path, topics: list[str]) -> Path:
    """Where the modules are: the submission itself, its ``exercises/``, or its one sub-folder."""

    def has_work(d: Path) -> bool:
        return any((d / BY_SLUG[t].module_file).is_file() for t in topics) or any(d.glob(f"*{SUFFIX}"))

    for _ in range(3):  # a zip of a folder of a folder is still found
        if has_work(folder):
            return folder
        if (folder / "exercises").is_dir():
            folder = folder / "exercises"
            continue
        subs = [d for d in folder.iterdir() if d.is_dir() and not d.name.startswith((".", "__"))]
        if len(subs) != 1:
            return folder
        folder = subs[0]
    return folder


def gradescope_run(root: Path) -> dict:
    """Grade ``root/submission`` as configured in ``root/source/autograder.json`` and write
    ``root/results/results.json``; a results file is written whatever happens."""
    started = time.monotonic()
    results_path = root / "results" / "results.json"
    try:
        config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
        topics, lang = list(config["topics"]), config.get("lang") or "en"
        seal_catalogues(root / "source")
        table = dict(config.get("settings") or {})
        mnist = str(root / "source" / config["mnist"]) if config.get("mnist") else None
        submission = root / "submission"
        if not submission.is_dir():
            raise UsageError(f"no submission folder at {submission}")
        work_dir = find_submission(submission, topics)
        settings = build_settings(
            table, submission=work_dir, topics=tuple(topics), seed=int(config["seed"]), mnist=mnist, lang=lang
        )
        with prepared(work_dir, topics) as work:
            result = runner.run(replace(settings, submission=work.path, topics=work.narrow(topics)), label="submission")
        data = to_gradescope(
            result,
            lang=lang,
            audience=Audience.INSTRUCTOR,
            hidden_visibility=config.get("hidden_visibility", "after_due_date"),
        )
    except Exception as exc:  # noqa: BLE001 - Gradescope must always get a results file
        error = f"{type(exc).__name__}: {exc}"
        with language(locals().get("lang", "en")):
            message = t(
                "The autograder could not grade this submission ({error}); please tell your course staff.", error=error
            )
        data = {
            "score": 0.0,
            "execution_time": int(round(time.monotonic() - started)),
            "output": str(message),
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "extra_data": {
                "internal_error": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]
            },
            "tests": [],
        }
    results_path.parent.mkdir(parents=True, exist_ok=True)
    write_json(results_path, data)
    os.chmod(results_path, 0o644)
    return data
