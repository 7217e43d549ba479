"""The ``grader`` command: the only place that prints to a terminal or chooses an exit code.

Exit codes (:class:`grader.errors.ExitCode`): 0 every check passed, 1 some check did not
pass, 2 usage or configuration error, 3 internal error (the grader itself broke; a report is
still written when possible), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated

import typer
from rich.markup import escape

import grader
from grader.cli import autograder as autograder_commands
from grader.cli import batch as batch_commands
from grader.cli import classwork, course, doctor, run, watch
from grader.cli.common import err, out
from grader.core import allocator
from grader.errors import ExitCode, GraderError

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Grade TensorFlow/Keras exercises against the installed TensorFlow.",
)


def _version(value: bool) -> None:
    if value:
        out.print(f"grader {grader.__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the grader's version and exit.")
    ] = False,
) -> None:
    """Grade TensorFlow/Keras exercises against the installed TensorFlow."""


app.command("run")(run.run)
app.command("watch")(watch.watch)
app.command("list")(run.list_checks)
app.command("config")(run.config_keys)
app.command("stubs")(course.stubs)
app.command("handout")(course.handout)
app.command("release")(course.release)
app.command("batch")(batch_commands.batch)
app.command("merge")(batch_commands.merge)
app.command("export")(classwork.export)
app.command("release-feedback")(classwork.release_feedback)
app.command("autograder")(autograder_commands.autograder)
app.command("gradescope-run", hidden=True)(autograder_commands.gradescope_run)
app.command("doctor")(doctor.doctor)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: the one place errors become messages and exit codes."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ start-up chatter is not for students
    allocator.keep_freed_memory()
    try:
        code = app(args=argv, standalone_mode=False, prog_name="grader")
    except typer.Exit as exc:
        return int(exc.exit_code)
    except SystemExit as exc:  # click's own eager options (--show-completion) exit directly
        return exc.code if isinstance(exc.code, int) else int(ExitCode.OK if exc.code is None else ExitCode.USAGE)
    except GraderError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}")
        if exc.fix:
            err.print(f"[dim]fix:[/] {escape(exc.fix)}")
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        return int(ExitCode.INTERRUPTED)
    except typer.TyperException as exc:  # a usage error the parser found (unknown option, bad value)
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"[red]error:[/] {escape(str(exc))}")
        return int(ExitCode.USAGE)
    except Exception as exc:  # noqa: BLE001 - everything else is a bug
        err.print(f"[red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}")
        err.print(escape("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
        err.print("This is a bug in the grader, not in your code. Please report it with the text above.")
        return int(ExitCode.INTERNAL)
    return code if isinstance(code, int) else int(ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
