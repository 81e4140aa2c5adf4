"""Deadline rules: what a survey allows at a given instant, and reading local times safely."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from survey import deadline_rules
from survey.deadline_rules import LocalTimeError, Schedule, State, local_to_utc

OPENS = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
CLOSES = datetime(2027, 5, 25, 22, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def make(
    grace: int = 60, opens: datetime | None = OPENS, closes: datetime | None = CLOSES
) -> Schedule:
    return Schedule(
        opens_at=opens, closes_at=closes, timezone="Europe/Brussels", grace_minutes=grace
    )


# -- state_at --------------------------------------------------------------------------------


def test_states_at_the_boundaries():
    s = make(grace=60)
    assert deadline_rules.state_at(s, OPENS - TICK) is State.NOT_YET_OPEN
    assert deadline_rules.state_at(s, OPENS) is State.OPEN
    assert deadline_rules.state_at(s, CLOSES - TICK) is State.OPEN
    assert deadline_rules.state_at(s, CLOSES) is State.GRACE
    assert deadline_rules.state_at(s, CLOSES + timedelta(minutes=60) - TICK) is State.GRACE
    assert deadline_rules.state_at(s, CLOSES + timedelta(minutes=60)) is State.CLOSED
    assert deadline_rules.state_at(s, CLOSES + timedelta(days=400)) is State.CLOSED


def test_without_grace_closes_at_the_deadline():
    s = make(grace=0)
    assert s.grace_ends_at == CLOSES
    assert deadline_rules.state_at(s, CLOSES - TICK) is State.OPEN
    assert deadline_rules.state_at(s, CLOSES) is State.CLOSED


def test_no_opening_time_means_open_at_once():
    s = make(opens=None)
    assert deadline_rules.state_at(s, datetime(2000, 1, 1, tzinfo=UTC)) is State.OPEN


def test_no_closing_time_means_open_forever():
    s = make(closes=None)
    assert s.grace_ends_at is None
    assert deadline_rules.state_at(s, datetime(2100, 1, 1, tzinfo=UTC)) is State.OPEN
    assert deadline_rules.state_at(s, OPENS - TICK) is State.NOT_YET_OPEN


def test_grace_ends_at():
    assert make(grace=60).grace_ends_at == datetime(2027, 5, 25, 23, 0, tzinfo=UTC)


def test_instants_in_other_offsets_are_compared_as_instants():
    s = make(grace=60)
    brussels_summer = timezone(timedelta(hours=2))
    # 2027-05-26 00:00 in Brussels is the closing instant.
    assert deadline_rules.state_at(s, datetime(2027, 5, 26, 0, 0, tzinfo=brussels_summer)) is (
        State.GRACE
    )
    assert deadline_rules.state_at(s, datetime(2027, 5, 25, 23, 59, tzinfo=brussels_summer)) is (
        State.OPEN
    )


def test_state_values():
    assert [state.value for state in State] == ["not_yet_open", "open", "grace", "closed"]


# -- may_start / may_continue / is_late ------------------------------------------------------


@pytest.mark.parametrize(
    "now, start, go_on, late",
    [
        (OPENS - TICK, False, False, False),
        (OPENS, True, True, False),
        (CLOSES - TICK, True, True, False),
        (CLOSES, False, True, True),
        (CLOSES + timedelta(minutes=59), False, True, True),
        (CLOSES + timedelta(minutes=60), False, False, False),
    ],
)
def test_what_is_allowed_with_grace(now, start, go_on, late):
    s = make(grace=60)
    assert deadline_rules.may_start(s, now) is start
    assert deadline_rules.may_continue(s, now) is go_on
    assert deadline_rules.is_late(s, now) is late


def test_what_is_allowed_without_grace():
    s = make(grace=0)
    assert deadline_rules.may_start(s, CLOSES - TICK)
    assert deadline_rules.may_continue(s, CLOSES - TICK)
    assert not deadline_rules.may_start(s, CLOSES)
    assert not deadline_rules.may_continue(s, CLOSES)
    assert not deadline_rules.is_late(s, CLOSES)


# -- local_to_utc ----------------------------------------------------------------------------


def test_local_winter_and_summer_time():
    assert deadline_rules.local_to_utc(datetime(2027, 1, 15, 9, 0), "Europe/Brussels") == datetime(
        2027, 1, 15, 8, 0, tzinfo=UTC
    )
    assert deadline_rules.local_to_utc(datetime(2027, 5, 26, 0, 0), "Europe/Brussels") == datetime(
        2027, 5, 25, 22, 0, tzinfo=UTC
    )


def test_local_to_utc_returns_aware_utc():
    result = deadline_rules.local_to_utc(datetime(2027, 7, 1, 12, 0), "Asia/Tokyo")
    assert result == datetime(2027, 7, 1, 3, 0, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


def test_times_around_the_spring_gap():
    zone = "Europe/Brussels"
    assert deadline_rules.local_to_utc(datetime(2027, 3, 28, 1, 59), zone) == datetime(
        2027, 3, 28, 0, 59, tzinfo=UTC
    )
    assert deadline_rules.local_to_utc(datetime(2027, 3, 28, 3, 0), zone) == datetime(
        2027, 3, 28, 1, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("minute", [0, 30, 59])
def test_local_time_that_does_not_exist(minute):
    with pytest.raises(LocalTimeError) as caught:
        deadline_rules.local_to_utc(datetime(2027, 3, 28, 2, minute), "Europe/Brussels")
    assert "does not exist in Europe/Brussels" in str(caught.value)
    assert f"2027-03-28 02:{minute:02d}" in str(caught.value)


@pytest.mark.parametrize("minute", [0, 30, 59])
def test_local_time_that_happens_twice(minute):
    with pytest.raises(LocalTimeError) as caught:
        deadline_rules.local_to_utc(datetime(2027, 10, 31, 2, minute), "Europe/Brussels")
    assert "happens twice in Europe/Brussels" in str(caught.value)
    assert "offset" in str(caught.value)


def test_times_around_the_autumn_overlap():
    zone = "Europe/Brussels"
    assert deadline_rules.local_to_utc(datetime(2027, 10, 31, 1, 59), zone) == datetime(
        2027, 10, 30, 23, 59, tzinfo=UTC
    )
    assert deadline_rules.local_to_utc(datetime(2027, 10, 31, 3, 0), zone) == datetime(
        2027, 10, 31, 2, 0, tzinfo=UTC
    )


def test_local_time_with_offset_is_taken_as_given():
    moment = datetime(2027, 10, 31, 2, 30, tzinfo=timezone(timedelta(hours=1)))
    assert deadline_rules.local_to_utc(moment, "Europe/Brussels") == datetime(
        2027, 10, 31, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "moment", [datetime(1999, 12, 31, 23, 59), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
)
def test_times_too_far_off_for_a_schedule(moment):
    with pytest.raises(LocalTimeError, match="is too far off"):
        local_to_utc(moment, "Pacific/Kiritimati")


def test_local_time_error_is_a_value_error():
    assert issubclass(LocalTimeError, ValueError)


def test_to_local():
    local = deadline_rules.to_local(CLOSES, "Europe/Brussels")
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2027, 5, 26, 0, 0)
    assert local.utcoffset() == timedelta(hours=2)


# -- valid_timezone --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Europe/Brussels", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "UTC"]
)
def test_known_time_zones(name):
    assert deadline_rules.valid_timezone(name)


@pytest.mark.parametrize(
    "name",
    [
        "Europe/Brusels",
        "Mars/Olympus_Mons",
        "",
        "europe/brussels",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/",
    ],
)
def test_unknown_time_zones(name):
    assert not deadline_rules.valid_timezone(name)
