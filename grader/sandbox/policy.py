"""What a numpy-only module may not import, checked before it runs (the worker checks again)."""

from __future__ import annotations

import ast
from pathlib import Path

# Modules a numpy-only topic may not import (checked statically and at import time).
FORBIDDEN_IN_NUMPY_ONLY = ("tensorflow", "keras", "tf_keras", "torch", "jax", "jaxlib", "flax")


def forbidden_imports(path: Path) -> list[str]:
    """Forbidden libraries a numpy-only module imports, found statically (before running it).

    Sees ``import x``, ``from x import y`` and ``__import__("x")`` / ``importlib.import_module("x")``
    with a literal name; anything more devious is still refused at import time by the worker.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return []  # the worker reports syntax errors with file and line
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            fn = node.func
            fname = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if fname in ("__import__", "import_module"):
                names = [node.args[0].value]
        for n in names:
            if n.partition(".")[0] in FORBIDDEN_IN_NUMPY_ONLY:
                found.add(n.partition(".")[0])
    return sorted(found)
