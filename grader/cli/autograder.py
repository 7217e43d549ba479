"""``grader autograder``: the Gradescope autograder zip; ``grader gradescope-run``: what it runs."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from grader.authoring.autograder import ROOT_ENV, build_autograder
from grader.authoring.autograder import gradescope_run as run_in_container
from grader.cli.common import LangOpt, Seed, Topics, lang_value, out
from grader.errors import ExitCode, UsageError


def autograder(
    topics: Topics = None,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The zip to upload to Gradescope.")] = Path(
        "autograder.zip"
    ),
    seed: Seed = None,
    mnist: Annotated[
        Path | None, typer.Option(help="mnist.npz to ship inside (needed by the mnist topic).", show_default=False)
    ] = None,
    lang: LangOpt = None,
) -> None:
    """(Instructors) Write a Gradescope autograder (setup.sh, run_autograder, the grader and its checks)."""
    if out_file.suffix != ".zip":
        raise UsageError(f"--out must name a .zip file, not {out_file}")
    chosen_seed = seed if seed is not None else secrets.randbelow(2**31)
    names = build_autograder(
        out_file,
        repo=Path.cwd(),
        topics=list(topics or ()),
        seed=chosen_seed,
        mnist=mnist,
        lang=lang_value(lang) or "en",
    )
    out.print(
        f"wrote {escape(str(out_file))} ({len(names)} files; seed {chosen_seed}; no solutions). Upload it "
        "as the assignment's autograder (Configure Autograder → Zip file upload)."
    )
    raise typer.Exit(ExitCode.OK)


def gradescope_run(
    root: Annotated[
        Path, typer.Option(envvar=ROOT_ENV, help="The autograder folder (Gradescope: /autograder).")
    ] = Path("/autograder"),
) -> None:
    """Grade ROOT/submission and write ROOT/results/results.json (run by the bundle's run_autograder)."""
    data = run_in_container(root)
    out.print(
        f"score {data.get('score', 0):g}; {len(data.get('tests', []))} test(s); "
        f"{escape(str(root / 'results' / 'results.json'))}"
    )
    raise typer.Exit(ExitCode.OK)
