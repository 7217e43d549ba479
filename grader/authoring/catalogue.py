"""Maintain the translation catalogues: extract every message id, merge translations.

``python -m grader.authoring.catalogue extract`` lists every message id (code, templates,
check titles and hints) into ``grader/locale/messages.pot`` and adds missing ones to
``zh.po``; ``... merge TRANSLATIONS.json`` fills translations (a JSON object msgid -> text).
A test fails while any id lacks a Chinese translation or a translation's placeholders differ.
"""

from __future__ import annotations

import fcntl
import json
import re
import sys
from pathlib import Path

from grader.core.catalog import available_topics, collect
from grader.i18n import LOCALE_DIR, placeholders
from grader.outputs.templating import template_dir


def extract_ids() -> dict[str, str]:
    """Every message id with where it comes from: code, templates, check titles and hints."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parent.parent
    ids: dict[str, str] = {}
    keywords = {"_": None, "N_": None, "t": None, "gettext": None}
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
        str(root),
        method_map=[("**.py", "python")],
        keywords=keywords,
    ):
        if isinstance(message, str) and message:
            ids.setdefault(message, f"grader/{filename}")
    templates = template_dir()
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
        str(templates),
        method_map=[("**.j2", "jinja2")],
        keywords={"_": None, "t": None},
        options_map={"**.j2": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}},
    ):
        if isinstance(message, str) and message:
            ids.setdefault(message, f"templates/{filename}")
    for cid, meta in collect(available_topics()):
        # Only a parametrized check's title carries a " [param]" suffix that is not translated.
        base = re.sub(r" \[[^\]]*\]$", "", meta.title) if "[" in cid else meta.title
        ids.setdefault(base, f"title of {cid}")
        if meta.hint:
            ids.setdefault(meta.hint, f"hint of {cid}")
    return ids


def _main(argv: list[str]) -> int:
    if argv[:1] not in (["extract"], ["merge"]) or (argv[0] == "merge") != (len(argv) == 2):
        print("usage: python -m grader.authoring.catalogue extract | merge TRANSLATIONS.json")
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
    raise SystemExit(_main(sys.argv[1:]))
