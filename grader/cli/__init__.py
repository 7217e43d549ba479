"""The ``grader`` command (``grader.cli:main`` is the console script)."""

from grader.cli.app import app, main

__all__ = ["app", "main"]
