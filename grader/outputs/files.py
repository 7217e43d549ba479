"""Writing output files so that a reader never sees half of one, and refusing an --out that cannot take them."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.errors import UsageError

_FIX = "pass --out a folder you can write to (it is created if missing)"


def check_out_dir(out: Path, names: Iterable[str] = ()) -> Path:
    """Make sure the grader can write ``names`` into the folder ``out``: a :class:`UsageError` (exit 2)
    saying how to fix it when ``out`` is a file, lies below a file, cannot be created or written, or
    when a folder stands where one of the files goes. Creates ``out`` (and its parents) if missing.

    Checked before grading, so a wrong --out costs nothing; :func:`out_error` maps the same problems
    if they appear while writing.
    """
    out = Path(out)
    for p in (out, *out.parents):
        if p.exists() and not p.is_dir():
            what = "is a file" if p == out else f"lies inside {p}, which is a file"
            raise UsageError(f"--out {out} {what}, not a folder", fix=_FIX)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise out_error(out, exc) from None
    for name in names:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            raise UsageError(
                f"{target} is a folder, where the grader writes its {name}",
                fix=f"remove or rename that folder, or {_FIX}",
            )
    try:  # permission bits do not tell (root, read-only mounts, ACLs): try it
        fd, probe = tempfile.mkstemp(dir=out, prefix=".grader-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise out_error(out, exc) from None
    return out


def out_error(out: Path, exc: OSError) -> UsageError:
    """The usage error an OSError raised while creating or writing in ``out`` means."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return UsageError(f"cannot write to --out {out}: {reason}{where}", fix=_FIX)
    if exc.errno == errno.ENOTDIR:
        return UsageError(f"--out {out} lies inside a file, not a folder{where}", fix=_FIX)
    if exc.errno == errno.EISDIR:
        return UsageError(
            f"a folder stands where the grader writes a report{where}", fix=f"remove or rename that folder, or {_FIX}"
        )
    if exc.errno == errno.ENOSPC:
        return UsageError(f"no space left to write to --out {out}", fix="free some space or choose another --out")
    return UsageError(f"cannot write to --out {out}: {reason}{where}", fix=_FIX)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
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


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def publish_dir(tmp: Path, final: Path) -> None:
    """Replace ``final`` by the complete folder ``tmp`` (rename: atomic on one filesystem)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(final, old)
    os.rename(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
