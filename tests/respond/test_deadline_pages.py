"""What respondents read about the deadline: countdown, grace, closed and not-yet-open pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from survey import schedule_changes
from survey.questionnaire_store import find_survey
from tests.respond.helpers import only_response, stored
from tests.respondent import (
    MEMBER_ANSWERS,
    NOT_INVOLVED_ANSWERS,
    SLUG,
    Respondent,
    csrf_token,
    interface_text,
)

CLOSES_AT = datetime(2027, 5, 25, 22, 0, tzinfo=UTC)  # 2027-05-26 00:00 in Brussels


def page_text(response) -> str:
    return html.unescape(
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    )


def set_schedule(app, **changes) -> None:
    with app.extensions["survey_db"].writing() as session:
        survey = find_survey(session, SLUG)
        values = {
            "opens_at": survey.opens_at,
            "closes_at": survey.closes_at,
            "timezone": survey.timezone,
            "grace_minutes": survey.grace_minutes,
            "contact": survey.contact,
            **changes,
        }
        schedule_changes.update_schedule(
            session, survey, actor=None, now=values["closes_at"], **values
        )


def test_deadline_shown_in_survey_zone_with_offset_on_welcome_and_sections(client):
    person = Respondent(client)
    welcome = page_text(person.get(f"/s/{SLUG}"))
    assert "Answer before: 26 May 2027, 00:00 (Europe/Brussels, UTC+02:00)" in welcome
    person.start()
    section = person.get(f"/s/{SLUG}/p/about_you")
    assert "26 May 2027, 00:00 (Europe/Brussels, UTC+02:00)" in page_text(section)
    assert 'datetime="2027-05-25T22:00:00Z"' in section.get_data(as_text=True)


def test_countdown_appears_only_in_the_last_48_hours(client, clock):
    clock.now = CLOSES_AT - timedelta(hours=49)
    assert "closes in" not in page_text(client.get(f"/s/{SLUG}"))
    clock.now = CLOSES_AT - timedelta(hours=5)
    response = client.get(f"/s/{SLUG}")
    assert "The survey closes in 5 hours." in page_text(response)
    assert 'data-countdown="2027-05-25T22:00:00Z"' in response.get_data(as_text=True)


GRACE_NOTICE = (
    "The deadline has passed, but you started before it: you have %(left)s left to finish and "
    "submit."
)
CLOSED_FOR_NEW = "It no longer accepts new answers. Answers saved before the close are kept."


def shown(msgid: str, language: str) -> str:
    """An interface text as `page_text` reads it (any run of spaces, no-break ones too, as one)."""
    return " ".join(interface_text(msgid, language).split())


def grace_notice(language: str) -> str:
    """The grace notice in `language` up to the time left (which the page fills in)."""
    return shown(GRACE_NOTICE, language).partition("%(left)s")[0].strip()


def test_a_person_in_the_grace_period_is_told_how_long_is_left(client, clock):
    person = Respondent(client)
    clock.now = CLOSES_AT - timedelta(minutes=10)
    person.start()
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    clock.now = CLOSES_AT + timedelta(minutes=15)
    text = page_text(person.get(f"/s/{SLUG}/p/involvement"))
    assert "you have 45 minutes left to finish and submit" in text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_of_a_response_in_progress_gives_the_time_left_in_the_grace_period(
    client, clock, language
):
    person = Respondent(client)
    clock.now = CLOSES_AT - timedelta(minutes=10)
    person.start()
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    clock.now = CLOSES_AT + timedelta(minutes=15)
    for path in ("", "/p/involvement", "/review"):
        response = person.get(f"/s/{SLUG}{path}?lang={language}")
        assert response.status_code == 200, path
        text = page_text(response)
        assert grace_notice(language) in text, path
        assert shown("This survey is closed", language) not in text, path


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_new_person_in_the_grace_period_reads_only_that_the_survey_is_closed(
    client, clock, language
):
    """The time left in the grace period is for those who started before the close: someone
    who never started cannot use it."""
    clock.now = CLOSES_AT + timedelta(minutes=15)
    for path in ("", "/p/about_you", "/review"):
        response = client.get(f"/s/{SLUG}{path}?lang={language}")
        text = page_text(response)
        assert shown("This survey is closed", language) in text, path
        assert shown(CLOSED_FOR_NEW, language) in text, path
        assert grace_notice(language) not in text, path
        assert "data-countdown" not in response.get_data(as_text=True), path
    # Nor with a resume code that finds nothing, nor once the browser has forgotten its code.
    person = Respondent(client)
    person.get(f"/s/{SLUG}?lang={language}")
    missing = person.post(f"/s/{SLUG}/resume", {"code": "K7QF-3MZP-9XWA"})
    assert missing.status_code == 404
    assert grace_notice(language) not in page_text(missing)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_person_who_has_submitted_is_not_told_to_finish_in_the_grace_period(
    app, client, clock, language
):
    person = Respondent(client)
    clock.now = CLOSES_AT - timedelta(minutes=10)
    person.start()
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    person.answer_all({k: v for k, v in NOT_INVOLVED_ANSWERS.items() if k != "about_you"})
    assert person.submit().status_code == 302
    code = person.resume_code()
    clock.now = CLOSES_AT + timedelta(minutes=15)
    for path in ("", "/thanks"):
        response = person.get(f"/s/{SLUG}{path}?lang={language}")
        assert response.status_code == 200, path
        assert grace_notice(language) not in page_text(response), path
    elsewhere = app.test_client().get(f"/s/{SLUG}/resume/{code}?lang={language}")
    assert elsewhere.status_code == 200
    assert grace_notice(language) not in page_text(elsewhere)


def test_closed_page_says_when_it_closed_and_whom_to_contact(app, client, clock):
    set_schedule(app, contact="survey@cicopa.example")
    clock.now = CLOSES_AT + timedelta(hours=2)
    response = client.get(f"/s/{SLUG}")
    text = page_text(response)
    assert "This survey is closed" in text
    assert "It closed on 26 May 2027, 00:00 (Europe/Brussels, UTC+02:00)" in text
    assert 'href="mailto:survey@cicopa.example"' in response.get_data(as_text=True)
    assert "Start the survey" not in text


def test_closed_page_names_the_shipped_contact_or_says_whom_to_ask(app, client, clock):
    clock.now = CLOSES_AT + timedelta(hours=2)
    assert "Questions? Contact CICOPA (www.cicopa.coop)." in page_text(client.get(f"/s/{SLUG}"))
    set_schedule(app, contact=None)
    text = page_text(client.get(f"/s/{SLUG}"))
    assert "Questions? Write to the organisation that sent you the link to this survey." in text
    french = page_text(client.get(f"/s/{SLUG}?lang=fr"))
    assert "Écrivez à l'organisation qui vous a envoyé le lien de cette enquête." in french


def test_a_new_person_during_the_grace_period_cannot_start(client, clock):
    clock.now = CLOSES_AT + timedelta(minutes=1)
    person = Respondent(client)
    text = page_text(person.get(f"/s/{SLUG}"))
    assert "This survey is closed" in text
    assert "Start the survey" not in text


def test_saved_answers_are_kept_and_said_so_after_the_close(app, client, clock):
    person = Respondent(client)
    person.start()
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    clock.now = CLOSES_AT + timedelta(hours=3)
    # Past the close plus grace the browser no longer holds the code (survey.sessions), and
    # every survey page says the survey is closed...
    closed = person.get(f"/s/{SLUG}/p/involvement")
    assert closed.status_code == 403
    assert "Answers saved before the close are kept." in page_text(closed)
    welcome = page_text(person.get(f"/s/{SLUG}"))
    assert "This survey is closed" in welcome
    assert "Answers saved before the close are kept." in welcome
    assert "Start the survey" not in welcome
    # ... and what was saved stays, as a partial response.
    assert only_response(app).status == "in_progress"


def test_a_page_left_open_over_the_close_is_answered_with_the_closed_page(app, client, clock):
    """Its form sent past the close plus grace, when the browser has dropped the cookie that
    held the form's token (the cookie ends then): the closed page, not "this form has
    expired, reload and send it again"."""
    person = Respondent(client)
    clock.now = CLOSES_AT - timedelta(minutes=10)
    person.start()
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    left_open = person.get(f"/s/{SLUG}/p/involvement")
    cookie = client.get_cookie("survey")
    assert cookie is not None  # it ends at the close plus the hour of grace
    assert cookie.expires == CLOSES_AT + timedelta(hours=1)
    before = stored(app)
    clock.now = CLOSES_AT + timedelta(hours=2)
    client.delete_cookie("survey")  # as the browser does once the cookie has expired
    sent = {"csrf_token": csrf_token(left_open.get_data(as_text=True)), "involvement": "member"}
    response = client.post(f"/s/{SLUG}/p/involvement", data=sent)
    assert response.status_code == 403
    text = page_text(response)
    assert "This survey is closed" in text
    assert "It closed on 26 May 2027, 00:00 (Europe/Brussels, UTC+02:00)" in text
    assert stored(app) == before
    # A withdrawal is still possible after the close: its refused form says to send it again.
    withdrawal = client.post(f"/s/{SLUG}/withdraw", data={"csrf_token": "stale"})
    assert withdrawal.status_code == 400
    assert "nothing was saved" in page_text(withdrawal)
    # While the survey is open, such a form is still refused as expired.
    clock.now = CLOSES_AT - timedelta(minutes=5)
    refused = client.post(f"/s/{SLUG}/p/involvement", data=sent)
    assert refused.status_code == 400
    assert "nothing was saved" in page_text(refused)


def test_not_yet_open_page_gives_the_opening_time(app, client, clock):
    set_schedule(app, opens_at=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    clock.now = datetime(2027, 1, 20, tzinfo=UTC)
    text = page_text(client.get(f"/s/{SLUG}"))
    assert "This survey is not open yet" in text
    assert "It opens on 1 February 2027, 09:00 (Europe/Brussels, UTC+01:00)" in text
    assert "Start the survey" not in text
