"""`survey questionnaire validate|stamp|load|list|convert`: questionnaire files, checked,
stored and converted (a `.xlsx` file is read as XLSForm)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from survey import current_time, get_db
from survey.cli.common import database_errors, local
from survey.deadline_rules import state_at
from survey.questionnaire import translations
from survey.questionnaire.schema import (
    Questionnaire,
    QuestionnaireError,
    load_file,
    load_text,
)
from survey.questionnaire_store import (
    QuestionnaireSource,
    all_surveys,
    latest_version,
    questionnaire_source,
    schedule_of,
    store_questionnaire,
)
from survey.xlsform.writing import write_xlsform

_YAML_SUFFIXES = (".yaml", ".yml")


def questionnaire_text(path: Path) -> QuestionnaireSource:
    """A questionnaire file's YAML text and where its problems are (questionnaire_source);
    the notes and warnings of an XLSForm's conversion are printed."""
    source = questionnaire_source(path)
    for note in source.notes:
        click.echo(f"{path}: note: {note}", err=True)
    for line in source.warnings:
        click.echo(f"warning: {line}", err=True)
    return source


def load_files(paths: list[Path]) -> None:
    """Store each file in a transaction of its own; print what each did, exit 1 with the
    problems of those that were refused."""
    problems: list[str] = []
    results = []
    for path in paths:
        try:
            source = questionnaire_text(path)
            with get_db().writing() as session:
                results.append(
                    store_questionnaire(session, source.text, path.name, source.name, source.places)
                )
        except QuestionnaireError as error:
            problems.extend(error.problems)
    for result in results:
        click.echo(result.describe())
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1)


@click.group("questionnaire")
def questionnaire_group() -> None:
    """Check, load and list questionnaire files."""


@questionnaire_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on stale translations too.")
def validate_command(files: tuple[Path, ...], strict: bool) -> None:
    """Check files; exit 1 with one line per problem (file, location, what is wrong).

    Stale translations (made from a source text that has changed since) are listed as
    warnings; with --strict they count as problems.
    """
    problems: list[str] = []
    warnings: list[str] = []
    for path in files:
        try:
            source = questionnaire_text(path)
            questionnaire = load_text(source.text, source.name, source.places)
        except QuestionnaireError as error:
            problems.extend(error.problems)
            continue
        click.echo(f"{path}: ok ({_size(questionnaire)})")
        try:
            warnings.extend(_translation_warnings(path, questionnaire))
        except ValueError as error:
            problems.append(str(error))
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    if problems or (strict and warnings):
        for line in problems:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1)


def _translation_warnings(path: Path, questionnaire: Questionnaire) -> list[str]:
    from survey.i18n import interface_languages
    from survey.message_catalogs import TRANSLATIONS

    found = [
        f"{path}: languages: {language!r} has no interface catalog ({TRANSLATIONS / language}); "
        "its pages would show the interface in English"
        for language in questionnaire.languages
        if language not in interface_languages()
    ]
    if len(questionnaire.languages) < 2 or path.suffix.lower() == ".xlsx":
        return found
    record_file = translations.record_path(path)
    record = translations.read_record(record_file)
    if not record:
        return [
            *found,
            f"{path}: its translations have no fingerprints yet ({record_file.name}); "
            f"run `survey questionnaire stamp {path}` once they are checked",
        ]
    return [*found, *[item.line(path) for item in translations.stale(questionnaire, record)]]


@questionnaire_group.command("stamp")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def stamp_command(files: tuple[Path, ...]) -> None:
    """Record that the translations in FILES are up to date with their source texts."""
    for path in files:
        try:
            questionnaire = load_file(path)
        except QuestionnaireError as error:
            raise click.ClickException(
                f"{path} has problems; fix them first: {error.problems[0]}"
            ) from None
        record_file = translations.record_path(path)
        try:
            earlier = translations.stale(questionnaire, translations.read_record(record_file))
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        record = translations.stamp(questionnaire)
        translations.write_record(record_file, record)
        languages = ", ".join(questionnaire.languages[1:]) or "no other language"
        click.echo(
            f"{record_file}: {len(record['texts'])} texts stamped ({languages}); "
            f"{len(earlier)} had been stale or unstamped"
        )


@questionnaire_group.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@database_errors
def load_command(files: tuple[Path, ...]) -> None:
    """Store files: a new survey, or a new version of an existing one (unchanged: nothing)."""
    load_files(list(files))


@questionnaire_group.command("list")
@with_appcontext
@database_errors
def list_command() -> None:
    """Slug, version, status, opens/closes in the survey's time zone, response counts."""
    from sqlalchemy import func, select

    from survey.models import SurveyResponse

    now = current_time()
    with get_db().reading() as session:
        surveys = all_surveys(session)
        if not surveys:
            click.echo("no questionnaires loaded; run `survey init`")
            return
        counts: dict[tuple[int, str], int] = {
            (survey_id, status): count
            for survey_id, status, count in session.execute(
                select(SurveyResponse.survey_id, SurveyResponse.status, func.count()).group_by(
                    SurveyResponse.survey_id, SurveyResponse.status
                )
            )
        }
        header = (
            "slug",
            "version",
            "status",
            "opens",
            "closes",
            "complete",
            "partial",
            "screened_out",
        )
        rows = [header]
        for survey in surveys:
            version = latest_version(session, survey)
            schedule = schedule_of(survey)
            rows.append(
                (
                    survey.slug,
                    str(version.version if version else "-"),
                    state_at(schedule, now).value,
                    local(schedule.opens_at, survey.timezone) or "at once",
                    local(schedule.closes_at, survey.timezone) or "never",
                    str(counts.get((survey.id, "complete"), 0)),
                    str(counts.get((survey.id, "in_progress"), 0)),
                    str(counts.get((survey.id, "screened_out"), 0)),
                )
            )
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


@questionnaire_group.command("convert")
@click.argument("source", metavar="IN", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--skip-unsupported",
    is_flag=True,
    help="Convert the rows that can be, and list those left out, instead of refusing.",
)
def convert_command(source: Path, target: Path, skip_unsupported: bool) -> None:
    """Convert XLSForm (.xlsx) to the YAML format (.yaml, .yml), or back, by the extensions.

    Exit 1 listing every row that cannot be carried over (sheet, row, name, why); with
    --skip-unsupported the rest is converted and what was left out is listed.
    """
    into = target.suffix.lower()
    if source.suffix.lower() == ".xlsx" and into in _YAML_SUFFIXES:
        xlsform_to_yaml(source, target, skip_unsupported=skip_unsupported)
    elif source.suffix.lower() in _YAML_SUFFIXES and into == ".xlsx":
        yaml_to_xlsform(source, target, skip_unsupported=skip_unsupported)
    else:
        raise click.ClickException(
            f"cannot convert {source.name} to {target.name}: convert an XLSForm (.xlsx) to "
            "YAML (.yaml or .yml), or YAML to XLSForm"
        )


def xlsform_to_yaml(source: Path, target: Path, *, skip_unsupported: bool) -> None:
    """XLSForm → YAML: write the file, print the notes and the rows left out; exit 1 with every
    problem when the form is refused."""
    from survey.xlsform.reading import XLSFormError, read_xlsform  # see questionnaire_source

    try:
        conversion = read_xlsform(source, skip_unsupported=skip_unsupported)
    except XLSFormError as error:
        for line in error.problems:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1) from None
    text = conversion.yaml_text()
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {target}: {error.strerror or error}") from None
    for note in conversion.notes:
        click.echo(f"note: {note}")
    for row in conversion.left_out:
        click.echo(f"left out: {row.line(str(source))}")
    for line in conversion.warnings:
        click.echo(f"warning: {line}", err=True)
    sections = conversion.data["sections"]
    count = sum(len(section["questions"]) for section in sections)
    left = f", {_counted(len(conversion.left_out), 'row')} left out" if conversion.left_out else ""
    size = f"{_counted(len(sections), 'section')}, {_counted(count, 'question')}"
    click.echo(f"{target}: written ({size}{left})")
    try:
        load_text(text, str(target), conversion.places)
    except QuestionnaireError as error:
        for line in error.problems:
            click.echo(f"warning: {line}", err=True)


def yaml_to_xlsform(source: Path, target: Path, *, skip_unsupported: bool) -> None:
    """YAML → XLSForm: every question carries over (what XLSForm cannot say travels in the
    `survey_keys` column), so there is nothing to skip; exit 1 with the file's problems."""
    try:
        questionnaire = load_file(source)
    except QuestionnaireError as error:
        for line in error.problems:
            click.echo(line, err=True)
        raise click.exceptions.Exit(1) from None
    try:
        write_xlsform(questionnaire, target)
    except OSError as error:
        raise click.ClickException(f"cannot write {target}: {error.strerror or error}") from None
    click.echo(f"{target}: written ({_size(questionnaire)})")


def _size(questionnaire: Questionnaire) -> str:
    """ "2 sections, 1 question": how much a questionnaire holds."""
    count = sum(1 for _ in questionnaire.questions())
    return f"{_counted(len(questionnaire.sections), 'section')}, {_counted(count, 'question')}"


def _counted(number: int, noun: str) -> str:
    """ "1 section", "2 sections" (the commands speak English)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
