"""Every student-facing string exists in English and Simplified Chinese (grader/authoring/catalogue.py).

When these fail: ``python -m grader.authoring.catalogue extract``, then translate and
``python -m grader.authoring.catalogue merge FILE.json`` (CONTRIBUTING.md, "Adding a translation").
"""

from __future__ import annotations

import pytest

from grader import i18n
from grader.authoring.catalogue import extract_ids

IDS = extract_ids()


def test_extraction_finds_code_template_title_and_hint_ids():
    where = set(IDS.values())
    assert any(w.startswith("grader/") for w in where)
    assert any(w.startswith("templates/") for w in where)
    assert any(w.startswith("title of ") for w in where) and any(w.startswith("hint of ") for w in where)


def test_catalogue_covers_every_message_id():
    zh = i18n.catalog("zh")
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in IDS.items() if not zh.get(msgid))
    assert not missing, (
        f"{len(missing)} untranslated (run python -m grader.authoring.catalogue extract, then translate):\n"
        + "\n".join(missing[:40])
    )


@pytest.mark.parametrize("msgid", sorted(IDS))
def test_placeholders_match(msgid):
    translated = i18n.catalog("zh").get(msgid)
    if translated:
        assert i18n.placeholders(translated) == i18n.placeholders(msgid), (msgid, translated)


def test_no_stale_translations():
    stale = set(i18n.catalog("zh")) - set(IDS)
    assert not stale, f"translations for ids no longer used: {sorted(stale)[:10]}"
