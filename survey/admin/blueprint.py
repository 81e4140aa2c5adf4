"""The admin console's blueprint and what its pages share: the signed-in user, the survey of
the URL, a domain error as a sentence, and the survey page frame (rendered once the view's
transaction has ended, see `survey.rendering`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from survey import accounts, audit, current_time, get_db
from survey.admin.forms import ROLE_NAMES, SignOutForm
from survey.deadline_rules import state_at
from survey.models import Survey, User
from survey.questionnaire_store import find_survey, schedule_of
from survey.rendering import Later, later
from survey.respond.display import moment

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

STATE_LABELS = {
    "not_yet_open": _l("Not yet open"),
    "open": _l("Open"),
    "grace": _l("Closing (grace period)"),
    "closed": _l("Closed"),
}


@bp.before_request
def _admin_pages_are_english() -> None:
    g.languages = ("en",)


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    # formdata=None: rendering (an error page too) must never read the request body.
    return {
        "sign_out_form": SignOutForm(formdata=None),
        "state_labels": STATE_LABELS,
        "role_names": ROLE_NAMES,
    }


def me(db_session: Session) -> User:
    """The signed-in user's row (403 if it has gone)."""
    user = db_session.get(User, current_user.user_id)
    if user is None:
        abort(403)
    return user


def my_channels(db_session: Session) -> tuple[str, ...] | None:
    """The channels the signed-in account may see and share (None: every channel)."""
    return accounts.channels_of(me(db_session)) if current_user.is_partner else None


def audit_partner_view(survey: Survey | None, channels: tuple[str, ...] | None, page: str) -> None:
    """A partner's view of a page (of a survey, or the list of surveys), recorded in a
    transaction of its own; nothing for admins and researchers."""
    if channels is None:
        return
    with get_db().writing() as db_session:
        audit.record_partner_view(
            db_session,
            actor=me(db_session),
            survey=survey,
            channels=channels,
            at=current_time(),
            page=page,
        )


def survey_or_404(db_session: Session, slug: str, lock: str | None = None) -> Survey:
    survey = find_survey(db_session, slug, lock=lock)
    if survey is None:
        abort(404)
    return survey


def sentence(problem: Exception) -> str:
    """A domain error's reason as a sentence (keeping names such as Europe/Brussels intact)."""
    message = str(problem)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def survey_page(template: str, survey: Survey, status: int = 200, **context: Any) -> Later:
    """A page of one survey, with its state and schedule as every such page shows them."""
    now = current_time()
    schedule = schedule_of(survey)
    return later(
        template,
        status,
        survey=survey,
        state=state_at(schedule, now).value,
        opens=moment(schedule.opens_at, schedule.timezone),
        closes=moment(schedule.closes_at, schedule.timezone),
        grace_ends=moment(schedule.grace_ends_at, schedule.timezone),
        **context,
    )
