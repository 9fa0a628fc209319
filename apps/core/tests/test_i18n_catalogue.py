"""The committed translation catalogues are complete, consistent, compiled and cover the source.

Runs from the committed files alone (polib, Django's templatize, Python's ast): no GNU gettext.
A string marked for translation in the code but missing from the catalogue, an empty or fuzzy
Chinese translation, a translation that drops or adds a placeholder, or a stale .mo fails here.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

from .i18n_support import PENDING, only_in_pending, python_msgids, template_msgids

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
ZH = LOCALE / "zh_Hans" / "LC_MESSAGES"
EN = LOCALE / "en" / "LC_MESSAGES"
# The same paths `make messages` ignores.
IGNORED_PARTS = {".venv", "sandbox", "vendor", "staticfiles", "var", "test-artifacts", "tests"}
IGNORED_TOP = {"bench", "docs", "scripts", "locale", "static", "node_modules"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|%%")
TAG = re.compile(r"</?[a-z]+")


def _source_files(suffix: str):
    for path in ROOT.rglob(f"*{suffix}"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in IGNORED_TOP or IGNORED_PARTS.intersection(rel.parts):
            continue
        yield path


@pytest.fixture(scope="module")
def zh():
    return polib.pofile(str(ZH / "django.po"))


@pytest.fixture(scope="module")
def en():
    return polib.pofile(str(EN / "django.po"))


def _translations(entry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural.get(i, "") for i in sorted(entry.msgstr_plural)] or [""]
    return [entry.msgstr]


def test_every_chinese_translation_is_there_and_not_fuzzy(zh):
    assert len(zh) > 1000
    missing = [
        e.msgid
        for e in zh
        if not all(t.strip() for t in _translations(e)) and not only_in_pending(e)
    ]
    fuzzy = [e.msgid for e in zh if "fuzzy" in e.flags]
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert not zh.obsolete_entries()
    assert zh.metadata["Plural-Forms"].startswith("nplurals=1;")


def test_chinese_translations_keep_placeholders_and_markup(zh):
    problems = []
    for entry in zh:
        if only_in_pending(entry) and not any(_translations(entry)):
            continue
        for i, text in enumerate(_translations(entry)):
            source = entry.msgid_plural if (entry.msgid_plural and i > 0) else entry.msgid
            if entry.msgid_plural:
                # One Chinese form serves both: it may use the placeholders of either.
                wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(
                    PLACEHOLDER.findall(entry.msgid_plural)
                )
                ok = set(PLACEHOLDER.findall(text)) <= wanted
            else:
                ok = sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source))
            if not ok or sorted(TAG.findall(text)) != sorted(TAG.findall(source)):
                problems.append((entry.msgid, text))
    assert not problems, problems[:5]


def test_chinese_translations_are_chinese(zh):
    # Technical labels (e.g. "SMTP", "HTML", "Base64") may stay as they are; sentences may not.
    sentences = [e for e in zh if len(e.msgid.split()) >= 3 and not only_in_pending(e)]
    english = [
        e.msgid
        for e in sentences
        if not all(re.search(r"[\u4e00-\u9fff]", t) for t in _translations(e))
    ]
    assert not english, english[:5]


def test_english_catalogue_is_complete(en, zh):
    assert {(e.msgctxt or "", e.msgid) for e in en} == {(e.msgctxt or "", e.msgid) for e in zh}
    for entry in en:
        assert "fuzzy" not in entry.flags
        if entry.msgid_plural:
            assert entry.msgstr_plural == {0: entry.msgid, 1: entry.msgid_plural}
        else:
            assert entry.msgstr == entry.msgid


@pytest.mark.parametrize("folder", [ZH, EN], ids=["zh_Hans", "en"])
def test_compiled_catalogue_matches_its_source(folder):
    """The committed .mo is what the committed .po compiles to (run `make messages`)."""
    po = polib.pofile(str(folder / "django.po"))
    with (folder / "django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for entry in po:
        context = f"{entry.msgctxt}\x04" if entry.msgctxt else ""
        if entry.msgid_plural:
            got = mo._catalog.get((context + entry.msgid, 0))
            want = entry.msgstr_plural.get(0)
        else:
            got = mo._catalog.get(context + entry.msgid)
            want = entry.msgstr
        if got != (want or None):  # msgfmt leaves untranslated entries out
            stale.append(entry.msgid)
    assert not stale, f"{len(stale)} entries differ from the .po, e.g. {stale[:3]}"


def test_every_string_marked_in_the_source_is_in_the_catalogue(zh):
    """A string wrapped in gettext / {% translate %} after the last `make messages` fails here."""
    known = {(e.msgctxt or "", e.msgid) for e in zh}
    marked: dict[tuple[str, str], str] = {}
    for path in _source_files(".py"):
        for key in python_msgids(path):
            marked.setdefault(key, str(path.relative_to(ROOT)))
    for path in _source_files(".html"):
        for key in template_msgids(path):
            marked.setdefault(key, str(path.relative_to(ROOT)))
    assert len(marked) > 1000
    missing = {
        key: where
        for key, where in marked.items()
        if key not in known and not where.startswith(tuple(f"apps/{p}" for p in PENDING))
    }
    assert not missing, f"{len(missing)} marked strings are not in the catalogue: " + "; ".join(
        f"{where}: {msgid!r}" for (_ctx, msgid), where in list(missing.items())[:8]
    )
