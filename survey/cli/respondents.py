"""`survey withdraw`: erase one respondent's response and personal data."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from survey import audit, current_time, get_db
from survey.cli.common import database_errors, settings


@click.command("withdraw")
@click.argument("code")
@with_appcontext
@database_errors
def withdraw_command(code: str) -> None:
    """Erase one respondent's response and personal data, found by their resume code."""
    from survey import responses, resume_codes

    normalized = resume_codes.normalize(code)
    if normalized is None:
        raise click.ClickException("a resume code has 12 letters and digits, e.g. K7QF-3MZP-9XWA")
    with get_db().writing() as session:
        response = responses.find_any_by_code(session, normalized, settings().resume_key)
        if response is None:
            raise click.ClickException("no response has this resume code")
        responses.withdraw(session, response, now=current_time(), by=audit.COMMAND_LINE)
    click.echo(f"response {response.id} and its personal data were erased")
