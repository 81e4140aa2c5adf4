"""`survey questionnaire validate|stamp|load|list`: questionnaire files, checked and stored."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from survey import current_time, get_db
from survey.cli.common import database_errors, local
from survey.deadline_rules import state_at
from survey.questionnaire import translations
from survey.questionnaire.schema import Questionnaire, QuestionnaireError, load_file
from survey.questionnaire_store import all_surveys, latest_version, load_questionnaire, schedule_of


def load_files(paths: list[Path]) -> None:
    """Store each file in a transaction of its own; print what each did, exit 1 with the
    problems of those that were refused."""
    problems: list[str] = []
    results = []
    for path in paths:
        try:
            with get_db().writing() as session:
                results.append(load_questionnaire(session, path))
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
            questionnaire = load_file(path)
        except QuestionnaireError as error:
            problems.extend(error.problems)
            continue
        count = sum(1 for _ in questionnaire.questions())
        click.echo(f"{path}: ok ({len(questionnaire.sections)} sections, {count} questions)")
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
    if len(questionnaire.languages) < 2:
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
