"""Student-facing text in English and Simplified Chinese (gettext catalogues, read with Babel).

Every student-facing string is written in English in the code as a gettext message id —
``_("...")`` for text, ``t("... {name} ...", name=...)`` for text with placeholders,
``N_("...")`` to mark a string for extraction that is translated later — and check titles
and hints (declared with markers) are message ids too. ``grader/locale/zh.po`` holds the
Chinese translations. English needs no catalogue: the message id is the English text.

Maintainers: ``python -m grader.i18n extract`` lists every message id (code, templates, check
titles and hints) into ``grader/locale/messages.pot`` and adds missing ones to ``zh.po``;
a test fails while any of them lacks a translation or a translation's placeholders differ.
"""

from __future__ import annotations

import locale
import os
import re
import string
from functools import lru_cache
from pathlib import Path

LANGS = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_state = {"lang": "en"}


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


def set_lang(lang: str) -> None:
    if lang not in LANGS:
        from grader.errors import UsageError

        raise UsageError(f"unknown language {lang!r}", fix=f"use one of: {', '.join(LANGS)}")
    _state["lang"] = lang


def get_lang() -> str:
    return _state["lang"]


@lru_cache(maxsize=None)
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
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def gettext(msgid: str, lang: str | None = None) -> str:
    if not msgid:
        return msgid
    return catalog(lang or _state["lang"]).get(msgid, msgid)


_ = gettext


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; translate it later with ``_``."""
    return msgid


def t(msgid: str, **params) -> str:
    """Translate ``msgid`` and fill its ``{placeholders}``."""
    text = gettext(msgid)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return msgid.format(**params)  # a broken translation must not hide the message


def placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def translate_title(title: str, lang: str | None = None) -> str:
    """A check title, keeping a parametrization suffix like ' [float32]' untranslated."""
    whole = gettext(title, lang)
    if whole != title:  # a title that itself ends in brackets, e.g. "... like [1000, 1000, 999]"
        return whole
    m = re.match(r"^(.*?)( \[[^\]]*\])?$", title, re.S)
    base, suffix = m.group(1), m.group(2) or ""
    return gettext(base, lang) + suffix


# ------------------------------------------------------------------------- maintenance


def extract_ids() -> dict[str, str]:
    """Every message id with where it comes from: code, templates, check titles and hints."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parent
    ids: dict[str, str] = {}
    keywords = {"_": None, "N_": None, "t": None, "gettext": None}
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=keywords,
    ):
        if isinstance(message, str) and message:
            ids.setdefault(message, f"grader/{filename}")
    templates = root.parent / "templates"
    if not templates.exists():
        from grader.report import template_dir

        templates = template_dir()
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
        str(templates), method_map=[("**.j2", "jinja2")], keywords={"_": None, "t": None},
        options_map={"**.j2": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}},
    ):
        if isinstance(message, str) and message:
            ids.setdefault(message, f"templates/{filename}")
    from grader.runner import available_topics, collect

    for cid, meta in collect(available_topics()):
        # Only a parametrized check's title carries a " [param]" suffix that is not translated.
        base = re.sub(r" \[[^\]]*\]$", "", meta.title) if "[" in cid else meta.title
        ids.setdefault(base, f"title of {cid}")
        if meta.hint:
            ids.setdefault(meta.hint, f"hint of {cid}")
    return ids


def _main(argv: list[str]) -> int:
    import fcntl
    import json

    if argv[:1] not in (["extract"], ["merge"]) or (argv[0] == "merge") != (len(argv) == 2):
        print("usage: python -m grader.i18n extract | merge TRANSLATIONS.json")
        return 2
    translations = json.loads(Path(argv[1]).read_text(encoding="utf-8")) if argv[0] == "merge" else {}
    bad = {k: v for k, v in translations.items() if placeholders(k) != placeholders(v)}
    if bad:
        print(f"placeholders differ: {bad}")
        return 1
    LOCALE_DIR.mkdir(exist_ok=True)
    # Several maintainers (or helpers) may update the catalogue at once; one at a time.
    with open(LOCALE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _update_catalogues(translations)


def _update_catalogues(translations: dict[str, str]) -> int:
    """Rewrite messages.pot from the code and add new ids (and ``translations``) to zh.po."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    ids = extract_ids()
    pot = Catalog(project="tfgrader")
    for msgid, where in sorted(ids.items()):
        pot.add(msgid, auto_comments=[where])
    LOCALE_DIR.mkdir(exist_ok=True)
    with open(LOCALE_DIR / "messages.pot", "wb") as fh:
        write_po(fh, pot, width=100, omit_header=True)
    zh_path = LOCALE_DIR / "zh.po"
    if zh_path.exists():
        with open(zh_path, "rb") as fh:
            zh = read_po(fh, locale="zh_Hans_CN")
    else:
        zh = Catalog(locale="zh_Hans_CN", project="tfgrader")
    added = 0
    for msgid, where in sorted(ids.items()):
        if msgid not in zh:
            zh.add(msgid, "", auto_comments=[where])
            added += 1
    unknown = sorted(k for k in translations if k not in ids)
    for msgid, text in translations.items():
        if msgid in ids:
            zh[msgid].string = text
    stale = [m.id for m in zh if m.id and m.id not in ids]
    for msgid in stale:
        del zh[msgid]
    with open(zh_path, "wb") as fh:
        write_po(fh, zh, width=100, omit_header=True, sort_output=True)
    missing = sum(1 for m in zh if m.id and not m.string)
    print(f"{len(ids)} message ids; added {added}, removed {len(stale)} stale; {missing} untranslated in zh.po")
    for msgid, where in sorted(ids.items()):
        if not (zh.get(msgid) and zh[msgid].string):
            print(f"  untranslated ({where}): {msgid!r}")
    if unknown:
        print(f"{len(unknown)} translations for ids not in the code (ignored): {unknown[:5]}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    raise SystemExit(_main(sys.argv[1:]))
