"""Render the results model through the Jinja2 templates and write the report files."""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import dataclasses

import jinja2

from grader import i18n
from grader.i18n import N_
from grader.results import RunResult

STATUS_LABEL = {
    "passed": N_("passed"),
    "failed": N_("failed"),
    "error": N_("error"),
    "timeout": N_("timeout"),
    "not_attempted": N_("not attempted"),
    "graded": N_("graded"),
}


def template_dir() -> Path:
    here = Path(__file__).resolve().parent
    installed = here / "templates"  # `pip install .` puts templates/ inside the package
    if installed.is_dir():
        return installed
    # A source checkout (or an editable install): templates/ sits beside grader/.
    return here.parent / "templates"


_DIFF_FIELDS = {
    "array": ("shape", "dtype", "n_bad", "n_total", "nan_in_result", "max_abs_err", "max_rel_err",
              "worst_index", "atol", "rtol", "got", "expected", "inputs"),
    "scalar": ("got", "expected", "abs_err", "atol", "rtol", "inputs"),
}


def diff_table(details: dict | None) -> dict | None:
    """The fields of a numeric diff table, each present ("—" where a check left one out), or None.

    Details come from many checks; a missing field must cost one cell, never the report.
    """
    if not isinstance(details, dict) or details.get("kind") not in _DIFF_FIELDS:
        return None
    kind = details["kind"]
    return {"kind": kind, **{k: details.get(k, "—") for k in _DIFF_FIELDS[kind]}}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pts"] = lambda x: f"{x:g}"
    env.filters["num"] = lambda x: (f"{x:.6g}" if isinstance(x, float) else str(x))
    env.globals["status_label"] = STATUS_LABEL
    env.globals["t"] = i18n.t
    env.filters["svg_curve"] = svg_curve
    env.filters["diff"] = diff_table
    env.filters["rx"] = _rich_escape
    # The language is read at render time, so one cached environment serves both.
    env.install_gettext_callables(
        gettext=lambda s: i18n.gettext(s), ngettext=lambda s, p, n: i18n.gettext(s if n == 1 else p),
        newstyle=False,
    )
    return env


def svg_curve(curve: dict, width: int = 360, height: int = 200, pad: int = 24) -> dict:
    """Polyline points (in SVG pixels) for a check's student and TensorFlow curves."""
    xs = curve["x"]
    finite = [v for v in curve["expected"] + curve["got"] if v is not None]
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    span_x = (xs[-1] - xs[0]) or 1.0

    def pts(values):
        out = []
        for x, y in zip(xs, values):
            if y is None:
                continue
            px = pad + (x - xs[0]) / span_x * (width - 2 * pad)
            py = height - pad - (min(max(y, lo), hi) - lo) / (hi - lo) * (height - 2 * pad)
            out.append(f"{px:.1f},{py:.1f}")
        return " ".join(out)

    return {"width": width, "height": height, "pad": pad, "got": pts(curve["got"]),
            "expected": pts(curve["expected"]), "x0": xs[0], "x1": xs[-1], "lo": lo, "hi": hi}


def _rich_escape(text) -> str:
    from rich.markup import escape

    return escape(str(text))


def render_summary(result: RunResult, *, quiet: bool = False, style: dict | None = None) -> str:
    """The terminal summary as rich console markup (rendered, like every report, from a template)."""
    return environment().get_template("summary.rich.j2").render(r=result, quiet=quiet, style=style or {})


def redact_hidden(result: RunResult) -> RunResult:
    """The student edition: hidden checks keep their verdict and points, nothing else."""
    topics = []
    for topic in result.topics:
        checks = tuple(
            dataclasses.replace(c, message=i18n._("hidden check: its inputs and expected values are not shown")
                                if c.status != "passed" else "", details={}, hint="")
            if c.hidden else c
            for c in topic.checks
        )
        topics.append(dataclasses.replace(topic, checks=checks))
    return dataclasses.replace(result, topics=tuple(topics))


def render(result: RunResult, template: str, audience: str = "student", lang: str | None = None) -> str:
    previous = i18n.get_lang()
    i18n.set_lang(lang or previous)
    try:
        return environment().get_template(template).render(r=result, audience=audience, lang=i18n.get_lang())
    finally:
        i18n.set_lang(previous)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide reports from TAs and web servers
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(result: RunResult, out: Path, audience: str = "student", lang: str | None = None) -> dict[str, Path]:
    """results.json, report.html and report.md in ``out``, each written atomically.

    For the student audience hidden checks are redacted everywhere, results.json included.
    """
    if audience == "student":
        result = redact_hidden(result)
    paths = {
        "json": out / "results.json",
        "html": out / "report.html",
        "md": out / "report.md",
    }
    _atomic_write(paths["json"], result.to_json() + "\n")
    _atomic_write(paths["html"], render(result, "report.html.j2", audience, lang))
    _atomic_write(paths["md"], render(result, "report.md.j2", audience, lang))
    return paths
