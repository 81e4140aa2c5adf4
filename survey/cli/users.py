"""`survey user add`: accounts of admins and researchers."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from survey import accounts, current_time, get_db
from survey.cli.common import database_errors


@click.group("user")
def user_group() -> None:
    """Manage the accounts of admins and researchers."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", required=True, help="admin or researcher")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@database_errors
def user_add_command(email: str, role: str, password_stdin: bool) -> None:
    """Add an account; prints a generated password once unless --password-stdin is given."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = accounts.generate_password()
    with get_db().writing() as session:
        try:
            user = accounts.create_user(
                session, email=email, role=role, password=password, actor=None, now=current_time()
            )
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        address = user.email
    click.echo(f"{role} {address} added")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")
