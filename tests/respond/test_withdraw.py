"""A respondent, or the secretariat on their behalf, erases a response and its personal data."""

from __future__ import annotations

from sqlalchemy import func, select

from survey.models import Answer, AuditEvent, PersonalAnswer, SectionProgress, SurveyResponse
from tests.respondent import MEMBER_ANSWERS, SLUG, Respondent


def counts(app) -> dict[str, int]:
    with app.extensions["survey_db"].reading() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (SurveyResponse, Answer, PersonalAnswer, SectionProgress)
        }


def finished(client) -> Respondent:
    person = Respondent(client)
    person.start()
    person.answer_all(MEMBER_ANSWERS)
    person.submit()
    return person


def test_a_respondent_deletes_their_answers_with_the_code(app, client):
    person = finished(client)
    code = person.resume_code()
    other = Respondent(app.test_client())
    other.start()
    other.save("about_you", MEMBER_ANSWERS["about_you"])
    page = person.get(f"/s/{SLUG}/withdraw").get_data(as_text=True)
    assert f'value="{code}"' in page  # the code of this device is filled in
    done = person.post(f"/s/{SLUG}/withdraw", {"code": code.lower(), "confirm": "yes"})
    assert done.status_code == 200
    assert "Your answers were deleted" in done.get_data(as_text=True)
    left = counts(app)
    assert left["responses"] == 1  # only the other person's
    assert left["personal_answers"] == 0
    assert left["answers"] == len(MEMBER_ANSWERS["about_you"])  # the other person's
    with app.extensions["survey_db"].reading() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "response.withdraw" in actions
    # This device no longer holds a response: the welcome page offers a fresh start.
    assert "Start the survey" in person.get(f"/s/{SLUG}").get_data(as_text=True)


def test_withdraw_needs_the_right_code_and_the_tick(app, client):
    person = finished(client)
    code = person.resume_code()
    unticked = person.post(f"/s/{SLUG}/withdraw", {"code": code})
    assert unticked.status_code == 400
    assert "Tick the box to confirm" in unticked.get_data(as_text=True)
    wrong = person.post(f"/s/{SLUG}/withdraw", {"code": "AAAA-BBBB-CCCC", "confirm": "yes"})
    assert wrong.status_code == 400
    assert "No answers were found for this resume code" in wrong.get_data(as_text=True)
    assert counts(app)["responses"] == 1


def test_withdraw_without_csrf_token_deletes_nothing(app, client):
    person = finished(client)
    code = person.resume_code()
    response = client.post(f"/s/{SLUG}/withdraw", data={"code": code, "confirm": "yes"})
    assert response.status_code == 400
    assert counts(app)["responses"] == 1


def test_survey_withdraw_command_erases_by_code(app, client):
    person = finished(client)
    code = person.resume_code()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["withdraw", code.replace("-", "").lower()])
    assert result.exit_code == 0, result.output
    assert "erased" in result.output
    assert counts(app) == {
        "responses": 0,
        "answers": 0,
        "personal_answers": 0,
        "section_progress": 0,
    }
    again = runner.invoke(args=["withdraw", code])
    assert again.exit_code == 1
    assert "no response has this resume code" in again.output
    assert "Traceback" not in again.output
    malformed = runner.invoke(args=["withdraw", "nope"])
    assert malformed.exit_code == 1
