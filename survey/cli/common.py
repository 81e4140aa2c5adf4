"""What several `survey` commands share: the app's settings, database failures as one line,
times shown in a survey's zone."""

from __future__ import annotations

import functools
from typing import Any

import click
from flask import current_app
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from survey.deadline_rules import to_local
from survey.settings import Settings


def settings() -> Settings:
    return current_app.config["SURVEY_SETTINGS"]


def database_errors(function: Any) -> Any:
    """Turn database failures into a one-line reason and exit 1, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                f"the database cannot be used ({reason}); check SURVEY_DATABASE_URL "
                "and run `survey init`"
            ) from None
        except SQLAlchemyError as error:
            raise click.ClickException(f"database error: {error.__class__.__name__}") from None

    return wrapper


def local(value: Any, timezone: str) -> str | None:
    """A stored UTC time in the survey's zone, with the zone and its offset."""
    if value is None:
        return None
    shown = to_local(value, timezone)
    return f"{shown:%Y-%m-%d %H:%M} {timezone} (UTC{shown:%z})"
