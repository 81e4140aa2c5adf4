"""Translations that cannot drift: a changed source text marks its translations stale until
they are looked at again; the shipped questionnaire is complete and up to date."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from survey.questionnaire import translations
from survey.questionnaire.schema import load_file
from tests.conftest import AGE_LABEL, AGE_RELABELLED, WE_OWN_IT
from tests.respondent import shipped_questionnaire

AGE_KEY = "section.about_you.question.age.label"


# The languages the shipped questionnaire is translated into.
TRANSLATED = tuple(language for language in shipped_questionnaire().languages if language != "en")


def copy_with(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """The shipped questionnaire and its fingerprints, copied, with some texts replaced."""
    path = tmp_path / WE_OWN_IT.name
    source = WE_OWN_IT.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new, 1)
    path.write_text(source, encoding="utf-8")
    shutil.copy(translations.record_path(WE_OWN_IT), translations.record_path(path))
    return path


def stale_of(path: Path) -> set[tuple[str, str]]:
    record = translations.read_record(translations.record_path(path))
    return {(item.key, item.language) for item in translations.stale(load_file(path), record)}


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["questionnaire", *args])


def test_the_shipped_translations_are_stamped_and_none_is_stale():
    assert stale_of(WE_OWN_IT) == set()


def test_every_declared_language_has_every_text_of_the_shipped_questionnaire():
    raw = yaml.safe_load(WE_OWN_IT.read_text(encoding="utf-8"))
    languages = raw["languages"]
    assert languages[0] == "en" and {"fr", "es"} <= set(languages)

    def gaps(node, where: str = ""):
        if isinstance(node, dict):
            if "en" in node and isinstance(node["en"], str):
                for language in languages:
                    if not str(node.get(language) or "").strip():
                        yield f"{where}: {language}"
            for key, value in node.items():
                yield from gaps(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from gaps(value, f"{where}[{index}]")

    assert list(gaps(raw)) == []


def test_a_changed_source_text_makes_its_translations_stale(tmp_path: Path):
    path = copy_with(tmp_path, (AGE_LABEL, AGE_RELABELLED))

    assert stale_of(path) == {(AGE_KEY, language) for language in TRANSLATED}


def test_a_translation_updated_with_its_source_is_not_stale(tmp_path: Path):
    changed = AGE_RELABELLED.replace("Quel âge avez-vous ?", "Quel est votre âge ?")
    path = copy_with(tmp_path, (AGE_LABEL, changed))

    assert stale_of(path) == {(AGE_KEY, language) for language in TRANSLATED if language != "fr"}


def test_moving_a_text_keeps_its_fingerprint(tmp_path: Path):
    path = copy_with(tmp_path)
    raw = path.read_text(encoding="utf-8")
    gender_start = raw.index("      - id: gender")
    country_start = raw.index("      - id: country")
    gender = raw[gender_start:country_start]
    moved = raw[:gender_start] + raw[country_start:]
    at = moved.index("      - id: education")
    path.write_text(moved[:at] + gender + moved[at:], encoding="utf-8")

    assert [question.id for question in load_file(path).sections[0].questions][1:3] == [
        "country",
        "gender",
    ]
    assert stale_of(path) == set()


def test_validate_lists_stale_translations_and_strict_fails_on_them(app, tmp_path: Path):
    path = copy_with(tmp_path, (AGE_LABEL, AGE_RELABELLED))

    result = run(app, "validate", str(path))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert lines == [
        f"warning: {path}: {AGE_KEY}: {language} translation is stale: the en text changed since"
        for language in TRANSLATED
    ]
    assert run(app, "validate", "--strict", str(path)).exit_code == 1


def test_stamp_records_the_translations_as_checked(app, tmp_path: Path):
    path = copy_with(tmp_path, (AGE_LABEL, AGE_RELABELLED))

    result = run(app, "stamp", str(path))

    assert result.exit_code == 0, result.output
    assert f"{len(TRANSLATED)} had been stale" in result.output
    assert stale_of(path) == set()
    assert run(app, "validate", "--strict", str(path)).exit_code == 0


def test_a_file_without_fingerprints_says_how_to_make_them(app, tmp_path: Path):
    path = copy_with(tmp_path)
    translations.record_path(path).unlink()

    result = run(app, "validate", str(path))

    assert result.exit_code == 0
    assert "have no fingerprints yet" in result.output
    assert f"survey questionnaire stamp {path}" in result.output


def test_a_broken_fingerprints_file_is_one_line_not_a_traceback(app, tmp_path: Path):
    path = copy_with(tmp_path)
    translations.record_path(path).write_text("{not json", encoding="utf-8")

    result = run(app, "validate", str(path))

    assert result.exit_code == 1
    assert "cannot be read as translation fingerprints" in result.output
    assert "Traceback" not in result.output


def test_a_language_without_an_interface_catalog_is_a_warning(app, tmp_path: Path):
    mini = tmp_path / "mini.yaml"
    mini.write_text(
        """\
slug: mini
languages: [en, pt]
title: {en: Mini, pt: Mini}
schedule: {opens_at: null, closes_at: "2027-05-26T00:00", timezone: Europe/Lisbon}
consent: {version: "1", label: {en: I agree, pt: Concordo}}
sections:
  - id: first
    title: {en: First, pt: Primeira}
    questions:
      - {id: age, type: integer, label: {en: Age, pt: Idade}}
""",
        encoding="utf-8",
    )
    assert run(app, "stamp", str(mini)).exit_code == 0

    result = run(app, "validate", str(mini))

    assert result.exit_code == 0
    assert "languages: 'pt' has no interface catalog" in result.output
    assert run(app, "validate", "--strict", str(mini)).exit_code == 1
