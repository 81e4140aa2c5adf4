"""The survey's states as the clock moves: not open yet, open, grace, closed; and DST."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from survey import schedule_changes
from survey.questionnaire_store import find_survey
from tests.admin.console import (
    CLOSED,
    SCHEDULE,
    SLUG,
    assert_closed_page,
    error_summary,
    input_value,
    respondent,
    responses,
    selected_option,
    survey_row,
    text_of,
    utc,
)
from tests.respondent import MEMBER_ANSWERS, Respondent
from tests.staff import form_token, post_form

OPENS = utc(2027, 2, 1, 8, 0)  # 09:00 in Brussels (CET)
CLOSES = utc(2027, 3, 1, 11, 0)  # 12:00 in Brussels (CET)
GRACE = 60
NOT_OPEN = "This survey is not open yet"


def set_schedule(
    app, clock, opens: datetime | None = OPENS, closes: datetime | None = CLOSES
) -> None:
    with app.extensions["survey_db"].writing() as session:
        schedule_changes.update_schedule(
            session,
            find_survey(session, SLUG),
            actor=None,
            now=clock.now,
            opens_at=opens,
            closes_at=closes,
            timezone="Europe/Brussels",
            grace_minutes=GRACE,
            contact="research@cicopa.example",
        )


def try_to_start(app):
    """A new visitor reads the welcome page, then sends the start form anyway."""
    person = Respondent(app.test_client())
    welcome = person.get(f"/s/{SLUG}")
    # The welcome page has no start form (and no token) unless the survey is open.
    person.token = form_token(person.client, "/admin/sign-in")
    started = person.post(f"/s/{SLUG}/start", {"consent": "yes", "start_token": "x"})
    return welcome, started


def finish(person: Respondent, *already: str):
    person.answer_all({key: value for key, value in MEMBER_ANSWERS.items() if key not in already})
    return person.submit()


def test_before_opening_the_welcome_page_says_when_it_opens(app, clock):
    set_schedule(app, clock)
    welcome, started = try_to_start(app)
    assert welcome.status_code == 200
    page = text_of(welcome)
    assert NOT_OPEN in page
    assert "1 February 2027, 09:00 (Europe/Brussels, UTC+01:00)" in page
    assert "Start the survey" not in page
    assert started.status_code == 403
    assert NOT_OPEN in text_of(started)
    assert responses(app) == []


def test_at_the_opening_time_people_can_start(app, clock):
    set_schedule(app, clock)
    clock.now = OPENS
    welcome, started = try_to_start(app)
    assert "Start the survey" in text_of(welcome)
    assert started.status_code == 302
    assert responses(app) == []  # stored at the first saved section
    assert respondent(app, "about_you")
    assert len(responses(app)) == 1


def test_just_before_the_deadline_a_submission_is_not_late(app, clock):
    set_schedule(app, clock)
    clock.now = CLOSES - timedelta(minutes=30)
    person = respondent(app)
    clock.now = CLOSES - timedelta(microseconds=1)
    assert finish(person).status_code == 302
    (row,) = responses(app)
    assert (row.status, row.late) == ("complete", False)


def test_exactly_at_the_deadline_new_starts_are_refused_and_finishing_is_late(app, clock):
    set_schedule(app, clock)
    clock.now = CLOSES - timedelta(minutes=1)
    person = respondent(app, "about_you")
    clock.now = CLOSES
    welcome, started = try_to_start(app)
    assert "Start the survey" not in text_of(welcome)
    assert_closed_page(started)
    assert finish(person, "about_you").status_code == 302
    (row,) = responses(app)
    assert (row.status, row.late) == ("complete", True)


def test_at_the_end_of_the_grace_period_everyone_gets_the_closed_page(app, clock):
    set_schedule(app, clock)
    clock.now = CLOSES - timedelta(minutes=1)
    halfway = respondent(app, "about_you")
    unsent = respondent(app)
    unsent.answer_all(MEMBER_ANSWERS)  # every section saved, never submitted
    clock.now = CLOSES + timedelta(minutes=GRACE)
    welcome, started = try_to_start(app)
    assert CLOSED in text_of(welcome)
    assert "research@cicopa.example" in text_of(welcome)
    assert_closed_page(started)
    assert_closed_page(halfway.get(f"/s/{SLUG}/p/involvement"))
    assert_closed_page(halfway.save("involvement", MEMBER_ANSWERS["involvement"]))
    assert "Answers saved before the close are kept." in text_of(halfway.get(f"/s/{SLUG}"))
    assert_closed_page(unsent.post(f"/s/{SLUG}/submit", {}))
    assert [(row.status, row.late) for row in responses(app)] == [("in_progress", False)] * 2


def test_after_the_grace_period_the_review_page_offers_no_submit_button(app, clock):
    set_schedule(app, clock)
    clock.now = CLOSES - timedelta(minutes=1)
    unsent = respondent(app)
    unsent.answer_all(MEMBER_ANSWERS)
    clock.now = CLOSES + timedelta(minutes=GRACE)
    page = text_of(unsent.get(f"/s/{SLUG}/review"))
    assert CLOSED in page
    assert "Submit my answers" not in page


# -- DST: the same wall-clock time twice on 2027-10-31 in Brussels -----------------------------

FIRST_0230 = "2027-10-31T02:30+02:00"  # still summer time: 00:30Z
SECOND_0230 = "2027-10-31T02:30+01:00"  # after the clocks went back: 01:30Z


@pytest.mark.parametrize(
    ("given", "instant", "offset"),
    [
        (FIRST_0230, utc(2027, 10, 31, 0, 30), "UTC+02:00"),
        (SECOND_0230, utc(2027, 10, 31, 1, 30), "UTC+01:00"),
    ],
)
def test_an_explicit_offset_picks_one_of_the_two_0230_with_the_cli(
    app, admin_client, given, instant, offset
):
    result = app.test_cli_runner().invoke(args=["schedule", SLUG, "--closes-at", given])
    assert result.exit_code == 0, result.output
    assert survey_row(app).closes_at == instant
    assert f"31 October 2027, 02:30 (Europe/Brussels, {offset})" in text_of(
        admin_client.get(SCHEDULE)
    )


@pytest.mark.parametrize(
    ("given", "instant"),
    [(FIRST_0230, utc(2027, 10, 31, 0, 30)), (SECOND_0230, utc(2027, 10, 31, 1, 30))],
)
def test_an_explicit_offset_picks_one_of_the_two_0230_with_the_form(
    app, admin_client, given, instant
):
    answer = post_form(
        admin_client,
        SCHEDULE,
        {
            "opens_at": "",
            "closes_at": given,
            "timezone": "Europe/Brussels",
            "grace_minutes": "60",
            "contact": "",
        },
    )
    assert answer.status_code == 302, error_summary(answer)
    assert survey_row(app).closes_at == instant


def test_a_survey_closing_in_the_repeated_hour_closes_at_that_instant(app, clock):
    set_schedule(app, clock, opens=None, closes=utc(2027, 10, 31, 1, 30))
    clock.now = utc(2027, 10, 31, 1, 29)  # 02:29 the second time round
    welcome, _started = try_to_start(app)
    assert "Start the survey" in text_of(welcome)
    clock.now = utc(2027, 10, 31, 1, 30)
    _welcome, started = try_to_start(app)
    assert_closed_page(started)


def test_an_ambiguous_closing_time_survives_saving_the_form_again(app, admin_client):
    """Set 02:30 (second time, +01:00) then change only the contact in the form."""
    result = app.test_cli_runner().invoke(args=["schedule", SLUG, "--closes-at", SECOND_0230])
    assert result.exit_code == 0, result.output
    page = admin_client.get(SCHEDULE)
    answer = post_form(
        admin_client,
        SCHEDULE,
        {
            "opens_at": input_value(page, "opens_at"),
            "closes_at": input_value(page, "closes_at"),
            "timezone": selected_option(page, "timezone"),
            "grace_minutes": input_value(page, "grace_minutes"),
            "contact": "research@cicopa.example",
        },
    )
    assert answer.status_code == 302, error_summary(answer)
    row = survey_row(app)
    assert row.contact == "research@cicopa.example"
    assert row.closes_at == utc(2027, 10, 31, 1, 30)
