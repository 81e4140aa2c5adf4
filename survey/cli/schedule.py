"""`survey schedule`, `survey close`, `survey reopen`: a survey's deadline, from the command
line, with the same rules and audit as the admin pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from survey import current_time, get_db, schedule_changes
from survey.cli.common import database_errors, local
from survey.deadline_rules import state_at
from survey.models import Survey
from survey.questionnaire_store import find_survey, schedule_of


def _change_schedule(slug: str, change: Callable[[Session, Survey], bool]) -> None:
    """Make `change` (True if it changed anything) in one write with the survey locked; a
    refused change exits 1 with its reason. Prints the schedule, after "Nothing changed." when
    it is as it was (and nothing was audited)."""
    with get_db().writing() as session:
        survey = find_survey(session, slug, lock="update")
        if survey is None:
            raise click.ClickException(f"no survey {slug!r}; see `survey questionnaire list`")
        try:
            changed = change(session, survey)
        except schedule_changes.ScheduleError as error:
            raise click.ClickException(str(error)) from None
        if not changed:
            click.echo("Nothing changed.")
        _echo_schedule(survey)


def _time_option(text: str | None, timezone: str, current: Any) -> Any:
    if text is None:
        return current
    if text.strip().lower() in ("", "none"):
        return None
    return schedule_changes.parse_time(text, timezone)


@click.command("schedule")
@click.argument("slug")
@click.option(
    "--opens-at", help="ISO 8601; without an offset, in the survey's zone; 'none' = at once."
)
@click.option(
    "--closes-at", help="ISO 8601; without an offset, in the survey's zone; 'none' = never."
)
@click.option("--timezone", help="IANA time zone, e.g. Europe/Brussels.")
@click.option("--grace-minutes", type=int, help="Minutes people who started may still finish.")
@click.option("--contact", help="Whom respondents may write to (shown on the closed page).")
@with_appcontext
@database_errors
def schedule_command(
    slug: str,
    opens_at: str | None,
    closes_at: str | None,
    timezone: str | None,
    grace_minutes: int | None,
    contact: str | None,
) -> None:
    """Change a survey's schedule; only the options given change."""

    def change(session: Session, survey: Survey) -> bool:
        zone = survey.timezone if timezone is None else timezone.strip()
        return schedule_changes.update_schedule(
            session,
            survey,
            actor=None,
            now=current_time(),
            opens_at=_time_option(opens_at, zone, survey.opens_at),
            closes_at=_time_option(closes_at, zone, survey.closes_at),
            timezone=zone,
            grace_minutes=survey.grace_minutes if grace_minutes is None else grace_minutes,
            contact=survey.contact if contact is None else contact,
        )

    _change_schedule(slug, change)


@click.command("close")
@click.argument("slug")
@with_appcontext
@database_errors
def close_command(slug: str) -> None:
    """Close a survey now: no new responses; those started may finish within the grace period."""
    _change_schedule(
        slug,
        lambda session, survey: schedule_changes.close_now(
            session, survey, actor=None, now=current_time()
        ),
    )


@click.command("reopen")
@click.argument("slug")
@click.option(
    "--closes-at", required=True, help="ISO 8601; without an offset, in the survey's zone."
)
@with_appcontext
@database_errors
def reopen_command(slug: str, closes_at: str) -> None:
    """Open a survey again (or extend it) until --closes-at."""
    _change_schedule(
        slug,
        lambda session, survey: schedule_changes.reopen(
            session,
            survey,
            actor=None,
            now=current_time(),
            closes_at=schedule_changes.parse_time(closes_at, survey.timezone),
        ),
    )


def _echo_schedule(survey: Survey) -> None:
    schedule = schedule_of(survey)
    click.echo(
        f"{survey.slug}: {state_at(schedule, current_time()).value}; "
        f"opens {local(schedule.opens_at, survey.timezone) or 'at once'}; "
        f"closes {local(schedule.closes_at, survey.timezone) or 'never'}; "
        f"grace {survey.grace_minutes} minutes"
    )
