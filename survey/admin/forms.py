"""Admin forms (Flask-WTF): CSRF-protected, validated, with messages shown beside each field."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from survey.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from survey.deadlines import MAX_GRACE_MINUTES
from survey.i18n import language_name
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


EXPORT_FORMAT_NAMES = {
    "csv": "CSV",
    "csv-excel": "CSV for Excel",
    "xlsx": "Excel (.xlsx)",
    "sav": "SPSS (.sav)",
    "dta": "Stata (.dta)",
    "parquet": "Parquet",
    "zip": "Study package (.zip)",
}


def export_format_choices() -> list[SelectChoice]:
    """The formats that can be written here (a writer is installed for each)."""
    from survey.export.build import FORMATS
    from survey.export.writers import WRITERS

    return [
        SelectChoice(name, EXPORT_FORMAT_NAMES.get(name, name))
        for name in FORMATS
        if name in WRITERS
    ]


class ExportForm(FlaskForm):
    format = SelectField("Format", validators=[DataRequired()])
    values = RadioField(
        "Values",
        choices=[SelectChoice("codes", "Codes"), SelectChoice("labels", "Labels")],
        default="codes",
        validators=[DataRequired()],
    )
    language = SelectField("Label language", validators=[DataRequired()])
    include_partial = BooleanField("Include partial responses")
    include_screened_out = BooleanField("Include screened-out responses")
    since = StringField(
        "Started since",
        validators=[Optional(), Length(max=40)],
        description="Leave empty for all responses. " + LOCAL_TIME_HINT,
    )
    channel = StringField(
        "Channel",
        validators=[Optional(), Length(max=64)],
        description="Only responses that came through this ?via= tag; leave empty for all.",
    )
    country = StringField(
        "Country",
        validators=[
            Optional(),
            Regexp(r"^[A-Za-z]{2}$", message="Use a two-letter country code, e.g. AR."),
        ],
        description="Two-letter ISO code, e.g. AR; leave empty for all.",
    )
    with_personal_data = BooleanField("Include personal data (email)")
    submit = SubmitField("Start export")

    def __init__(self, *args: object, languages: tuple[str, ...] = ("en",), **kwargs: object):
        super().__init__(*args, **kwargs)
        self.format.choices = export_format_choices()
        self.language.choices = [
            SelectChoice(code, f"{language_name(code)} ({code})") for code in languages
        ]


class DeleteExportForm(FlaskForm):
    submit = SubmitField("Delete")
