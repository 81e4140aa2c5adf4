"""`survey user add`: accounts of admins, researchers and partners."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from survey import accounts, current_time, get_db
from survey.cli.common import database_errors


@click.group("user")
def user_group() -> None:
    """Manage the accounts of admins, researchers and partners."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", required=True, help="admin, researcher or partner")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="TAG",
    help="A ?via= tag whose responses a partner sees (repeat for several; partners only).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@database_errors
def user_add_command(
    email: str, role: str, channels: tuple[str, ...], password_stdin: bool
) -> None:
    """Add an account; prints a generated password once unless --password-stdin is given.

    A partner (a member federation) sees the dashboard of the channels given only."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = accounts.generate_password()
    with get_db().writing() as session:
        try:
            user = accounts.create_user(
                session,
                email=email,
                role=role,
                password=password,
                actor=None,
                now=current_time(),
                channels=channels,
            )
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        address, seen = user.email, user.channels
    click.echo(f"{role} {address} added" + (f" (channels: {', '.join(seen)})" if seen else ""))
    if not password_stdin:
        click.echo(f"password (shown once): {password}")
