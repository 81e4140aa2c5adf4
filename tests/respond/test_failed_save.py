"""Answers typed on a page are never lost to a failed save: a section posted while the database
does not answer comes back, with 503, holding everything typed and saying nothing was saved
yet; pressing Next again once the database is back saves it. Every other page meets a 503 page
that asks to try again, never a traceback (tests/outage.py makes the database unreachable)."""

from __future__ import annotations

import logging

import pytest

from survey.error_pages import RETRY_AFTER_SECONDS
from survey.respond.page_cache import page_cache
from tests.outage import database_down, database_gone
from tests.respond.helpers import (
    BASE,
    as_posted,
    completed_sections,
    form_sends,
    location,
    stored,
    stored_sections,
    text_of,
)
from tests.respondent import MEMBER_ANSWERS, Respondent, csrf_token, interface_text
from tests.staff import sign_in

NOT_SAVED = "Your answers were not saved yet, press Next again"
UNAVAILABLE = (
    "The survey is briefly unavailable. Your saved answers are safe; try again in a minute."
)
NOT_SUBMITTED = "Your answers were not submitted yet. Press “%(button)s” again in a moment."


@pytest.fixture
def person(client) -> Respondent:
    someone = Respondent(client)
    someone.start()
    return someone


def answered_up_to(person: Respondent, section_id: str) -> None:
    """Save every section before `section_id`, then open it (as a person does before typing)."""
    for name, answers in MEMBER_ANSWERS.items():
        if name == section_id:
            break
        assert person.save(name, answers).status_code == 302
    person.get(f"{BASE}/p/{section_id}")


def assert_unavailable(response, message: str = UNAVAILABLE) -> str:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = text_of(response)
    assert message in page
    assert "Traceback" not in page and "sqlalchemy" not in page.lower()
    return page


def unordered(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Fields as the server reads them: the order of ticked boxes does not count."""
    return {name: sorted(values) for name, values in fields.items()}


def assert_kept(response, posted: dict[str, list[str]], button: str = "Next") -> str:
    """The section page is back: banner, every value in its field, a form that sends them."""
    page = assert_unavailable(response, NOT_SAVED)
    sends = form_sends(response)
    assert sends.pop("csrf_token") == [csrf_token(response.get_data(as_text=True))]
    assert unordered(sends) == unordered(posted)
    assert f">{button}</button>" in page
    return page


def test_a_section_posted_while_the_database_is_down_keeps_every_value(
    app, person, tmp_path, caplog
):
    answered_up_to(person, "starting")  # a matrix, several choices
    answers = MEMBER_ANSWERS["starting"]
    code = person.resume_code()
    # The form sends, as a browser does, the "Section k of n" its page showed.
    position = form_sends(person.get(f"{BASE}/p/starting"))["_position"]
    with database_down(app, tmp_path / "down"), caplog.at_level(logging.WARNING):
        kept = person.post(f"{BASE}/p/starting", {**answers, "_position": position})
    page = assert_kept(kept, {**as_posted(answers), "_position": position})
    assert code in page  # the resume code, from the cookie
    assert "Section 4 of 7" in page  # as the page showed it: the database cannot tell
    assert "starting" not in stored_sections(app)
    assert "database unavailable" in caplog.text and "create_job" not in caplog.text
    person.token = csrf_token(kept.get_data(as_text=True))
    saved = person.post(f"{BASE}/p/starting", answers)
    assert location(saved).endswith("/p/participation")
    assert stored(app)["obstacles"] == {"finance": 4, "legal": 9}
    assert "starting" in completed_sections(app)


@pytest.mark.parametrize("position", [["9 7"], ["0 7"], ["4 70"], ["four of seven"], []])
def test_a_position_the_questionnaire_cannot_have_is_not_shown(app, person, tmp_path, position):
    answered_up_to(person, "starting")
    sent = {**MEMBER_ANSWERS["starting"], **({"_position": position} if position else {})}
    with database_down(app, tmp_path / "down"):
        kept = person.post(f"{BASE}/p/starting", sent)
    assert "Section " not in assert_unavailable(kept, NOT_SAVED)


def test_the_first_section_comes_back_with_its_other_texts_and_is_saved_later(
    app, person, tmp_path
):
    answers = MEMBER_ANSWERS["about_you"]  # "Please specify" texts, a country list
    person.get(f"{BASE}/p/about_you")
    with database_down(app, tmp_path / "down"):
        kept = person.post(f"{BASE}/p/about_you", answers)
    page = assert_kept(kept, as_posted(answers))
    # A first save is rate limited: the limiter's window does not change when to try again.
    assert kept.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Your resume code" not in page  # nothing stored yet: no code to show
    assert stored(app) == {}
    # The start the cookie held is still held (the failed request changed nothing in it).
    saved = person.post(f"{BASE}/p/about_you", answers)
    assert location(saved).endswith("/p/involvement")
    assert stored(app)["situation_other"] == "Musician"


def test_back_to_the_review_the_form_posts_to_the_same_address(app, person, tmp_path):
    answered_up_to(person, "involvement")
    path = f"{BASE}/p/about_you?return=review"
    person.get(path)
    with database_down(app, tmp_path / "down"):
        kept = person.post(path, {**MEMBER_ANSWERS["about_you"], "age": "28"})
    typed = {**MEMBER_ANSWERS["about_you"], "age": "28"}
    assert_kept(kept, as_posted(typed), "Save and return to the review")


def test_a_process_that_served_nothing_yet_shows_a_plain_page_that_posts_it_all_again(
    app, person, tmp_path
):
    answered_up_to(person, "starting")
    answers = MEMBER_ANSWERS["starting"]
    path = f"{BASE}/p/starting"
    page_cache(app).clear()  # as a freshly started process
    with database_down(app, tmp_path / "down"):
        kept = person.post(path, answers)
    page = assert_unavailable(kept, NOT_SAVED)
    sends = form_sends(kept, path)
    assert sends.pop("csrf_token")
    assert sends == as_posted(answers)
    assert "obstacles__finance" in page and "create_job" in page  # readable list of it all
    person.token = csrf_token(kept.get_data(as_text=True))
    saved = person.post(path, {name: values for name, values in sends.items()})
    assert location(saved).endswith("/p/participation")
    assert sorted(stored(app)["motivations"]) == ["create_job", "democracy", "shared_ownership"]


@pytest.mark.parametrize("path", ["", "/p/involvement", "/review", "/withdraw"])
def test_pages_that_show_answer_503_while_the_database_is_down(app, person, tmp_path, path):
    answered_up_to(person, "involvement")
    with database_down(app, tmp_path / "down"):
        assert_unavailable(person.get(f"{BASE}{path}"))
    assert person.get(f"{BASE}{path}").status_code == 200


def test_a_submit_that_meets_the_outage_asks_to_submit_again(app, person, tmp_path):
    for name, answers in MEMBER_ANSWERS.items():
        assert person.save(name, answers).status_code == 302
    person.get(f"{BASE}/review")
    with database_down(app, tmp_path / "down"):
        refused = person.post(f"{BASE}/submit", {})
    button = interface_text("Submit my answers", "en")
    assert_unavailable(refused, NOT_SUBMITTED % {"button": button})
    assert f"{BASE}/submit" in refused.get_data(as_text=True)
    person.token = csrf_token(refused.get_data(as_text=True))
    assert location(person.post(f"{BASE}/submit", {})).endswith("/thanks")


def test_the_outage_pages_are_in_the_persons_language(app, person, tmp_path):
    answered_up_to(person, "involvement")
    person.get(f"{BASE}/p/involvement?lang=es")
    with database_down(app, tmp_path / "down"):
        kept = person.post(f"{BASE}/p/involvement", MEMBER_ANSWERS["involvement"])
        shown = person.get(f"{BASE}/review")
    assert interface_text(NOT_SAVED, "es") in text_of(kept)
    assert interface_text(UNAVAILABLE, "es") in text_of(shown)


def test_admin_pages_answer_503_while_the_database_is_down(app, client, make_user, tmp_path):
    email, password = make_user("admin")
    assert sign_in(client, email, password).status_code == 302
    for path in ("/admin/surveys", "/admin/surveys/we-own-it", "/admin/audit"):
        assert client.get(path).status_code == 200
        with database_down(app, tmp_path / "down"):
            assert_unavailable(client.get(path))


@pytest.mark.usefixtures("real_commits")  # its own engine, whose connections the outage ends
def test_the_app_finds_its_database_again_by_itself(app, person):
    answered_up_to(person, "involvement")
    answers = MEMBER_ANSWERS["involvement"]
    with database_gone(app):
        kept = person.post(f"{BASE}/p/involvement", answers)
        assert_unavailable(person.get(f"{BASE}/review"))
    assert_kept(kept, as_posted(answers))
    person.token = csrf_token(kept.get_data(as_text=True))
    saved = person.post(f"{BASE}/p/involvement", answers)
    assert location(saved).endswith("/p/cooperative")
    assert stored(app)["involvement"] == "member"
