"""Deadline rules: what a survey allows at a given instant. Pure functions of (schedule, now)."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class LocalTimeError(ValueError):
    """A local time that does not exist, or exists twice, in its time zone, or one too far off
    for a survey's schedule."""


# A schedule's times are within these years: far enough for any survey, and far from the ends
# of Python's dates, where a time zone's offset or a grace period would overflow them.
EARLIEST_YEAR, LATEST_YEAR = 2000, 9000
# A schedule's contact (the closed page shows it) is at most this long (its column's size).
MAX_CONTACT_LENGTH = 200


class State(enum.StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    GRACE = "grace"  # closed to new responses; started ones may still finish
    CLOSED = "closed"


@dataclass(frozen=True)
class Schedule:
    opens_at: datetime | None  # aware, UTC; None = open at once
    closes_at: datetime | None  # aware, UTC; None = no deadline
    timezone: str
    grace_minutes: int = 0
    # Whom respondents may write to, shown on the closed page (an email address, or any text).
    contact: str | None = None

    @property
    def grace_ends_at(self) -> datetime | None:
        if self.closes_at is None:
            return None
        return self.closes_at + timedelta(minutes=self.grace_minutes)


def state_at(schedule: Schedule, now: datetime) -> State:
    """The survey's state at `now` (an aware datetime)."""
    if schedule.opens_at is not None and now < schedule.opens_at:
        return State.NOT_YET_OPEN
    if schedule.closes_at is None or now < schedule.closes_at:
        return State.OPEN
    grace_ends_at = schedule.grace_ends_at
    if grace_ends_at is not None and now < grace_ends_at:
        return State.GRACE
    return State.CLOSED


def may_start(schedule: Schedule, now: datetime) -> bool:
    """Whether a new response may begin at `now`."""
    return state_at(schedule, now) is State.OPEN


def may_continue(schedule: Schedule, now: datetime) -> bool:
    """Whether a response already started may save or submit at `now`."""
    return state_at(schedule, now) in (State.OPEN, State.GRACE)


def is_late(schedule: Schedule, now: datetime) -> bool:
    """A submission after the deadline, inside the grace period."""
    return state_at(schedule, now) is State.GRACE


@functools.cache
def known_timezones() -> frozenset[str]:
    """The IANA time zones zoneinfo knows (tzdata), read once per process: listing them walks
    the zone files, some 10 ms each time."""
    return frozenset(available_timezones())


def valid_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone known to zoneinfo (tzdata)."""
    if name not in known_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_to_utc(local: datetime, timezone: str) -> datetime:
    """Read a wall-clock time in `timezone` (or an aware time) as UTC; refuse times skipped or
    repeated by DST, and times outside EARLIEST_YEAR to LATEST_YEAR."""
    if not EARLIEST_YEAR <= local.year <= LATEST_YEAR:
        raise LocalTimeError(
            f"{local.isoformat(sep=' ', timespec='minutes')} is too far off: give a time "
            f"between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
        )
    zone = ZoneInfo(timezone)
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    earlier = local.replace(tzinfo=zone, fold=0)
    later = local.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        back = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != local:
            raise LocalTimeError(
                f"{local:%Y-%m-%d %H:%M} does not exist in {timezone} "
                "(the clocks jump forward then); choose another time"
            )
        raise LocalTimeError(
            f"{local:%Y-%m-%d %H:%M} happens twice in {timezone} (the clocks go back then); "
            "give the UTC offset, e.g. +02:00"
        )
    return earlier.astimezone(UTC)


def to_local(moment: datetime, timezone: str) -> datetime:
    """An aware UTC instant as wall-clock time in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone))
