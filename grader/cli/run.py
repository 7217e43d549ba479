"""``grader run`` and ``grader list``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from grader import i18n
from grader.cli.common import (AudienceOpt, Config, LangOpt, MemoryMb, Mnist, Quiet, SandboxOpt, Seed, STYLE, Timeout,
                               Topics, err, out, result_exit_code, settings_from_options)
from grader.core import runner
from grader.core.catalog import available_topics, collect
from grader.errors import ExitCode
from grader.intake.prepare import prepared
from grader.outputs.files import check_out_dir
from grader.outputs.redact import Audience
from grader.outputs.report import REPORT_FILES, render_summary, write_reports


def run(
    topics: Topics = None,
    submission: Annotated[Path, typer.Option("--submission", "-s", help="Folder with your topic modules (or a "
                                             "notebook, or a .zip).")] = Path("exercises"),
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Where results.json and the reports go.")]
    = Path("grader-report"),
    seed: Seed = None,
    config: Config = None,
    timeout: Timeout = None,
    memory_mb: MemoryMb = None,
    mnist: Mnist = None,
    audience: AudienceOpt = Audience.STUDENT,
    lang: LangOpt = None,
    quiet: Quiet = False,
    sandbox: SandboxOpt = None,
) -> None:
    """Grade a submission and write results.json, report.html and report.md."""
    settings = settings_from_options(config, submission=submission, topics=topics, out_dir=out_dir, seed=seed,
                                     timeout=timeout, memory_mb=memory_mb, mnist=mnist, lang=lang, sandbox=sandbox,
                                     sandbox_default="best-effort")
    check_out_dir(settings.out, REPORT_FILES)  # a bad --out is a usage error before anything is graded
    lang_code = i18n.check_lang(settings.lang)
    with i18n.language(lang_code):
        status_text = i18n._("Grading… (importing TensorFlow and starting workers)")
    with prepared(settings.submission, settings.topics) as work:
        for note in work.notes:
            err.print(f"[dim]note: {escape(note)}[/]")
        with err.status(status_text, spinner="dots") as status:
            def progress(topic: str, event: dict) -> None:
                status.update(f"{topic}: {escape(str(event.get('message', ''))[:200])}")

            result = runner.run(replace(settings, submission=work.path, topics=work.narrow(settings.topics),
                                        lang=lang_code),
                                on_progress=progress, label=submission)
    paths = write_reports(result, settings.out, audience, lang_code)
    out.print(render_summary(result, lang=lang_code, audience=audience, quiet=quiet, style=STYLE))
    _, t = i18n.bound(lang_code)
    out.print("\n" + t("Reports: {html}  {md}  {json}", html=paths["html"], md=paths["md"], json=paths["json"]))
    if result.internal_errors:
        err.print("[yellow]" + escape(t("{n} check(s) broke inside the grader; see the report.",
                                        n=len(result.internal_errors))) + "[/]")
    raise typer.Exit(result_exit_code(result))


def list_checks() -> None:
    """List topics, their checks and points."""
    checks = collect(available_topics())
    current = None
    for cid, meta in checks:
        if meta.topic != current:
            current = meta.topic
            total = sum(m.points for _, m in checks if m.topic == current)
            out.print(f"\n[bold]{current}[/] ({total:g} points)")
        out.print(f"  {meta.points:>4g}  {escape(cid.split('::', 1)[1])}  [dim]({meta.function})[/]")
    raise typer.Exit(ExitCode.OK)
