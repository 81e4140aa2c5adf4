"""Admin forms (Flask-WTF): CSRF-protected, validated, with messages shown beside each field."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from survey.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from survey.deadlines import MAX_GRACE_MINUTES
from survey.models import ROLES

LOCAL_TIME_HINT = "Local time in the survey's time zone, e.g. 2027-05-26T00:00"


def timezone_choices() -> list[SelectChoice]:
    names = sorted(name for name in available_timezones() if "/" in name or name == "UTC")
    return [SelectChoice(name) for name in names]


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role, role.capitalize()) for role in ROLES]


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    submit = SubmitField("Sign in")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    submit = SubmitField("Change password")


class ScheduleForm(FlaskForm):
    opens_at = StringField(
        "Opens",
        validators=[Optional(), Length(max=40)],
        description="Leave empty to open at once. " + LOCAL_TIME_HINT,
    )
    closes_at = StringField(
        "Closes",
        validators=[Optional(), Length(max=40)],
        description="Leave empty for no deadline. " + LOCAL_TIME_HINT,
    )
    timezone = SelectField("Time zone", validators=[DataRequired()])
    grace_minutes = IntegerField(
        "Grace period (minutes)",
        validators=[NumberRange(min=0, max=MAX_GRACE_MINUTES)],
        description="How long people who started before the close may still finish.",
    )
    contact = StringField(
        "Contact",
        validators=[Optional(), Length(max=200)],
        description="Whom respondents may write to; shown on the closed page.",
    )
    submit = SubmitField("Save schedule")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class CloseForm(FlaskForm):
    submit = SubmitField("Close now")


class ReopenForm(FlaskForm):
    closes_at = StringField(
        "Open until", validators=[DataRequired(), Length(max=40)], description=LOCAL_TIME_HINT
    )
    submit = SubmitField("Reopen")


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=role_choices())
    submit = SubmitField("Add account")


class UserUpdateForm(FlaskForm):
    role = SelectField("Role", choices=role_choices())
    active = BooleanField("Active")
    submit = SubmitField("Save")


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out")
