"""The interface's message catalogs (Flask-Babel): extract, update and compile them.

A language is a folder
`translations/<code>/LC_MESSAGES/messages.po`; no list of languages is kept anywhere else.

    python -m survey.catalogs          compile each .mo missing or older than its .po
    python -m survey.catalogs PO...    compile these catalogs (the Makefile, one rule each)
    python -m survey.catalogs update   re-extract messages.pot from the code, merge it into
                                       every language's .po (`make translations`)

The .mo files are build products: `make install`, `make run`, `make test` and the test suite
compile them with `compile_catalogs()`, the one way they are made.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import NullTranslations, Translations

PACKAGE = Path(__file__).resolve().parent
TRANSLATIONS = PACKAGE / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
DOMAIN = "messages"
# Extraction reads the source checkout: babel.cfg says which files hold interface text.
MAPPING = PACKAGE.parent / "babel.cfg"
# The names the code marks text with, besides Babel's own (_, gettext, ngettext, N_, ...).
KEYWORDS = (
    "lazy_gettext",
    "_l",
    "lazy_ngettext:1,2",
    "lazy_pgettext:1c,2",
    "NP_:1c,2",
    "ngettext_in:2,3",
)
# A comment starting so, just above a marked string, reaches the translators.
COMMENT_TAGS = ("TRANSLATORS:",)
# The msgids are written in this language: its catalog repeats them (see update_catalogs).
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Marks `message` for the catalogs where it is written; it is translated where used."""
    return message


@functools.cache
def _translations(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [language], DOMAIN)


def NP_(context: str, message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """As N_, for a message whose translation depends on `context` (see gettext_in)."""
    return message


def gettext_in(language: str, message: str, context: str | None = None) -> str:
    """`message` in `language`, outside any request (exports): English when there is none."""
    translations = _translations(language)
    if context is not None:
        return str(translations.pgettext(context, message))
    return str(translations.gettext(message))


def ngettext_in(language: str, singular: str, plural: str, number: int) -> str:
    """The form of a message for `number` in `language`, outside any request."""
    return str(_translations(language).ngettext(singular, plural, number))


def catalog_paths(folder: Path = TRANSLATIONS) -> list[Path]:
    """Every language's .po file, found from the folders."""
    return sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def language_of(po_path: Path) -> str:
    """The language code of a catalog: the name of its folder."""
    return po_path.parent.parent.name


def language_tag(code: str) -> str:
    """A language code as questionnaires and catalogs write it (`pt_BR`) as HTML, browsers,
    JavaScript's Intl and XLSForm want it (`pt-BR`, BCP 47)."""
    return code.replace("_", "-")


@functools.cache
def catalog_languages() -> tuple[str, ...]:
    """Languages the interface has a catalog for (English first): a folder per language."""
    found = [language_of(path) for path in catalog_paths()]
    return (SOURCE_LANGUAGE, *[code for code in found if code != SOURCE_LANGUAGE])


def read_catalog(path: Path) -> Catalog:
    """A .po or .pot file (a template has no language)."""
    locale = None if path.suffix == ".pot" else language_of(path)
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def is_translated(message: Message) -> bool:
    """Every form of the message has a translation (a plural message has several)."""
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


# -- compiling ---------------------------------------------------------------------------------


def compile_catalog(po_path: Path) -> Path:
    """Write the .mo next to `po_path`, replaced at once (a running server never reads half)."""
    catalog = read_catalog(po_path)
    mo_path = po_path.with_suffix(".mo")
    handle, partial = tempfile.mkstemp(dir=po_path.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.chmod(partial, 0o644)
        os.replace(partial, mo_path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return mo_path


def is_stale(po_path: Path) -> bool:
    mo_path = po_path.with_suffix(".mo")
    return not mo_path.exists() or mo_path.stat().st_mtime_ns < po_path.stat().st_mtime_ns


def compile_catalogs(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile each catalog whose .mo is missing or older than its .po; the .mo files written."""
    return [compile_catalog(path) for path in catalog_paths(folder) if is_stale(path)]


# -- extracting and updating -------------------------------------------------------------------


def extract_template(output: Path = TEMPLATE) -> Catalog:
    """Write the template of every string the package marks for translation. Locations name
    files without line numbers, so unrelated edits do not change the catalogs."""
    with MAPPING.open() as config:
        method_map, options_map = parse_mapping_cfg(config, str(MAPPING))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(KEYWORDS)}
    template = Catalog(project="survey", version=version("survey"))
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE,
        method_map,
        options_map,
        keywords=keywords,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        location = (f"{PACKAGE.name}/{Path(filename).as_posix()}", lineno)
        template.add(message, None, [location], auto_comments=comments, context=context)
    _write(output, template)
    return template


def update_catalogs() -> None:
    """Re-extract the template and merge it into every language's catalog, as `pybabel update`
    does: new strings empty, near matches marked fuzzy, for a translator to finish. In the
    source language's catalog a new or fuzzy entry simply repeats its msgid."""
    extract_template()
    for path in catalog_paths():
        catalog = read_catalog(path)
        # A fresh template each time: update() adopts the template's own entries.
        catalog.update(read_catalog(TEMPLATE))
        if language_of(path) == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id and (message.fuzzy or not is_translated(message)):
                    _repeat_msgid(message, catalog.num_plurals)
        _write(path, catalog)


def _repeat_msgid(message: Message, num_plurals: int) -> None:
    if isinstance(message.id, tuple):
        singular, plural = message.id
        message.string = (singular, *[plural] * (num_plurals - 1))
    else:
        message.string = message.id
    message.flags.discard("fuzzy")
    message.previous_id = []


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as target:
        write_po(target, catalog, include_lineno=False, ignore_obsolete=True)


def main(arguments: Sequence[str] = ()) -> int:
    if list(arguments) == ["update"]:
        update_catalogs()
        return 0
    paths = [Path(argument) for argument in arguments]
    if any(path.suffix != ".po" or not path.is_file() for path in paths):
        print("usage: python -m survey.catalogs [update | FILE.po ...]", file=sys.stderr)
        return 1
    for mo_path in [compile_catalog(path) for path in paths] if paths else compile_catalogs():
        print(f"compiled {mo_path}")
    return 0
