"""The one Jinja2 environment factory, its filters, and text made safe for markup.

Every report, the class files and the handouts render through :func:`environment`: HTML
and XML templates are autoescaped (by file name), everything else (Markdown, rich console
markup, notebooks' text) is not. Translations are passed per render (``_``, ``t``), never
read from process state, so one environment serves every language.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from grader import i18n
from grader.status import STATUS_LABEL

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def template_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "templates"  # `pip install .` puts templates/ inside the package
    if installed.is_dir():
        return installed
    # A source checkout (or an editable install): templates/ sits beside grader/.
    return here.parent / "templates"


def clean(text: Any, limit: int = 4000) -> str:
    """Text safe for XML/HTML attributes and bodies (escaping is the templates' job)."""
    text = _INVALID_XML.sub("\ufffd", str(text))
    if len(text) <= limit:
        return text
    # Over the limit: end at the last word boundary before it, never inside a word.
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > limit // 2 else cut).rstrip() + " …"


_DIFF_FIELDS = {
    "array": (
        "shape",
        "dtype",
        "n_bad",
        "n_total",
        "nan_in_result",
        "max_abs_err",
        "max_rel_err",
        "worst_index",
        "atol",
        "rtol",
        "got",
        "expected",
        "inputs",
    ),
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
        for x, y in zip(xs, values, strict=False):
            if y is None:
                continue
            px = pad + (x - xs[0]) / span_x * (width - 2 * pad)
            py = height - pad - (min(max(y, lo), hi) - lo) / (hi - lo) * (height - 2 * pad)
            out.append(f"{px:.1f},{py:.1f}")
        return " ".join(out)

    return {
        "width": width,
        "height": height,
        "pad": pad,
        "got": pts(curve["got"]),
        "expected": pts(curve["expected"]),
        "x0": xs[0],
        "x1": xs[-1],
        "lo": lo,
        "hi": hi,
    }


def _rich_escape(text: Any) -> str:
    from rich.markup import escape

    return escape(str(text))


@cache
def environment(*, trim: bool = True) -> jinja2.Environment:
    """The environment for ``templates/``; ``trim=False`` keeps block whitespace (handout texts)."""
    env = jinja2.Environment(
        extensions=["jinja2.ext.i18n"],
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2", "xml", "xml.j2"), default_for_string=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=trim,
        lstrip_blocks=trim,
        keep_trailing_newline=True,
    )
    env.filters["pts"] = lambda x: f"{x:g}"
    env.filters["num"] = lambda x: f"{x:.6g}" if isinstance(x, float) else str(x)
    env.filters["svg_curve"] = svg_curve
    env.filters["diff"] = diff_table
    env.filters["rx"] = _rich_escape
    env.filters["clean"] = clean
    env.globals["status_label"] = STATUS_LABEL
    return env


def render(template: str, lang: str, **context: Any) -> str:
    """Render ``template`` with ``_``/``t``/``gettext`` translating into ``lang``."""
    gettext, t = i18n.bound(lang)
    ngettext = lambda s, p, n: gettext(s if n == 1 else p)  # noqa: E731
    return (
        environment()
        .get_template(template)
        .render(_=gettext, t=t, gettext=gettext, ngettext=ngettext, lang=lang, **context)
    )
