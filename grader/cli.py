"""The ``grader`` command. The only place that prints or chooses an exit code.

Exit codes: 0 every check passed, 1 some check did not pass, 2 usage or configuration
error, 3 internal error (the grader itself broke; a report is still written when possible).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape

from grader.errors import GraderError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Grade TensorFlow/Keras exercises against the installed TensorFlow.",
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

_STYLE = {"passed": "green", "failed": "red", "error": "yellow", "timeout": "yellow", "not_attempted": "dim",
          "graded": "green"}


@app.command()
def run(
    topics: Optional[List[str]] = typer.Argument(None, help="Topics to grade (default: all). See `grader list`."),
    submission: Path = typer.Option(Path("exercises"), "--submission", "-s", help="Folder with your topic modules."),
    out_dir: Path = typer.Option(Path("grader-report"), "--out", "-o", help="Where results.json and the reports go."),
    seed: Optional[int] = typer.Option(None, help="Seed for the random test inputs (recorded in the report; reuse it to replay a run)."),
    config: Optional[Path] = typer.Option(None, help="pyproject.toml with a [tool.grader] table (default: ./pyproject.toml)."),
    timeout: Optional[float] = typer.Option(None, help="Seconds one call of a student function may take."),
    memory_mb: Optional[int] = typer.Option(None, "--memory-mb", help="Memory cap (MB) for each worker process running student code."),
    mnist: Optional[str] = typer.Option(None, help="Path to mnist.npz (else GRADER_MNIST, then the Keras cache)."),
    audience: str = typer.Option("student", help="student: hidden checks show no details; instructor: everything."),
    lang: Optional[str] = typer.Option(None, help="Language of messages and reports: en or zh (default: from the locale)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the total."),
) -> None:
    """Grade a submission and write results.json, report.html and report.md."""
    from grader import config as cfg
    from grader import i18n, report, runner

    if audience not in ("student", "instructor"):
        raise UsageError(f"--audience must be student or instructor, not {audience!r}")
    table = cfg.load_pyproject(config)
    settings = cfg.build_settings(
        table, submission=submission, topics=tuple(topics or ()), seed=seed, out=out_dir,
        call_timeout=timeout, memory_mb=memory_mb, mnist=mnist, lang=lang,
    )
    i18n.set_lang(settings.lang or i18n.default_lang())
    with err.status(i18n._("Grading… (importing TensorFlow and starting workers)"), spinner="dots") as status:
        def progress(topic: str, event: dict) -> None:
            status.update(f"{topic}: {escape(str(event.get('message', ''))[:200])}")

        result = runner.run(settings, on_progress=progress)
    paths = report.write_reports(result, settings.out, audience, i18n.get_lang())
    _print_summary(report.redact_hidden(result) if audience == "student" else result, quiet)
    out.print("\n" + i18n.t("Reports: {html}  {md}  {json}", html=paths["html"], md=paths["md"], json=paths["json"]))
    if result.internal_errors:
        err.print("[yellow]" + escape(i18n.t("{n} check(s) broke inside the grader; see the report.",
                                             n=len(result.internal_errors))) + "[/]")
        raise typer.Exit(EXIT_INTERNAL)
    raise typer.Exit(EXIT_OK if result.all_passed else EXIT_FAILED)


def _print_summary(result, quiet: bool) -> None:
    from grader.report import render_summary

    out.print(render_summary(result, quiet=quiet, style=_STYLE))


@app.command("list")
def list_checks() -> None:
    """List topics, their checks and points."""
    from grader import runner

    checks = runner.collect(runner.available_topics())
    current = None
    for cid, meta in checks:
        if meta.topic != current:
            current = meta.topic
            total = sum(m.points for _, m in checks if m.topic == current)
            out.print(f"\n[bold]{current}[/] ({total:g} points)")
        out.print(f"  {meta.points:>4g}  {escape(cid.split('::', 1)[1])}  [dim]({meta.function})[/]")


@app.command()
def stubs(
    solutions: Path = typer.Option(Path("solutions"), help="Folder with reference modules."),
    exercises: Path = typer.Option(Path("exercises"), help="Folder to write the stubs to."),
    check: bool = typer.Option(False, help="Only report stubs that are out of date (exit 1 if any)."),
) -> None:
    """(Instructors) Regenerate the student stubs from the reference solutions."""
    from grader.stubs import generate

    changed = generate(solutions, exercises, check=check)
    if check:
        if changed:
            out.print(f"out of date: {', '.join(changed)} (run `grader stubs`)")
            raise typer.Exit(EXIT_FAILED)
        out.print("stubs are up to date")
    else:
        out.print(f"wrote {len(changed)} stub(s)" + (f": {', '.join(changed)}" if changed else ""))


# ---- further commands live in their own modules and register here (one line each) ----
# (keep this block: handouts, batch grading and other command groups add themselves below)
from grader import cli_handout  # noqa: E402

app.command("handout")(cli_handout.handout)
app.command("release")(cli_handout.release)

from grader import cli_batch  # noqa: E402

app.command("batch")(cli_batch.batch)
app.command("merge")(cli_batch.merge)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: the one place errors become messages and exit codes."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ start-up chatter is not for students
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except GraderError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}")
        if exc.fix:
            err.print(f"[dim]fix:[/] {escape(exc.fix)}")
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        return EXIT_INTERNAL
    except Exception as exc:  # usage errors are handled below; everything else is a bug
        # Typer vendors Click; its ClickException is a base of typer.BadParameter.
        click_exception = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
        if isinstance(exc, click_exception):
            exc.show()
            return EXIT_USAGE
        import traceback

        err.print(f"[red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}")
        err.print(escape("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
        err.print("This is a bug in the grader, not in your code. Please report it with the text above.")
        return EXIT_INTERNAL
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
