"""Student-facing text in English and Simplified Chinese (gettext catalogues, read with Babel).

Every student-facing string is written in English in the code as a gettext message id —
``_("...")`` for text, ``t("... {name} ...", name=...)`` for text with placeholders,
``N_("...")`` to mark a string for extraction that is translated later — and check titles
and hints (declared with markers) are message ids too. ``grader/locale/zh.po`` holds the
Chinese translations. English needs no catalogue: the message id is the English text.

The language is never process-global state. Code that produces messages runs inside
``with language(lang):`` (a context variable: each thread and task has its own), and
``_``/``t`` return :class:`Text`: a ``str`` in that language which also remembers its
message id and parameters, so the same message can be rendered later in any language
(:func:`localize`). Reports therefore render one results model in either language.

Maintainers: ``python -m grader.authoring.catalogue extract`` refreshes the catalogues.
"""

from __future__ import annotations

import contextlib
import contextvars
import locale
import os
import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

LANGS = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("grader_lang", default="en")


def default_lang() -> str:
    """zh when the user's locale is Chinese, else en."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def check_lang(lang: str | None) -> str:
    """``lang`` validated; None means the user's locale."""
    if lang is None:
        return default_lang()
    if lang not in LANGS:
        from grader.errors import UsageError

        raise UsageError(f"unknown language {lang!r}", fix=f"use one of: {', '.join(LANGS)}")
    return lang


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Produce messages in ``lang`` inside the block (None: the user's locale)."""
    token = _current.set(check_lang(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current() -> str:
    """The language messages are produced in right now."""
    return _current.get()


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> msgstr for ``lang`` (empty for English)."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / f"{lang}.po"
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        cat = read_po(fh)
    return {
        m.id: m.string
        for m in cat
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def gettext(msgid: str, lang: str | None = None) -> str:
    """The plain translation of ``msgid`` in ``lang`` (default: the current language)."""
    if not msgid:
        return msgid
    return catalog(lang or _current.get()).get(str(msgid), str(msgid))


def _format(msgid: str, params: dict[str, Any], lang: str) -> str:
    values = {k: (v.render(lang) if isinstance(v, Text) else v) for k, v in params.items()}
    try:
        return gettext(msgid, lang).format(**values)
    except (KeyError, IndexError, ValueError):
        return msgid.format(**values)  # a broken translation must not hide the message


class Text(str):
    """A message in the current language that can be rendered again in any other.

    ``parts`` is what the text was made of: message ids with their parameters, other
    ``Text`` and literal strings. Concatenating with ``+`` keeps the structure; anything
    else (f-strings, ``join``, slicing) gives a plain ``str`` in the current language,
    which is still correct, only no longer translatable afterwards.
    """

    parts: tuple[Any, ...]

    def __new__(cls, text: str = "", parts: tuple[Any, ...] = ()) -> Text:
        obj = super().__new__(cls, text)
        obj.parts = parts
        return obj

    def render(self, lang: str) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, Text):
                out.append(part.render(lang))
            elif isinstance(part, tuple):
                out.append(_format(part[0], part[1], lang))
            else:
                out.append(str(part))
        return "".join(out)

    def __add__(self, other: object) -> Any:
        if not isinstance(other, str):
            return NotImplemented
        return Text(str.__add__(str(self), str(other)), (self, other))

    def __radd__(self, other: object) -> Any:
        if not isinstance(other, str):
            return NotImplemented
        return Text(str.__add__(str(other), str(self)), (other, self))

    def __getnewargs__(self) -> tuple[str]:  # pickling: the text, then __dict__ (parts)
        return (str(self),)


def _(msgid: str) -> Text:
    """Translate ``msgid`` into the current language."""
    return Text(gettext(msgid), ((str(msgid), {}),))


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; translate it later with ``_``."""
    return msgid


def t(msgid: str, **params: Any) -> Text:
    """Translate ``msgid`` into the current language and fill its ``{placeholders}``."""
    return Text(_format(msgid, params, _current.get()), ((msgid, params),))


def localize(value: Any, lang: str) -> Any:
    """``value`` rendered in ``lang`` if it is a :class:`Text`, else unchanged."""
    return value.render(lang) if isinstance(value, Text) else value


def bound(lang: str) -> tuple[Any, Any]:
    """``(_, t)`` that translate into ``lang`` and return plain strings (for templates)."""

    def gettext_(msgid: str) -> str:
        return gettext(msgid, lang)

    def t_(msgid: str, **params: Any) -> str:
        return _format(msgid, params, lang)

    return gettext_, t_


def placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def translate_title(title: str, lang: str | None = None) -> str:
    """A check title, keeping a parametrization suffix like ' [float32]' untranslated."""
    whole = gettext(title, lang)
    if whole != title:  # a title that itself ends in brackets, e.g. "... like [1000, 1000, 999]"
        return whole
    m = re.match(r"^(.*?)( \[[^\]]*\])?$", title, re.S)
    assert m is not None  # the pattern matches every string
    base, suffix = m.group(1), m.group(2) or ""
    return gettext(base, lang) + suffix
