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
from rich.table import Table

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

_STYLE = {"passed": "green", "failed": "red", "error": "yellow", "timeout": "yellow", "not_attempted": "dim"}


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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the total."),
) -> None:
    """Grade a submission and write results.json, report.html and report.md."""
    from grader import config as cfg
    from grader import report, runner

    if audience not in ("student", "instructor"):
        raise UsageError(f"--audience must be student or instructor, not {audience!r}")
    table = cfg.load_pyproject(config)
    settings = cfg.build_settings(
        table, submission=submission, topics=tuple(topics or ()), seed=seed, out=out_dir,
        call_timeout=timeout, memory_mb=memory_mb, mnist=mnist,
    )
    with err.status("Grading… (importing TensorFlow and starting workers)", spinner="dots") as status:
        def progress(topic: str, event: dict) -> None:
            status.update(f"{topic}: {escape(str(event.get('message', ''))[:200])}")

        result = runner.run(settings, on_progress=progress)
    paths = report.write_reports(result, settings.out, audience)
    _print_summary(result, quiet)
    out.print(f"\nReports: {paths['html']}  {paths['md']}  {paths['json']}")
    if result.internal_errors:
        err.print(f"[yellow]{len(result.internal_errors)} check(s) broke inside the grader; see the report.[/]")
        raise typer.Exit(EXIT_INTERNAL)
    raise typer.Exit(EXIT_OK if result.all_passed else EXIT_FAILED)


def _print_summary(result, quiet: bool) -> None:
    if not quiet:
        t = Table(title=f"TensorFlow {result.tensorflow_version} · seed {result.seed}", title_justify="left")
        t.add_column("topic")
        t.add_column("score", justify="right")
        t.add_column("passed", justify="right")
        t.add_column("status")
        for tr in result.topics:
            t.add_row(tr.topic, f"{tr.score:g} / {tr.max_score:g}", f"{tr.counts['passed']} / {len(tr.checks)}",
                      tr.status.replace("_", " "))
        out.print(t)
        for tr in result.topics:
            if tr.message:
                out.print(f"[bold]{tr.topic}[/]: [yellow]{escape(tr.message)}[/]")
            failing = [c for c in tr.checks if c.status != "passed"]
            if tr.message and all(c.status == tr.checks[0].status for c in tr.checks):
                continue  # one topic-wide line says it all
            if failing and all(c.status == "not_attempted" for c in tr.checks):
                out.print(f"[bold]{tr.topic}[/]: [dim]not attempted ({len(tr.checks)} checks)[/]")
                continue
            for c in failing:
                style = _STYLE.get(c.status, "red")
                out.print(f"  [{style}]{c.status.replace('_', ' ')}[/] {escape(c.id)}")
                if c.hidden:
                    out.print("      hidden check")
                elif c.message and c.status != "not_attempted":
                    first = c.message.splitlines()[0]
                    out.print(f"      {escape(first[:400])}")
                if c.hint and c.status != "not_attempted":
                    out.print(f"      [dim]hint: {escape(c.hint)}[/]")
    out.print(f"\n[bold]Total: {result.score:g} / {result.max_score:g}[/]")


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


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: the one place errors become messages and exit codes."""
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
