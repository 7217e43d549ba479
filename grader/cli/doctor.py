"""``grader doctor``: what this machine can do to confine student code, and why not."""

from __future__ import annotations

import os
import platform
import sys

import typer

import grader
from grader.cli.common import out
from grader.errors import ExitCode
from grader.outputs import templating
from grader.sandbox import client as sandbox


def doctor() -> None:
    """Show which operating-system protections confine student code on this machine, and why not.

    Exit 0 when a worker started here is fully confined (what `--sandbox strict` needs), 1 otherwise.
    """
    predicted = sandbox.probe()
    tried = sandbox.trial()
    strict_ok = all(v["state"] in ("available", "not_needed") for v in predicted.values()) and tried["confined"]
    try:
        sandbox.require("strict")
        refusal = None
    except Exception as exc:  # noqa: BLE001 - a UsageError: shown, not raised
        refusal = {"message": getattr(exc, "message", str(exc)), "fix": getattr(exc, "fix", "")}
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    machine = {
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_version()} ({sys.executable})",
        "user": "root (uid 0)" if uid == 0 else (f"uid {uid}" if uid is not None else "unknown"),
        "grader": grader.__version__,
    }
    out.print(
        templating.render(
            "doctor.rich.j2",
            "en",
            machine=machine,
            predicted=predicted,
            tried=tried,
            names=sandbox.MECHANISMS,
            strict_ok=strict_ok,
            refusal=refusal,
        )
    )
    raise typer.Exit(ExitCode.OK if strict_ok else ExitCode.FAILED)
