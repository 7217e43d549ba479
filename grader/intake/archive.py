"""Untrusted archives -> a folder: safe zip extraction (paths, links, size) and finding its root."""

from __future__ import annotations

import zipfile
from pathlib import Path

from grader.errors import UsageError

ZIP_MAX_FILES = 2000
ZIP_MAX_BYTES = 200 * 1024 * 1024  # uncompressed; a zip bomb stops here


class BadSubmission(UsageError):
    """The submission cannot be opened as handed in (a broken or unsafe archive)."""


def extract_zip(path: Path, dest: Path) -> Path:
    """Extract safely (no absolute paths, no '..', no links, bounded size) and find the root."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadSubmission(f"{path.name} is not a readable zip archive ({exc})") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > ZIP_MAX_FILES:
            raise BadSubmission(f"{path.name} holds {len(members)} files; at most {ZIP_MAX_FILES} are accepted")
        if sum(m.file_size for m in members) > ZIP_MAX_BYTES:
            raise BadSubmission(f"{path.name} unpacks to more than {ZIP_MAX_BYTES // 2**20} MB")
        dest.mkdir(parents=True)
        for m in members:
            parts = Path(m.filename.replace("\\", "/")).parts
            if not parts or m.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise BadSubmission(f"{path.name} contains an unsafe path: {m.filename!r}")
            if parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
                continue
            if (m.external_attr >> 16) & 0o170000 == 0o120000:  # symbolic link
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(m) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > ZIP_MAX_BYTES:
                            raise BadSubmission(f"{path.name} unpacks to more than {ZIP_MAX_BYTES // 2**20} MB")
                        dst.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
                raise BadSubmission(f"{path.name}: cannot extract {m.filename!r} ({exc})") from None
    root = dest
    while True:  # students often zip the folder rather than its contents
        entries = [p for p in root.iterdir() if not p.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_dir() and not any(root.glob("*.py")):
            root = entries[0]
        else:
            return root
