"""The schedule page, "Close now" and "Reopen", and how they reach respondents."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest

from survey.questionnaire_store import load_questionnaire
from tests.admin.console import (
    CLOSE,
    CLOSED,
    REOPEN,
    SCHEDULE,
    SURVEY,
    assert_closed_page,
    audit_rows,
    error_summary,
    everything,
    input_value,
    respondent,
    responses,
    schedule_of,
    selected_option,
    signed_in_client,
    survey_row,
    text_of,
    utc,
)
from tests.conftest import AGE_LABEL, AGE_RELABELLED, WE_OWN_IT
from tests.respond.helpers import stored
from tests.respondent import MEMBER_ANSWERS, Respondent
from tests.staff import post_form

NOTHING_CHANGED = "Nothing changed: the schedule was already this one."
# The shipped file: closes 2027-05-26T00:00 in Europe/Brussels (CEST) = 2027-05-25T22:00Z.
SHIPPED_CLOSE = utc(2027, 5, 25, 22, 0)


def schedule_form(**changes: object) -> dict[str, object]:
    """The schedule form as the shipped file fills it, with `changes`."""
    return {
        "opens_at": "",
        "closes_at": "2027-05-26T00:00",
        "timezone": "Europe/Brussels",
        "grace_minutes": "60",
        "contact": "",
        **changes,
    }


def save_schedule(client, **changes: object):
    return post_form(client, SCHEDULE, schedule_form(**changes))


def close_now(client):
    return post_form(client, CLOSE, {})


# -- the schedule form -------------------------------------------------------------------------


def test_the_form_shows_the_current_times_in_the_survey_zone(admin_client):
    page = admin_client.get(SCHEDULE)
    assert page.status_code == 200
    assert input_value(page, "opens_at") == ""
    assert input_value(page, "closes_at") == "2027-05-26T00:00"
    assert selected_option(page, "timezone") == "Europe/Brussels"
    assert input_value(page, "grace_minutes") == "60"
    assert "26 May 2027, 00:00 (Europe/Brussels, UTC+02:00)" in text_of(page)
    for word in ("Close now", "Reopen"):
        assert word in text_of(page)


def test_saving_the_schedule_changes_the_survey_and_is_audited(
    app, admin_client, admin_account, clock
):
    answer = save_schedule(
        admin_client,
        opens_at="2027-02-01T09:00",
        closes_at="2027-06-01T12:00",
        grace_minutes="30",
        contact="research@cicopa.example",
    )
    assert answer.status_code == 302, error_summary(answer)
    assert answer.headers["Location"] == SCHEDULE
    row = survey_row(app)
    assert row.opens_at == utc(2027, 2, 1, 8, 0)  # CET, UTC+1
    assert row.closes_at == utc(2027, 6, 1, 10, 0)  # CEST, UTC+2
    assert row.timezone == "Europe/Brussels"
    assert row.grace_minutes == 30
    assert row.contact == "research@cicopa.example"
    assert row.schedule_set_by_admin

    (event,) = audit_rows(app, "schedule.change")
    assert event.actor == admin_account[0]
    assert event.at == clock.now
    assert event.target == "survey:we-own-it"
    assert event.before["closes_at"] == "2027-05-25T22:00:00+00:00"
    assert event.before["grace_minutes"] == 60
    assert event.before["opens_at"] is None
    assert event.after["closes_at"] == "2027-06-01T10:00:00+00:00"
    assert event.after["opens_at"] == "2027-02-01T08:00:00+00:00"
    assert event.after["grace_minutes"] == 30
    assert event.after["contact"] == "research@cicopa.example"

    page = admin_client.get(SCHEDULE)
    assert "The schedule was saved." in text_of(page)
    assert input_value(page, "closes_at") == "2027-06-01T12:00"
    assert input_value(page, "opens_at") == "2027-02-01T09:00"


def test_saving_in_another_zone_reads_the_times_in_that_zone(app, admin_client):
    answer = save_schedule(
        admin_client, closes_at="2027-06-01T12:00", timezone="America/Argentina/Buenos_Aires"
    )
    assert answer.status_code == 302, error_summary(answer)
    row = survey_row(app)
    assert row.timezone == "America/Argentina/Buenos_Aires"
    assert row.closes_at == utc(2027, 6, 1, 15, 0)


def test_saving_the_form_unchanged_keeps_the_schedule(app, admin_client):
    before = schedule_of(app)[:5]
    page = admin_client.get(SCHEDULE)
    answer = save_schedule(
        admin_client,
        opens_at=input_value(page, "opens_at"),
        closes_at=input_value(page, "closes_at"),
        timezone=selected_option(page, "timezone"),
        grace_minutes=input_value(page, "grace_minutes"),
        contact=input_value(page, "contact"),
    )
    assert answer.status_code == 302, error_summary(answer)
    assert schedule_of(app)[:5] == before
    # Nothing to audit, and the page does not claim a change.
    assert audit_rows(app, "schedule.change") == []
    assert not survey_row(app).schedule_set_by_admin
    shown = text_of(admin_client.get(SCHEDULE))
    assert NOTHING_CHANGED in shown
    assert "The schedule was saved." not in shown


def test_a_second_save_of_the_same_change_is_not_audited_again(app, admin_client):
    assert save_schedule(admin_client, grace_minutes="30").status_code == 302
    assert "The schedule was saved." in text_of(admin_client.get(SCHEDULE))
    assert save_schedule(admin_client, grace_minutes="30").status_code == 302
    assert NOTHING_CHANGED in text_of(admin_client.get(SCHEDULE))
    (event,) = audit_rows(app, "schedule.change")
    assert (event.before["grace_minutes"], event.after["grace_minutes"]) == (60, 30)


@pytest.mark.parametrize(
    ("local", "message"),
    [
        ("2027-03-28T02:30", "does not exist in Europe/Brussels"),
        ("2027-10-31T02:30", "happens twice in Europe/Brussels"),
    ],
)
def test_local_times_skipped_or_repeated_by_dst_are_refused(app, admin_client, local, message):
    before = everything(app)
    answer = save_schedule(admin_client, closes_at=local)
    assert answer.status_code == 400
    assert message in error_summary(answer)
    assert everything(app) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"opens_at": "2027-06-02T00:00", "closes_at": "2027-06-01T00:00"},
            "The closing time must be after the opening time.",
        ),
        (
            {"opens_at": "2027-06-01T00:00", "closes_at": "2027-06-01T00:00"},
            "The closing time must be after the opening time.",
        ),
        (
            {"closes_at": "next friday"},
            "'next friday' is not a date and time; use e.g. 2027-05-26T00:00",
        ),
        ({"timezone": "Mars/Olympus_Mons"}, "Time zone"),
        ({"grace_minutes": "-5"}, "Grace period"),
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused(app, admin_client, changes, message):
    before = everything(app)
    answer = save_schedule(admin_client, **changes)
    assert answer.status_code == 400
    assert message in error_summary(answer)
    assert everything(app) == before


def field_problems(answer, name: str) -> tuple[str, str, bool]:
    """A field's problem as the page shows it: its summary link, the message beside it, and
    whether the input says it is invalid and names that message."""
    page = answer.get_data(as_text=True)
    link = re.search(rf'<a href="#f-{name}">([^<]*)</a>', page)
    beside = re.search(rf'<p class="error-message" id="e-{name}">.*?</span>\s*([^<]*)</p>', page)
    field = re.search(rf'<input[^>]*id="f-{name}"[^>]*>', page)
    assert field is not None, name
    marked = 'aria-invalid="true"' in field.group(0) and f"e-{name}" in field.group(0)
    return (
        html.unescape(link.group(1)) if link else "",
        html.unescape(beside.group(1)).strip() if beside else "",
        marked,
    )


def test_each_wrong_time_is_told_beside_its_field_and_both_at_once(app, admin_client):
    before = everything(app)
    answer = save_schedule(admin_client, opens_at="nonsense", closes_at="2027-03-28T02:30")
    assert answer.status_code == 400
    link, beside, marked = field_problems(answer, "opens_at")
    assert link.startswith("Opens") and "'nonsense' is not a date and time" in link
    assert "'nonsense' is not a date and time" in beside and marked
    link, beside, marked = field_problems(answer, "closes_at")
    assert link.startswith("Closes") and "does not exist in Europe/Brussels" in link
    assert "does not exist in Europe/Brussels" in beside and marked
    page = answer.get_data(as_text=True)
    assert 'value="nonsense"' in page and 'value="2027-03-28T02:30"' in page  # kept to mend
    assert everything(app) == before


def test_a_wrong_reopen_time_is_told_beside_its_field(app, admin_client):
    close_now(admin_client)
    before = everything(app)
    answer = post_form(admin_client, REOPEN, {"closes_at": "nonsense"})
    assert answer.status_code == 400
    link, beside, marked = field_problems(answer, "closes_at")
    assert "'nonsense' is not a date and time" in link
    assert "'nonsense' is not a date and time" in beside and marked
    assert everything(app) == before


# -- close now ---------------------------------------------------------------------------------


def test_close_now_asks_for_confirmation_first(app, admin_client):
    before = everything(app)
    page = admin_client.get(CLOSE)
    assert page.status_code == 200
    assert '<button type="submit" class="button warning">Close now</button>' in page.get_data(
        as_text=True
    )
    assert everything(app) == before


def test_close_now_closes_at_once_and_is_audited(app, admin_client, admin_account, clock):
    answer = close_now(admin_client)
    assert answer.status_code == 302
    assert answer.headers["Location"] == SCHEDULE
    assert survey_row(app).closes_at == clock.now
    (event,) = audit_rows(app, "survey.close")
    assert event.actor == admin_account[0]
    assert event.at == clock.now
    assert event.before["closes_at"] == "2027-05-25T22:00:00+00:00"
    assert event.after["closes_at"] == clock.now.isoformat()
    assert "is closed" in text_of(admin_client.get(SCHEDULE))


def test_after_close_now_a_new_respondent_gets_the_closed_page(app, admin_client):
    welcome = Respondent(app.test_client())
    welcome.get("/s/we-own-it")
    close_now(admin_client)
    assert_closed_page(welcome.post("/s/we-own-it/start", {"consent": "yes", "start_token": "x"}))
    page = Respondent(app.test_client()).get("/s/we-own-it")
    assert CLOSED in text_of(page)
    assert "Start the survey" not in text_of(page)
    assert responses(app) == []


def test_someone_who_started_may_finish_in_the_grace_period_and_is_late(app, admin_client, clock):
    person_saved = ("about_you", "involvement")
    person = respondent(app, *person_saved)
    close_now(admin_client)
    clock.now += timedelta(minutes=30)
    person.answer_all(
        {key: value for key, value in MEMBER_ANSWERS.items() if key not in person_saved}
    )
    assert person.submit().status_code == 302
    (row,) = responses(app)
    assert row.status == "complete"
    assert row.late is True


def test_after_the_grace_period_the_saved_answers_stay(app, admin_client, clock):
    person = respondent(app, "about_you")
    close_now(admin_client)
    clock.now += timedelta(minutes=60)
    assert_closed_page(person.save("involvement", MEMBER_ANSWERS["involvement"]))
    assert_closed_page(person.get("/s/we-own-it/p/involvement"))
    (row,) = responses(app)
    assert row.status == "in_progress"
    assert row.late is False
    assert stored(app)["age"] == 27
    assert "involvement" not in stored(app)


def test_closing_twice_is_refused_with_a_message(app, admin_client, clock):
    close_now(admin_client)
    first = schedule_of(app)
    clock.now += timedelta(minutes=10)
    answer = close_now(admin_client)
    assert answer.status_code == 302
    assert "already closed" in text_of(admin_client.get(SCHEDULE))
    assert schedule_of(app) == first
    assert len(audit_rows(app, "survey.close")) == 1


# -- reopen ------------------------------------------------------------------------------------


def test_reopen_with_a_future_time_lets_new_respondents_start(
    app, admin_client, admin_account, clock
):
    close_now(admin_client)
    clock.now += timedelta(days=1)
    admin_client = signed_in_client(app, *admin_account)  # the earlier sign-in has ended
    page = admin_client.get(REOPEN)
    assert page.status_code == 200
    assert "Reopen" in text_of(page)
    answer = post_form(admin_client, REOPEN, {"closes_at": "2027-02-15T18:00"})
    assert answer.status_code == 302, error_summary(answer)
    assert survey_row(app).closes_at == utc(2027, 2, 15, 17, 0)
    (event,) = audit_rows(app, "survey.reopen")
    assert event.actor == admin_account[0]
    assert respondent(app, "about_you")  # starting works again
    assert len(responses(app)) == 1


def test_reopen_until_the_time_it_already_closes_changes_nothing(app, admin_client):
    answer = post_form(admin_client, REOPEN, {"closes_at": "2027-05-26T00:00"})
    assert answer.status_code == 302, error_summary(answer)
    assert NOTHING_CHANGED in text_of(admin_client.get(SCHEDULE))
    assert audit_rows(app, "survey.reopen") == []
    assert survey_row(app).closes_at == SHIPPED_CLOSE


def test_reopen_with_a_past_time_is_refused(app, admin_client, admin_account, clock):
    close_now(admin_client)
    clock.now += timedelta(days=1)
    admin_client = signed_in_client(app, *admin_account)  # the earlier sign-in has ended
    before = everything(app)
    answer = post_form(admin_client, REOPEN, {"closes_at": "2027-01-15T13:00"})
    assert answer.status_code == 400
    assert "The new closing time must be in the future." in error_summary(answer)
    assert everything(app) == before


# -- reloading the questionnaire file ----------------------------------------------------------


def relabelled_copy(tmp_path: Path) -> Path:
    source = WE_OWN_IT.read_text(encoding="utf-8")
    old = AGE_LABEL
    assert old in source
    path = tmp_path / "we-own-it.yaml"
    path.write_text(source.replace(old, AGE_RELABELLED, 1), encoding="utf-8")
    return path


def test_reloading_the_file_keeps_an_admin_schedule(app, admin_client, tmp_path):
    save_schedule(admin_client, closes_at="2027-06-01T12:00", grace_minutes="15")
    admin_set = schedule_of(app)
    with app.extensions["survey_db"].writing() as session:
        result = load_questionnaire(session, relabelled_copy(tmp_path))
    assert result.created_version
    assert schedule_of(app) == admin_set


def test_reloading_with_the_cli_keeps_an_admin_close(app, admin_client, tmp_path):
    close_now(admin_client)
    closed = schedule_of(app)
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "load", str(relabelled_copy(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "new version 2" in result.output
    assert schedule_of(app) == closed


# -- on the survey's first page ----------------------------------------------------------------


def button_form(page: str, label: str) -> str:
    """The action of the form whose button reads `label` (a button, not a link)."""
    match = re.search(
        rf'<form method="(get|post)" action="([^"]+)"[^>]*>(?:(?!</form>).)*'
        rf"<button[^>]*>{re.escape(label)}</button>",
        page,
        re.S,
    )
    assert match, f"no {label!r} button"
    return match.group(2)


def test_close_now_is_one_click_and_a_confirmation_from_the_surveys_first_page(
    app, admin_client, admin_account, clock
):
    dashboard = admin_client.get(SURVEY).get_data(as_text=True)
    assert button_form(dashboard, "Reopen") == REOPEN
    confirm = admin_client.get(button_form(dashboard, "Close now"))  # the one click
    assert confirm.status_code == 200
    assert "Close we-own-it now?" in text_of(confirm)
    assert post_form(admin_client, CLOSE, {}).status_code == 302  # the confirmation
    assert survey_row(app).closes_at == clock.now
    (event,) = audit_rows(app, "survey.close")
    assert event.actor == admin_account[0]
    dashboard = admin_client.get(SURVEY).get_data(as_text=True)
    assert ">Close now</button>" not in dashboard  # closed already; Reopen stays
    assert button_form(dashboard, "Reopen") == REOPEN


def test_researchers_see_no_close_or_reopen_button(app, researcher_client):
    dashboard = researcher_client.get(SURVEY).get_data(as_text=True)
    assert ">Close now</button>" not in dashboard and ">Reopen</button>" not in dashboard
    assert researcher_client.get(CLOSE).status_code == 403
