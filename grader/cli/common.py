"""What every command shares: the consoles, the option declarations, settings from options.

Options are declared once, as ``Annotated`` aliases, and used by ``run``, ``batch`` and
``watch`` alike; their values are validated in one place (:mod:`grader.config`).
"""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from grader import config as cfg
from grader.config import Settings
from grader.core.results import RunResult
from grader.errors import ExitCode
from grader.i18n import LANGS
from grader.outputs.redact import Audience

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

STYLE = {
    "passed": "green",
    "failed": "red",
    "error": "yellow",
    "timeout": "yellow",
    "not_attempted": "dim",
    "graded": "green",
    "not_graded": "yellow",
}

Lang = enum.Enum("Lang", {code: code for code in LANGS}, type=str)  # type: ignore[misc]
SandboxMode = enum.Enum("SandboxMode", {"strict": "strict", "best_effort": "best-effort"}, type=str)

# Rich would read "[tool.grader]" as markup and drop it from --help: escaped once, here.
_CONFIG_HELP = "pyproject.toml with a \\[tool.grader] table (default: ./pyproject.toml)."


def lang_value(lang: Any) -> str | None:
    """A --lang option's language code (the enum's value), or None when not given."""
    return None if lang is None else str(getattr(lang, "value", lang))


def complete_topic(incomplete: str) -> list[str]:
    """Shell completion for topic arguments: the topics that have checks."""
    from grader.core.catalog import available_topics

    return [t for t in available_topics() if t.startswith(incomplete)]


Topics = Annotated[
    list[str] | None,
    typer.Argument(
        help="Topics to grade (default: all). See `grader list`.", show_default=False, autocompletion=complete_topic
    ),
]
Config = Annotated[Path | None, typer.Option(help=_CONFIG_HELP, show_default=False)]
Seed = Annotated[
    int | None,
    typer.Option(
        help="Seed for the random test inputs (>= 0; recorded in the report: reuse it to replay a run).",
        show_default=False,
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", help="Seconds one call of a student function may take (> 0).", show_default=False),
]
MemoryMb = Annotated[
    int | None,
    typer.Option(
        "--memory-mb", help="Memory cap (MB) for each worker process running student code.", show_default=False
    ),
]
Mnist = Annotated[
    str | None, typer.Option(help="Path to mnist.npz (else GRADER_MNIST, then the Keras cache).", show_default=False)
]
LangOpt = Annotated[
    Lang | None,
    typer.Option("--lang", help="Language of messages and reports (default: from the locale).", show_default=False),
]
AudienceOpt = Annotated[Audience, typer.Option(help="student: hidden checks show no details; instructor: everything.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the total.")]
Adjustments = Annotated[
    Path | None,
    typer.Option(
        "--adjustments",
        help="Manual adjustments CSV (columns student, target, points, comment; default: adjustments.csv in the "
        "graded folder, when it exists).",
        show_default=False,
    ),
]
GradedDir = Annotated[Path, typer.Argument(help="A `grader batch` output folder.")]


def print_markup(console: Console, markup: str) -> None:
    """Print rendered console markup line by line; a long line wraps at words under its own indent.

    Templates indent nested lines (a check under its function); the console's own wrapping
    would start continuation lines at column 0, so each line is padded by its indent instead.
    """
    from rich.text import Text

    # Parsed whole, then split: a style may span lines (a multi-line hint inside [dim]...[/]).
    for line in Text.from_markup(markup).split("\n", allow_blank=True):
        indent = len(line.plain) - len(line.plain.lstrip(" "))
        if not indent:
            console.print(line)
            continue
        body = line[indent:]
        for part in body.wrap(console, max(20, console.width - indent)):
            part.rstrip()
            console.print(Text(" " * indent) + part, soft_wrap=True)


SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override any \\[tool.grader] key for this run, e.g. --set mnist_epochs=1 "
        "(repeatable; `grader config` lists the keys).",
        show_default=False,
    ),
]
SandboxOpt = Annotated[
    SandboxMode | None,
    typer.Option(
        "--sandbox",
        help="strict: refuse to grade unless the operating system fully confines student code "
        "(files, network, processes); best-effort: grade anyway and report what was not confined. "
        "Default: sandbox in \\[tool.grader], else strict for `grader batch`, best-effort for `grader run`. "
        "See `grader doctor`.",
        show_default=False,
    ),
]


def settings_from_options(
    config: Path | None,
    *,
    submission: Path,
    topics: list[str] | None,
    out_dir: Path,
    seed: int | None,
    timeout: float | None,
    memory_mb: int | None,
    mnist: str | None,
    lang: Any,
    sandbox: Any = None,
    sandbox_default: str = "best-effort",
    assignments: list[str] | None = None,
    **more: Any,
) -> Settings:
    """Defaults, then ``[tool.grader]``, then these flags (None: not given).

    ``sandbox_default``: the command's own default mode when neither the flag nor the table sets one.
    """
    table = {**cfg.load_pyproject(config), **cfg.parse_assignments(assignments or [])}
    settings = cfg.build_settings(
        table,
        submission=submission,
        topics=tuple(topics or ()),
        seed=seed,
        out=out_dir,
        call_timeout=timeout,
        memory_mb=memory_mb,
        mnist=mnist,
        lang=lang_value(lang),
        sandbox=getattr(sandbox, "value", sandbox),
        **more,
    )
    if settings.sandbox is None:
        settings = replace(settings, sandbox=sandbox_default)
    return settings


def course_settings(config: Path | None) -> Settings:
    """The course's settings (``[tool.grader]``) for commands that grade nothing themselves."""
    return cfg.build_settings(cfg.load_pyproject(config))


def exit_code(result_passed: bool, internal_errors: int) -> ExitCode:
    """0 all passed, 1 a check did not pass, 3 the grader broke on some check."""
    if internal_errors:
        return ExitCode.INTERNAL
    return ExitCode.OK if result_passed else ExitCode.FAILED


def result_exit_code(result: RunResult) -> ExitCode:
    return exit_code(result.all_passed, len(result.internal_errors))
