"""Render the results model through the Jinja2 templates and write the report files."""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2

from grader.results import RunResult

STATUS_LABEL = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "timeout": "timeout",
    "not_attempted": "not attempted",
}


def template_dir() -> Path:
    try:
        return Path(str(resources.files("grader.templates")))
    except (ModuleNotFoundError, TypeError):
        # Running from a source checkout without installing: templates/ sits beside grader/.
        return Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
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
    return env


def render(result: RunResult, template: str, audience: str = "student") -> str:
    return environment().get_template(template).render(r=result, audience=audience)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(result: RunResult, out: Path, audience: str = "student") -> dict[str, Path]:
    """results.json, report.html and report.md in ``out``, each written atomically."""
    paths = {
        "json": out / "results.json",
        "html": out / "report.html",
        "md": out / "report.md",
    }
    _atomic_write(paths["json"], result.to_json() + "\n")
    _atomic_write(paths["html"], render(result, "report.html.j2", audience))
    _atomic_write(paths["md"], render(result, "report.md.j2", audience))
    return paths
