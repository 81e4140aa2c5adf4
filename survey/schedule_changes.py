"""Changing a survey's schedule: set, close now, reopen. Each change is audited. Flushes, never
commits: the request (or command) that calls it commits once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from survey import audit
from survey.deadline_rules import (
    MAX_CONTACT_LENGTH,
    LocalTimeError,
    State,
    local_to_utc,
    state_at,
    valid_timezone,
)
from survey.models import Survey, User
from survey.questionnaire_store import schedule_of

MAX_GRACE_MINUTES = 7 * 24 * 60


class ScheduleError(ValueError):
    """A schedule change that cannot be made; the message says why."""


def parse_time(text: str, timezone: str) -> datetime:
    """ISO 8601 text as an aware UTC time; without an offset it is read in `timezone`."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ScheduleError(
            f"{text.strip()!r} is not a date and time; use e.g. 2027-05-26T00:00"
        ) from None
    try:
        return local_to_utc(value, timezone)
    except LocalTimeError as error:
        raise ScheduleError(str(error)) from None


# What a schedule is made of: what the audit log shows before and after a change.
SCHEDULE_FIELDS = ("opens_at", "closes_at", "timezone", "grace_minutes", "contact")


def snapshot(survey: Survey, **changes: Any) -> dict[str, Any]:
    """The schedule as it goes into the audit log, as it is or with `changes` made."""
    values = {name: getattr(survey, name) for name in SCHEDULE_FIELDS} | changes
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
    }


def update_schedule(
    session: Session,
    survey: Survey,
    *,
    actor: User | None,
    now: datetime,
    opens_at: datetime | None,
    closes_at: datetime | None,
    timezone: str,
    grace_minutes: int,
    contact: str | None,
) -> bool:
    """Set the whole schedule at once, after checking it makes sense; False when it was
    already this one (nothing changed, nothing audited)."""
    if not valid_timezone(timezone):
        raise ScheduleError(f"{timezone!r} is not a time zone; use a name like Europe/Brussels")
    if not 0 <= grace_minutes <= MAX_GRACE_MINUTES:
        raise ScheduleError(f"the grace period must be from 0 to {MAX_GRACE_MINUTES} minutes")
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise ScheduleError("the closing time must be after the opening time")
    contact = (contact or "").strip() or None
    if contact is not None and len(contact) > MAX_CONTACT_LENGTH:
        raise ScheduleError(f"the contact can have at most {MAX_CONTACT_LENGTH} characters")
    return _change(
        session,
        survey,
        actor=actor,
        now=now,
        action="schedule.change",
        opens_at=opens_at,
        closes_at=closes_at,
        timezone=timezone,
        grace_minutes=grace_minutes,
        contact=contact,
    )


def close_now(session: Session, survey: Survey, *, actor: User | None, now: datetime) -> bool:
    """No new responses from now on; people who started may finish within the grace period."""
    state = state_at(schedule_of(survey), now)
    if state in (State.GRACE, State.CLOSED):
        raise ScheduleError(f"{survey.slug} is already closed")
    # Closing a survey that has not opened yet: it never opens.
    opens_at = survey.opens_at if survey.opens_at is not None and survey.opens_at < now else None
    return _change(
        session,
        survey,
        actor=actor,
        now=now,
        action="survey.close",
        opens_at=opens_at,
        closes_at=now,
    )


def reopen(
    session: Session, survey: Survey, *, actor: User | None, now: datetime, closes_at: datetime
) -> bool:
    """Open again (or extend) until `closes_at`, which must be in the future; False when the
    survey already closes then and is open or about to open (nothing changed, nothing audited)."""
    if closes_at <= now:
        raise ScheduleError("the new closing time must be in the future")
    opens_at = survey.opens_at
    if opens_at is not None and opens_at >= closes_at:
        opens_at = now
    return _change(
        session,
        survey,
        actor=actor,
        now=now,
        action="survey.reopen",
        opens_at=opens_at,
        closes_at=closes_at,
    )


def _change(
    session: Session,
    survey: Survey,
    *,
    actor: User | None,
    now: datetime,
    action: str,
    **values: Any,
) -> bool:
    """Give the schedule `values` and audit it as `action`; False, with nothing written, when
    the schedule already has them (an entry whose before and after agree tells nothing)."""
    before, after = snapshot(survey), snapshot(survey, **values)
    if after == before:
        return False
    for name, value in values.items():
        setattr(survey, name, value)
    survey.schedule_set_by_admin = True
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        target=f"survey:{survey.slug}",
        before=before,
        after=after,
    )
    return True
