"""Generate student stubs from reference solutions, so the two can never drift.

In ``solutions/<topic>.py`` the reference code sits between ``# BEGIN SOLUTION`` and
``# END SOLUTION`` lines. Inside a function the region becomes a ``NotImplementedError``
(the grader reports such a function as "not attempted"); at module level (helpers only the
reference needs) the region is dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader.errors import UsageError

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION\s*$")
_END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
_DEF = re.compile(r"^[ \t]*(?:async\s+)?def\s+(?P<name>\w+)")


def make_stub(source: str, filename: str = "<solution>") -> str:
    out: list[str] = []
    lines = source.splitlines(keepends=True)
    i = 0
    current_def = "this function"
    while i < len(lines):
        line = lines[i]
        m_def = _DEF.match(line)
        if m_def:
            current_def = m_def.group("name")
        m = _BEGIN.match(line)
        if not m:
            if _END.match(line):
                raise UsageError(f"{filename}:{i + 1}: END SOLUTION without BEGIN SOLUTION")
            out.append(line)
            i += 1
            continue
        indent = m.group("indent")
        j = i + 1
        while j < len(lines) and not _END.match(lines[j]):
            if _BEGIN.match(lines[j]):
                raise UsageError(f"{filename}:{j + 1}: nested BEGIN SOLUTION")
            j += 1
        if j == len(lines):
            raise UsageError(f"{filename}:{i + 1}: BEGIN SOLUTION without END SOLUTION")
        if indent:
            out.append(f"{indent}# TODO: your code here.\n")
            out.append(f'{indent}raise NotImplementedError("{current_def}")\n')
        i = j + 1
    text = "".join(out)
    return re.sub(r"\n{3,}(?=\S)", "\n\n\n", text)


def generate(solutions: Path, exercises: Path, *, check: bool = False) -> list[str]:
    """Write (or with ``check`` only compare) every stub; returns the names that differ."""
    if not solutions.is_dir():
        raise UsageError(f"{solutions} is not a folder", fix="run from the course repository or pass --solutions")
    changed = []
    for src in sorted(solutions.glob("*.py")):
        if src.name.startswith("_"):
            continue
        stub = make_stub(src.read_text(encoding="utf-8"), str(src))
        dst = exercises / src.name
        if not dst.exists() or dst.read_text(encoding="utf-8") != stub:
            changed.append(src.name)
            if not check:
                exercises.mkdir(parents=True, exist_ok=True)
                dst.write_text(stub, encoding="utf-8")
    return changed
