"""Admin forms (Flask-WTF): CSRF-protected, validated, with messages shown beside each field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext, lazy_pgettext
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
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from survey import channels
from survey.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from survey.channels import is_tag
from survey.deadline_rules import known_timezones
from survey.i18n import language_name
from survey.models import ROLES
from survey.questionnaire.countries import COUNTRY_CODES
from survey.schedule_changes import MAX_GRACE_MINUTES

# Labels are lazy: the form classes are made at import, the text is chosen per request.
# Roles have a message context: "Admin" is also the name of the console's navigation.
ROLE_LABELS = {
    "admin": lazy_pgettext("role", "Admin"),
    "researcher": lazy_pgettext("role", "Researcher"),
    "partner": lazy_pgettext("role", "Partner"),
}
# A role inside a sentence ("Signed in as … (admin)").
ROLE_NAMES = {
    "admin": lazy_pgettext("role", "admin"),
    "researcher": lazy_pgettext("role", "researcher"),
    "partner": lazy_pgettext("role", "partner"),
}


def timezone_choices() -> list[SelectChoice]:
    names = sorted(name for name in known_timezones() if "/" in name or name == "UTC")
    return [SelectChoice(name) for name in names]


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role, ROLE_LABELS.get(role, role)) for role in ROLES]


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=lazy_ngettext(
            "At least %(num)s character.", "At least %(num)s characters.", MIN_PASSWORD_LENGTH
        ),
    )
    submit = SubmitField(_l("Change password"))


class ScheduleForm(FlaskForm):
    opens_at = StringField(
        _l("Opens"),
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Leave empty to open at once. "
            "Local time in the survey's time zone, e.g. 2027-05-26T00:00"
        ),
    )
    closes_at = StringField(
        _l("Closes"),
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Leave empty for no deadline. "
            "Local time in the survey's time zone, e.g. 2027-05-26T00:00"
        ),
    )
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    grace_minutes = IntegerField(
        _l("Grace period (minutes)"),
        validators=[NumberRange(min=0, max=MAX_GRACE_MINUTES)],
        description=_l("How long people who started before the close may still finish."),
    )
    contact = StringField(
        _l("Contact"),
        validators=[Optional(), Length(max=200)],
        description=_l("Whom respondents may write to; shown on the closed page."),
    )
    submit = SubmitField(_l("Save schedule"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class CloseForm(FlaskForm):
    submit = SubmitField(_l("Close now"))


class ReopenForm(FlaskForm):
    closes_at = StringField(
        _l("Open until"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Local time in the survey's time zone, e.g. 2027-05-26T00:00"),
    )
    submit = SubmitField(_l("Reopen"))


# Several ?via= tags in one field; each is checked by the accounts service.
CHANNELS_LENGTH = 1000


class ChannelsField(StringField):
    """The channels (?via= tags) of a partner, typed separated by spaces or commas."""

    def tags(self) -> list[str]:
        return channels.split(self.data or "")


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    # The least the console gives: an admin is made by choosing it, never by forgetting to.
    role = SelectField(_l("Role"), choices=role_choices(), default="researcher")
    channels = ChannelsField(
        _l("Channels (partners only)"),
        validators=[Optional(), Length(max=CHANNELS_LENGTH)],
        description=_l(
            "The ?via= tags of the links a partner spreads, separated by spaces or commas, "
            "e.g. cecop cicopa-americas. Leave empty for an admin or a researcher."
        ),
    )
    submit = SubmitField(_l("Add account"))


class UserUpdateForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices())
    channels = ChannelsField(_l("Channels"), validators=[Optional(), Length(max=CHANNELS_LENGTH)])
    active = BooleanField(_l("Active"))
    submit = SubmitField(_l("Save"))


class SignOutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


def export_format_label(name: str) -> str:
    """A format's label from the registry, in the page's language (its name if unknown)."""
    from survey.export import formats

    declared = formats.find(name)
    return name if declared is None else str(_l(declared.label))


def export_format_choices() -> list[SelectChoice]:
    """The formats that can be written here (their libraries are installed)."""
    from survey.export import formats

    return [SelectChoice(item.name, _l(item.label)) for item in formats.installed()]


class ExportForm(FlaskForm):
    format = SelectField(_l("Format"), validators=[DataRequired()])
    values = RadioField(
        _l("Values"),
        choices=[SelectChoice("codes", _l("Codes")), SelectChoice("labels", _l("Labels"))],
        default="codes",
        validators=[DataRequired()],
    )
    language = SelectField(_l("Label language"), validators=[DataRequired()])
    include_partial = BooleanField(_l("Include partial responses"))
    include_screened_out = BooleanField(_l("Include screened-out responses"))
    since = StringField(
        _l("Started since"),
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Leave empty for all responses. "
            "Local time in the survey's time zone, e.g. 2027-05-26T00:00"
        ),
    )
    channel = StringField(
        _l("Channel"),
        validators=[Optional(), Length(max=64)],
        description=_l("Only responses that came through this ?via= tag; leave empty for all."),
    )
    country = StringField(
        _l("Country"),
        validators=[Optional()],
        description=_l("Two-letter ISO code, e.g. AR; leave empty for all."),
    )
    leave_out_flagged = BooleanField(
        _l("Leave out flagged responses"),
        description=_l(
            "Speeders and straightliners, as the dashboard counts them and the codebook "
            "explains (flag_speeder, flag_straightlining)."
        ),
    )
    with_personal_data = BooleanField(_l("Include personal data (email)"))
    submit = SubmitField(_l("Start export"))

    def __init__(
        self,
        *args: object,
        languages: tuple[str, ...] = ("en",),
        country_filter: bool = True,
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)
        if not country_filter:
            # The questionnaire has no country question: nothing to filter by, so not offered.
            del self.country
        self.format.choices = export_format_choices()
        self.language.choices = [
            SelectChoice(code, f"{language_name(code)} ({code})") for code in languages
        ]

    # The command line's checks (`survey export --channel/--country`): a filter that nothing
    # can match is a mistake to say, not an empty file to make.
    def validate_channel(self, field: StringField) -> None:
        _check_tag(field)

    def validate_country(self, field: StringField) -> None:
        if (field.data or "").strip().upper() not in COUNTRY_CODES:
            raise ValidationError(_l("Use a two-letter country code, e.g. AR."))

    def country_code(self) -> str | None:
        """The country asked for (upper case), or None: none typed, or no country filter."""
        if self.country is None:
            return None
        return (self.country.data or "").strip().upper() or None


class DeleteExportForm(FlaskForm):
    submit = SubmitField(_l("Delete"))


class ShareForm(FlaskForm):
    """The channel of the links on the Share page: asked for by GET (it changes nothing), so a
    page of links can be bookmarked and sent on."""

    class Meta:
        csrf = False

    via = StringField(
        _l("Channel tag"),
        validators=[Optional()],
        filters=[lambda value: value.strip() if value else value],
        description=_l(
            "The ?via= tag: the responses that come by these links count under it on the "
            "dashboard. Leave empty for links without a channel."
        ),
    )

    def validate_via(self, field: StringField) -> None:
        _check_tag(field)


class PartnerShareForm(FlaskForm):
    """The Share page's form for a partner: one of its own channels."""

    class Meta:
        csrf = False

    via = SelectField(
        _l("Channel"),
        validate_choice=False,  # checked below, with a message that says what to do
        description=_l("The responses that come by these links count under it on the dashboard."),
    )

    def __init__(self, *args: object, channels: tuple[str, ...] = (), **kwargs: object):
        super().__init__(*args, **kwargs)
        self.via.choices = [SelectChoice(channel) for channel in channels]

    def validate_via(self, field: SelectField) -> None:
        if field.data not in {choice[0] for choice in field.iter_choices()}:
            raise ValidationError(_l("Choose one of your channels."))


def _check_tag(field: StringField) -> None:
    """A channel tag typed in a field, as `?via=` takes it (survey.channels)."""
    if field.data and not is_tag(field.data.strip()):
        raise ValidationError(
            _l(
                "A channel tag has 1 to 64 letters, digits and _ . : - and starts with a "
                "letter or a digit, e.g. cecop or newsletter-2027-05."
            )
        )
