"""A worker's reply turned into what the student reads: a StudentError in their language.

The worker is untrusted: only message ids that the grader module sending them declares
(``WORKER_MESSAGES``) are translated; anything else it sends stays the plain text it is.
"""

from __future__ import annotations

import importlib
from typing import Any

from grader.config import Limits
from grader.errors import NotAttempted, PolicyViolation, StudentImportFailed
from grader.i18n import t


def _worker_messages(code: str) -> frozenset[str]:
    """The message ids the grader module ``code`` ("package.module:function") sends from the worker."""
    mod_name = code.partition(":")[0]
    try:
        return frozenset(getattr(importlib.import_module(mod_name), "WORKER_MESSAGES", ()))
    except ImportError:  # pragma: no cover - the grader itself names the module
        return frozenset()


def localize(value: Any, code: str) -> Any:
    """``value`` (a describer's or driver's reply) with every message marker (see
    :func:`grader.sandbox.worker.message`) replaced by its translation.

    Only message ids the describing module declares are translated (the worker is untrusted);
    any other marker is left as it is.
    """
    allowed = _worker_messages(code)

    def walk(v: Any, depth: int) -> Any:
        if depth > 64:
            return v
        if isinstance(v, dict):
            msgid, params = v.get("__message__"), v.get("params")
            if len(v) == 2 and isinstance(msgid, str) and msgid in allowed and isinstance(params, dict):
                params = {str(k): walk(p, depth + 1) for k, p in params.items()}
                try:
                    return t(msgid, **params)
                except (KeyError, IndexError, ValueError, TypeError):
                    return msgid
            return {k: walk(x, depth + 1) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, depth + 1) for x in v]
        if isinstance(v, tuple):
            return tuple(walk(x, depth + 1) for x in v)
        return v

    return walk(value, 0)


def _message(reply: dict) -> str:
    if reply.get("unprintable"):
        return t("<exception message could not be printed>")
    return reply.get("message")


def _raised_text(name: str, reply: dict, limits: Limits) -> str:
    where = _where(reply)
    if reply.get("type") == "MemoryError":
        return t(
            "{name} exceeded the {mb} MB memory limit (MemoryError){where}", name=name, mb=limits.memory_mb, where=where
        )
    if reply.get("type") == "RecursionError":
        return t("{name} recursed too deeply (RecursionError: unbounded recursion?){where}", name=name, where=where)
    if reply.get("kind") == "exit":
        return t("{name} called sys.exit({code}){where}", name=name, code=reply.get("code"), where=where)
    if reply.get("kind") == "describe":
        return t(
            "the object returned by {name}() could not be inspected: {type}: {message}",
            name=name,
            type=reply.get("type"),
            message=_message(reply),
        )
    if reply.get("kind") == "encode":
        return t(
            "the value returned by {name}() could not be read ({type}: {message})",
            name=name,
            type=reply.get("type"),
            message=_message(reply),
        )
    return t(
        "{name}() raised {type}: {message}{where}",
        name=name,
        type=reply.get("type"),
        message=_message(reply),
        where=where,
    )


def _where(reply: dict) -> str:
    if not reply.get("file"):
        return ""
    return t(" (at {file}, line {line})", file=reply["file"], line=reply.get("line"))


def import_error(filename: str, reply: dict) -> Exception:
    """The StudentError a failed import of ``filename`` means for every check of its topic."""
    kind = reply.get("kind")
    if kind == "missing_module":
        return NotAttempted(t("{file} is not in the submission", file=filename))
    if kind == "syntax":
        return StudentImportFailed(
            t(
                "{file}, line {line}: SyntaxError: {message}",
                file=reply.get("file") or filename,
                line=reply.get("line"),
                message=reply.get("message"),
            )
            + (f"\n    {reply['text'].strip()}" if reply.get("text") else "")
        )
    if kind == "exit":
        return StudentImportFailed(
            t(
                "{file} called sys.exit({code}) while being imported{where}",
                file=filename,
                code=reply.get("code"),
                where=_where(reply),
            )
        )
    if kind == "policy":
        return PolicyViolation(reply.get("message", "policy violation"))
    if kind in ("timeout", "crash"):
        return StudentImportFailed(t("importing {file}: {message}", file=filename, message=reply.get("message")))
    return StudentImportFailed(
        t(
            "importing {file} failed: {type}: {message}{where}",
            file=filename,
            type=reply.get("type"),
            message=_message(reply),
            where=_where(reply),
        )
    )
