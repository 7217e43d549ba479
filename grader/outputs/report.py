"""Render the results model through the Jinja2 templates and write the report files.

Every renderer takes the language and the audience explicitly; hidden checks are redacted
once (:mod:`grader.outputs.redact`) before any template sees the result.
"""

from __future__ import annotations

from pathlib import Path

from grader.core.results import RunResult, localized
from grader.outputs import feedback, templating
from grader.outputs.files import atomic_write, check_out_dir, out_error
from grader.outputs.redact import Audience, for_audience


def prepare(result: RunResult, *, lang: str, audience: Audience | str) -> RunResult:
    """What a renderer gets: ``result`` in ``lang``, as ``audience`` may see it."""
    return localized(for_audience(result, audience), lang)


def _context(shown: RunResult) -> dict:
    """What every report template gets: the result and its feedback grouped by function."""
    return {"r": shown, "v": feedback.build(shown)}


def render(
    result: RunResult, template: str, *, audience: Audience | str = Audience.STUDENT, lang: str | None = None
) -> str:
    lang = lang or result.lang
    return templating.render(template, lang, **_context(prepare(result, lang=lang, audience=audience)))


def render_summary(
    result: RunResult,
    *,
    lang: str,
    audience: Audience | str = Audience.STUDENT,
    quiet: bool = False,
    style: dict | None = None,
) -> str:
    """The terminal summary as rich console markup (rendered, like every report, from a template)."""
    return templating.render(
        "summary.rich.j2",
        lang,
        **_context(prepare(result, lang=lang, audience=audience)),
        quiet=quiet,
        style=style or {},
    )


REPORT_FILES = ("results.json", "report.html", "report.md")


def write_reports(
    result: RunResult,
    out: Path,
    audience: Audience | str = Audience.STUDENT,
    lang: str | None = None,
    course: dict | None = None,
) -> dict[str, Path]:
    """results.json, report.html and report.md in ``out``, each written atomically.

    For the student audience hidden checks are redacted everywhere, results.json included.
    ``course``: the course's part of a graded batch (late penalty, adjustments, final score;
    see grader.batch.feedback), shown in a block of its own. An ``out`` the grader cannot
    write to is a :class:`~grader.errors.UsageError` (exit 2) saying how to fix it.
    """
    lang = lang or result.lang
    shown = prepare(result, lang=lang, audience=audience)
    paths = dict(zip(("json", "html", "md"), (out / name for name in REPORT_FILES), strict=False))
    context = _context(shown)
    texts = {
        "json": shown.to_json() + "\n",
        "html": templating.render("report.html.j2", lang, course=course, **context),
        "md": templating.render("report.md.j2", lang, course=course, **context),
    }
    check_out_dir(out, REPORT_FILES)
    try:
        for key, path in paths.items():
            atomic_write(path, texts[key])
    except OSError as exc:
        raise out_error(out, exc) from None
    return paths
