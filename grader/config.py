"""Settings: defaults, then ``[tool.grader]`` in pyproject.toml, then command-line flags."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.student import Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Settings:
    submission: Path = Path("exercises")
    topics: tuple[str, ...] = ()
    seed: int | None = None
    out: Path = Path("grader-report")
    limits: Limits = field(default_factory=Limits)
    mnist: str | None = None  # explicit path to mnist.npz
    mnist_threshold: float = 0.97
    mnist_time_budget: float = 600.0  # seconds for the student's train() call
    mnist_epochs: int | None = None  # None: the student's default (the course uses 4)
    lang: str | None = None  # en | zh; None: from the locale
    mnist_unavailable: str | None = None  # why MNIST could not be found (set by the runner)


# [tool.grader] keys and where they land.
_LIMIT_KEYS = {f.name for f in fields(Limits)}
_SETTING_KEYS = {"mnist", "mnist_threshold", "mnist_time_budget", "mnist_epochs", "seed", "lang"}


def load_pyproject(path: Path | None) -> dict[str, Any]:
    """The ``[tool.grader]`` table of ``path`` (or ./pyproject.toml when it exists)."""
    if path is None:
        path = Path("pyproject.toml")
        if not path.exists():
            return {}
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist", fix="pass an existing pyproject.toml to --config") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}", fix="fix the file or pass another with --config") from None
    table = data.get("tool", {}).get("grader", {})
    unknown = set(table) - _LIMIT_KEYS - _SETTING_KEYS
    if unknown:
        raise UsageError(
            f"unknown key(s) in [tool.grader] of {path}: {', '.join(sorted(unknown))}",
            fix=f"known keys: {', '.join(sorted(_LIMIT_KEYS | _SETTING_KEYS))}",
        )
    return table


def build_settings(table: dict[str, Any], **overrides: Any) -> Settings:
    """Merge a [tool.grader] table with CLI overrides (None means 'not given')."""
    s = Settings()
    limits = s.limits
    for key, value in table.items():
        if key in _LIMIT_KEYS:
            limits = replace(limits, **{key: _typed(key, value, type(getattr(limits, key)))})
        else:
            s = replace(s, **{key: value})
    limit_over = {k: v for k, v in overrides.items() if k in _LIMIT_KEYS and v is not None}
    if limit_over:
        limits = replace(limits, **limit_over)
    rest = {k: v for k, v in overrides.items() if k not in _LIMIT_KEYS and v is not None}
    s = replace(s, limits=limits, **rest)
    if s.mnist is None and os.environ.get("GRADER_MNIST"):
        s = replace(s, mnist=os.environ["GRADER_MNIST"])
    return s


def _typed(key: str, value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise UsageError(f"[tool.grader] {key} should be a {kind.__name__}, got {value!r}") from None
