"""Render the results model through the Jinja2 templates and write the report files.

Every renderer takes the language and the audience explicitly; hidden checks are redacted
once (:mod:`grader.outputs.redact`) before any template sees the result.
"""

from __future__ import annotations

from pathlib import Path

from grader.core.results import RunResult, localized
from grader.outputs import feedback, templating
from grader.outputs.files import atomic_write
from grader.outputs.redact import Audience, for_audience


def prepare(result: RunResult, *, lang: str, audience: Audience | str) -> RunResult:
    """What a renderer gets: ``result`` in ``lang``, as ``audience`` may see it."""
    return localized(for_audience(result, audience), lang)


def _context(shown: RunResult) -> dict:
    """What every report template gets: the result and its feedback grouped by function."""
    return {"r": shown, "v": feedback.build(shown)}


def render(result: RunResult, template: str, *, audience: Audience | str = Audience.STUDENT,
           lang: str | None = None) -> str:
    lang = lang or result.lang
    return templating.render(template, lang, **_context(prepare(result, lang=lang, audience=audience)))


def render_summary(result: RunResult, *, lang: str, audience: Audience | str = Audience.STUDENT,
                   quiet: bool = False, style: dict | None = None) -> str:
    """The terminal summary as rich console markup (rendered, like every report, from a template)."""
    return templating.render("summary.rich.j2", lang, **_context(prepare(result, lang=lang, audience=audience)),
                             quiet=quiet, style=style or {})


def write_reports(result: RunResult, out: Path, audience: Audience | str = Audience.STUDENT,
                  lang: str | None = None, course: dict | None = None) -> dict[str, Path]:
    """results.json, report.html and report.md in ``out``, each written atomically.

    For the student audience hidden checks are redacted everywhere, results.json included.
    ``course``: the course's part of a graded batch (late penalty, adjustments, final score;
    see grader.batch.feedback), shown in a block of its own.
    """
    lang = lang or result.lang
    shown = prepare(result, lang=lang, audience=audience)
    paths = {
        "json": out / "results.json",
        "html": out / "report.html",
        "md": out / "report.md",
    }
    atomic_write(paths["json"], shown.to_json() + "\n")
    context = _context(shown)
    atomic_write(paths["html"], templating.render("report.html.j2", lang, course=course, **context))
    atomic_write(paths["md"], templating.render("report.md.j2", lang, course=course, **context))
    return paths
