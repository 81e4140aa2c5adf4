"""The interface catalogs (survey/translations): complete, in step with the code, one for every
language a questionnaire declares, and really used by the pages.

Languages are found from the catalog folders and the questionnaire files, never from a list:
adding a language is adding its files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog, Message

from survey.message_catalogs import (
    SOURCE_LANGUAGE,
    TEMPLATE,
    TRANSLATIONS,
    catalog_paths,
    extract_template,
    is_translated,
    language_of,
    read_catalog,
)
from survey.settings import PROJECT_ROOT
from tests import console
from tests.respond.helpers import BASE, text_of

CATALOGS = catalog_paths()
QUESTIONNAIRES = sorted((PROJECT_ROOT / "questionnaires").glob("*.yaml"))
# A Python format placeholder: %(name)s, %(num)d, %(size).1f ...
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
# Templates treat a translation as HTML: it may not bring markup of its own.
MARKUP = re.compile(r"[<>&]")


def messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def keys(catalog: Catalog) -> set[tuple[str | None, str | tuple[str, ...]]]:
    return {(message.context, message.id) for message in messages(catalog)}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def forms(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def originals(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def declared_languages(path: Path) -> list[str]:
    return [str(code) for code in yaml.safe_load(path.read_text(encoding="utf-8"))["languages"]]


def problems_in(catalog: Catalog) -> list[str]:
    """Every entry that is untranslated, fuzzy, or whose placeholders or markup differ."""
    found = []
    for message in messages(catalog):
        name = repr(originals(message)[0])
        if not is_translated(message):
            found.append(f"{name}: not translated")
            continue
        if message.fuzzy:
            found.append(f"{name}: fuzzy (check the translation, then remove the flag)")
        if isinstance(message.id, tuple) and len(forms(message)) != catalog.num_plurals:
            found.append(f"{name}: {len(forms(message))} plural forms, not {catalog.num_plurals}")
        expected = set().union(*map(placeholders, originals(message)))
        source_markup = any(MARKUP.search(text) for text in originals(message))
        for form in forms(message):
            if placeholders(form) != expected:
                found.append(
                    f"{name}: placeholders {sorted(placeholders(form))}, not {sorted(expected)}"
                )
            if MARKUP.search(form) and not source_markup:
                found.append(f"{name}: the translation has markup the English has not")
    found += [f"{message.id!r}: {error}" for message, errors in catalog.check() for error in errors]
    return found


def test_the_source_language_has_a_catalog():
    assert SOURCE_LANGUAGE in [language_of(path) for path in CATALOGS]


@pytest.mark.parametrize("path", CATALOGS, ids=language_of)
def test_catalog_is_complete(path: Path):
    problems = problems_in(read_catalog(path))
    assert not problems, f"{path.relative_to(PROJECT_ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGS, ids=language_of)
def test_catalog_has_exactly_the_template_messages(path: Path):
    template, catalog = keys(read_catalog(TEMPLATE)), keys(read_catalog(path))
    assert (sorted(map(str, template - catalog)), sorted(map(str, catalog - template))) == (
        [],
        [],
    ), "(missing, left over): run `make translations`, then translate the new entries"


def test_source_catalog_repeats_the_msgids():
    """English pages show the English of the code, word for word."""
    (path,) = [path for path in CATALOGS if language_of(path) == SOURCE_LANGUAGE]
    catalog = read_catalog(path)
    differ = [message.id for message in messages(catalog) if forms(message) != originals(message)]
    assert not differ


def test_template_is_up_to_date_with_the_code(tmp_path: Path):
    fresh = keys(extract_template(tmp_path / "messages.pot"))
    shipped = keys(read_catalog(TEMPLATE))
    assert (sorted(map(str, fresh - shipped)), sorted(map(str, shipped - fresh))) == (
        [],
        [],
    ), "(new in the code, gone from the code): run `make translations`"


@pytest.mark.parametrize("questionnaire", QUESTIONNAIRES, ids=lambda path: path.stem)
def test_every_declared_language_has_a_catalog(questionnaire: Path):
    missing = [
        language
        for language in declared_languages(questionnaire)
        if not (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").is_file()
    ]
    assert not missing, f"no catalog in {TRANSLATIONS.relative_to(PROJECT_ROOT)} for {missing}"


def test_a_catalog_with_problems_is_refused():
    """The checks above catch what they claim to (on a catalog made up here)."""
    catalog = Catalog(locale="fr")
    catalog.add("Enter a number from %(min)s to %(max)s.", "Saisissez un nombre de %(min)s.")
    catalog.add("Next", "")
    catalog.add("Back", "Retour", flags=["fuzzy"])
    catalog.add("Change", "<b>Modifier</b>")
    catalog.add(("%(num)s minute", "%(num)s minutes"), ("%(num)s minute", ""))
    found = problems_in(catalog)
    for expected in (
        "'Enter a number from %(min)s to %(max)s.': placeholders ['min'], not ['max', 'min']",
        "'Next': not translated",
        "'Back': fuzzy",
        "'Change': the translation has markup",
        "'%(num)s minute': not translated",
    ):
        assert any(line.startswith(expected) for line in found), (expected, found)


# -- the pages ---------------------------------------------------------------------------------


def translation(language: str, msgid: str) -> str:
    (path,) = [path for path in CATALOGS if language_of(path) == language]
    message = read_catalog(path)[msgid]
    assert message is not None and isinstance(message.string, str)
    return message.string


WE_OWN_IT_TRANSLATED = [
    language
    for language in declared_languages(PROJECT_ROOT / "questionnaires" / "we-own-it.yaml")
    if language != SOURCE_LANGUAGE
]


@pytest.mark.parametrize("language", WE_OWN_IT_TRANSLATED)
def test_welcome_page_shows_the_interface_in_the_chosen_language(client, language: str):
    page = text_of(client.get(f"{BASE}?lang={language}"))
    for msgid in ("Start the survey", "Continue with a resume code", "Skip to main content"):
        assert translation(language, msgid) in page
        assert msgid not in page


@pytest.mark.parametrize("language", WE_OWN_IT_TRANSLATED)
def test_messages_made_in_python_are_translated(client, language: str):
    """A refused start (no consent): the message comes from the view's gettext call."""
    page = text_of(client.get(f"{BASE}?lang={language}"))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    answer = text_of(client.post(f"{BASE}/start", data={"csrf_token": csrf.group(1)}))
    assert translation(language, "Tick the box to agree before you start.") in answer
    assert translation(language, "There is a problem") in answer
    assert "Tick the box to agree before you start." not in answer


def test_a_templates_text_is_escaped_and_its_variables_too(app):
    """`_` in a template: the translation is the page's own HTML, what is put in it is text."""
    template = app.jinja_env.from_string(
        '{{ _("Section %(number)s of %(total)s", number="<b>1</b>", total=7) }}'
    )
    with app.test_request_context(f"{BASE}?lang=fr"):
        from flask import g

        g.languages = ("en", "fr")
        shown = template.render()
    assert (
        translation("fr", "Section %(number)s of %(total)s")
        % {
            "number": "&lt;b&gt;1&lt;/b&gt;",
            "total": 7,
        }
        == shown
    )


def test_survey_init_compiles_a_catalog_older_than_its_text(tmp_path):
    """A checkout installed without `make install` (pip install -e .) has no compiled catalogs:
    `survey init` compiles them, or the pages would show the interface in English."""
    po = PROJECT_ROOT / "survey" / "translations" / "it" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    os.utime(mo, ns=(0, 0))  # as old as can be: stale
    result = console.run("init", env=console.environment(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "interface translations compiled: it" in result.stdout.splitlines()
    assert mo.stat().st_mtime_ns >= po.stat().st_mtime_ns
    assert (
        sum("interface translations compiled" in line for line in result.stdout.splitlines()) == 1
    )


def test_the_catalog_command_compiles_a_catalog_without_a_warning(tmp_path):
    """As `make install` runs it, one catalog at a time: no warning on the way (Python warned
    when `-m` ran a module the package had imported already)."""
    source = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
    copy = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(source.read_bytes())
    ran = subprocess.run(
        [sys.executable, "-m", "survey.catalogs", str(copy)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert (ran.returncode, ran.stderr) == (0, "")
    assert ran.stdout == f"compiled {copy.with_suffix('.mo')}\n"
    assert copy.with_suffix(".mo").stat().st_size > 10_000
