"""The student bundle: exercises, student notebooks (en, zh), how-to and the installable grader."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

import grader
from grader import i18n
from grader.authoring.handouts import LANGS, render_text, write_handouts
from grader.authoring.stubs import generate
from grader.core.catalog import available_topics, max_scores
from grader.course.topics import BY_SLUG
from grader.errors import UsageError
from grader.outputs.templating import template_dir

README = {"en": "README.md", "zh": "README.zh.md"}
_PACKAGE_SKIP = re.compile(
    r"(^|/)(__pycache__|\.ipynb_checkpoints|\.pytest_cache)(/|$)|\.pyc$|(^|/)\.lock$"
    # The known-mistake catalogues stay with the course: each wrong variant
    # is the answer with one slip, so shipping them would ship the answers.
    r"|^course/misconceptions/(?!__init__\.py$)"
)


def build_release(repo: Path, out: Path, *, exercises: Path, solutions: Path | None = None) -> list[str]:
    """Write the student bundle zip; returns the archive's member names.

    Contents (under ``tfgrader-student/``): exercises/, notebooks/ (student editions, both
    languages), the student's README.md and README.zh.md (rendered from
    templates/handouts/README.<lang>.md.j2: install, edit, grade, watch, read the report;
    never the course's README, whose commands need solutions/ and tests/), the grader
    package (grader/ incl. its checks, templates/, pyproject.toml) so `pip install .` works. Never solutions/,
    tests/, instructor notebooks or the misconception catalogues (the framework stays, so a
    student's local run simply names no mistakes; the course's own grading does).
    """
    if solutions is not None and solutions.is_dir():
        stale = generate(solutions, exercises, check=True)
        if stale:
            raise UsageError(
                f"the stubs in {exercises} are out of date: {', '.join(stale)}",
                fix="run `grader stubs` first, so students get the current exercises",
            )
    pkg = Path(grader.__file__).resolve().parent
    templates = template_dir()
    pyproject = repo / "pyproject.toml"
    if not pyproject.is_file():
        raise UsageError(f"{pyproject} does not exist", fix="run `grader release` from the course repository")
    topics = [t for t in available_topics() if (exercises / BY_SLUG[t].module_file).is_file()]
    if not topics:
        raise UsageError(f"no exercises found in {exercises}", fix="run from the course repository or pass --exercises")
    root = "tfgrader-student"
    names: list[str] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_zip = out.with_name(out.name + ".tmp")
    with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
        nb_dir = Path(tmp) / "notebooks"
        write_handouts(topics, list(LANGS), ["student"], nb_dir, exercises=exercises, solutions=exercises)
        points = max_scores(topics)
        ctx = {
            "topics": topics,
            "version": grader.__version__,
            "points": points,
            "titles": {t: BY_SLUG[t].title for t in topics},
            "titles_zh": {t: i18n.gettext(BY_SLUG[t].title, "zh") for t in topics},
            "numpy_only": {t: BY_SLUG[t].numpy_only for t in topics},
        }
        with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as zf:

            def add(path: Path, arc: str) -> None:
                zf.write(path, f"{root}/{arc}")
                names.append(f"{root}/{arc}")

            for p in sorted(exercises.glob("*.py")):
                add(p, f"exercises/{p.name}")
            for p in sorted(nb_dir.glob("*.ipynb")):
                add(p, f"notebooks/{p.name}")
            for lang in LANGS:
                arc = f"{root}/{README[lang]}"
                zf.writestr(arc, render_text(f"README.{lang}.md.j2", **ctx))
                names.append(arc)
            for p in sorted(pkg.rglob("*")):
                rel = p.relative_to(pkg).as_posix()
                if p.is_file() and not _PACKAGE_SKIP.search(rel):
                    add(p, f"grader/{rel}")
            for p in sorted(templates.rglob("*")):
                rel = p.relative_to(templates).as_posix()
                if p.is_file() and not _PACKAGE_SKIP.search(rel) and rel != "__init__.py":
                    add(p, f"templates/{rel}")
            add(pyproject, "pyproject.toml")  # its readme = "README.md": the student's, written above
    tmp_zip.replace(out)
    return names
