"""Resume codes: shown from the first saved section, stored under a keyed hash, usable on any
device, and never switching a browser to other answers without asking."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from sqlalchemy import select

from survey import resume_codes
from survey.models import SurveyResponse
from tests.respond.helpers import BASE, location, only_response, responses, text_of
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, Respondent

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def started_member(client) -> tuple[Respondent, str]:
    """A member who saved the first two sections; returns them and their code."""
    person = Respondent(client)
    person.start()
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    person.save("involvement", MEMBER_ANSWERS["involvement"])
    return person, person.resume_code()


def shown_code(page: str) -> str:
    match = re.search(r'<p class="code"[^>]*>([^<]+)</p>', page)
    assert match, "no resume code on the page"
    return match.group(1)


def held_code(person: Respondent) -> str | None:
    """The code this browser answers with, as its welcome page shows it (None: none)."""
    match = re.search(r'<p class="code"[^>]*>([^<]+)</p>', person.get(BASE).get_data(as_text=True))
    return match.group(1) if match else None


def continue_with(person: Respondent, link: str) -> str:
    """Follow a resume link, press its "Continue" button; returns where it leads."""
    page = person.get(link)
    assert page.status_code == 200
    assert ">Continue</button>" in page.get_data(as_text=True)
    return location(person.post(link, {}))


def test_code_is_shown_from_the_first_saved_section(app, client):
    person = Respondent(client)
    person.start()
    page = person.get(f"{BASE}/p/about_you").get_data(as_text=True)
    assert "Your resume code" not in page  # nothing is stored yet: no code to give
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    page = person.get(f"{BASE}/p/involvement").get_data(as_text=True)
    assert "Your resume code" in page
    code = shown_code(page)
    assert CODE.match(code), code
    assert f"http://localhost{BASE}/resume/{code}" in page
    assert shown_code(person.get(f"{BASE}/review").get_data(as_text=True)) == code


def test_the_code_is_stored_under_a_keyed_hash_only(app, client):
    _person, code = started_member(client)
    assert CODE.match(code)
    response = only_response(app)
    key = app.config["SURVEY_SETTINGS"].resume_key
    # Not the plain SHA-256 a copy of the database could be searched with...
    assert response.resume_code_hash != hashlib.sha256(code.encode()).hexdigest()
    # ... but the HMAC under the resume key (not the secret key) of it.
    assert response.resume_code_hash == resume_codes.code_hash(code, key)
    assert response.resume_code_hash != resume_codes.code_hash(code, app.config["SECRET_KEY"])
    with app.extensions["survey_db"].reading() as session:
        row = session.execute(select(SurveyResponse.__table__)).one()
    for value in row:
        for form in (code, code.replace("-", ""), code.lower()):
            assert form not in str(value)


def test_a_resume_link_asks_before_it_puts_a_browser_on_those_answers(app, client, clock):
    _person, code = started_member(client)
    other = Respondent(app.test_client())
    link = f"{BASE}/resume/{code}"
    page = other.get(link)
    assert page.status_code == 200
    text = text_of(page)
    assert "Continue your answers" in text
    assert "Started on 15 January 2027, 13:00 (Europe/Brussels, UTC+01:00)." in text
    assert "Sections completed: 2 of 7." in text
    assert held_code(other) is None  # following the link changed nothing
    assert continue_with(other, link).endswith(f"{BASE}/p/cooperative")
    assert held_code(other) == code


def test_a_browser_answering_other_answers_keeps_them_until_the_person_chooses(app, client):
    """Someone spreads their own resume link as "the survey link": a person who follows it
    while answering their own response stays on theirs, unless they press Continue."""
    _sender, code = started_member(client)
    reader = Respondent(app.test_client())
    reader.start()
    reader.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    own = held_code(reader)
    assert own is not None and own != code
    page = text_of(reader.get(f"{BASE}/resume/{code}"))
    assert "This browser is answering another response." in page
    assert "Keep answering the response of this browser" in page
    assert held_code(reader) == own
    reader.save("involvement", NOT_INVOLVED_ANSWERS["involvement"])  # into their own
    assert len(responses(app)) == 2
    assert continue_with(reader, f"{BASE}/resume/{code}").endswith(f"{BASE}/p/cooperative")
    assert held_code(reader) == code


def test_a_resume_link_followed_without_the_form_changes_nothing(app, client):
    """A plain GET (a link preview, a crawler, an image tag) never switches a browser; the
    Continue form without its CSRF token is refused."""
    _person, code = started_member(client)
    other = Respondent(app.test_client())
    other.get(BASE)
    assert other.client.post(f"{BASE}/resume/{code}").status_code == 400
    assert held_code(other) is None


def test_resume_on_another_device_lands_on_first_incomplete_section_with_answers(app, client):
    _person, code = started_member(client)
    other = Respondent(app.test_client())
    assert continue_with(other, f"{BASE}/resume/{code}").endswith(f"{BASE}/p/cooperative")
    page = other.get(f"{BASE}/p/about_you").get_data(as_text=True)
    assert 'value="27"' in page
    assert '<option value="AR" selected>' in page
    assert 'value="Genderfluid"' in page
    assert re.search(r'value="worker_member" checked', page)
    assert re.search(
        r'value="member" checked', other.get(f"{BASE}/p/involvement").get_data(as_text=True)
    )
    # The cookie now keeps the response on that device, and the code is shown there too.
    assert shown_code(other.get(f"{BASE}/p/cooperative").get_data(as_text=True)) == code
    assert other.save("cooperative", MEMBER_ANSWERS["cooperative"]).status_code == 302
    third = Respondent(app.test_client())
    assert continue_with(third, f"{BASE}/resume/{code}").endswith(f"{BASE}/p/starting")


def test_code_typed_in_lower_case_without_hyphens_works(app, client):
    _person, code = started_member(client)
    typed = code.replace("-", "").lower()
    direct = Respondent(app.test_client())
    assert continue_with(direct, f"{BASE}/resume/{typed}").endswith(f"{BASE}/p/cooperative")

    # Typed into the welcome page's form: that is the person's choice, it continues at once.
    other = Respondent(app.test_client())
    other.get(BASE)
    via_form = other.post(f"{BASE}/resume", {"code": f" {typed[:6]} {typed[6:]} "})
    assert location(via_form).endswith(f"{BASE}/p/cooperative")
    assert held_code(other) == code


def test_an_older_resume_form_link_asks_first(app, client):
    _person, code = started_member(client)
    other = Respondent(app.test_client())
    old_link = other.get(f"{BASE}/resume", query_string={"code": code.lower()})
    assert location(old_link).endswith(f"{BASE}/resume/{code}")
    assert held_code(other) is None


def test_unknown_code_gets_a_404_page_with_a_clear_message(app, client):
    started_member(client)
    other = Respondent(app.test_client())
    response = other.get(f"{BASE}/resume/0000-0000-0000")
    assert response.status_code == 404
    assert "No answers were found for this resume code" in text_of(response)
    assert "0000-0000-0000" in text_of(response)  # kept in the box to correct it
    other.get(BASE)
    typed = other.post(f"{BASE}/resume", {"code": "0000-0000-0000"})
    assert typed.status_code == 404
    assert "No answers were found for this resume code" in text_of(typed)


def test_malformed_code_gets_a_400_with_a_message(client):
    person = Respondent(client)
    person.get(BASE)
    response = person.post(f"{BASE}/resume", {"code": "K7QF-3MZP"})
    assert response.status_code == 400
    assert "Enter the 12-character resume code" in text_of(response)
    assert 'value="K7QF-3MZP"' in response.get_data(as_text=True)
    in_path = client.get(f"{BASE}/resume/not-a-code!")
    assert in_path.status_code in (400, 404)
    assert "resume code" in text_of(in_path)


def test_resuming_a_submitted_response_lands_on_thanks(app, client):
    person = Respondent(client)
    person.start()
    person.answer_all(NOT_INVOLVED_ANSWERS)
    code = person.resume_code()
    person.submit()
    other = Respondent(app.test_client())
    page = text_of(other.get(f"{BASE}/resume/{code}"))
    assert "These answers were submitted on 15 January 2027" in page
    assert continue_with(other, f"{BASE}/resume/{code}").endswith(f"{BASE}/thanks")
    assert "your answers were submitted" in text_of(other.get(f"{BASE}/thanks"))


# -- what the browser holds ---------------------------------------------------------------------


def test_forget_this_device_removes_the_code_and_keeps_the_answers(app, client):
    person, code = started_member(client)
    page = person.get(f"{BASE}/p/cooperative").get_data(as_text=True)
    assert ">Forget this device</button>" in page
    gone = person.post(f"{BASE}/forget", {})
    assert gone.status_code == 200
    assert "This browser no longer holds your resume code" in text_of(gone)
    assert code not in text_of(gone)
    assert held_code(person) is None
    assert location(person.get(f"{BASE}/p/cooperative")).endswith(BASE)
    assert only_response(app).status == "in_progress"  # the answers stay
    again = Respondent(app.test_client())
    assert continue_with(again, f"{BASE}/resume/{code}").endswith(f"{BASE}/p/cooperative")


def test_the_cookie_ends_at_the_close_plus_grace(app, client, clock):
    person = Respondent(client)
    person.start()
    answer = person.post(f"{BASE}/p/about_you", NOT_INVOLVED_ANSWERS["about_you"])
    cookie = next(
        value for value in answer.headers.getlist("Set-Cookie") if value.startswith("survey=")
    )
    expires = re.search(r"Expires=([^;]+)", cookie)
    assert expires, cookie
    # The shipped schedule: closes 2027-05-26 00:00 in Brussels (22:00 UTC), grace 60 minutes.
    assert datetime.strptime(expires.group(1), "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=UTC
    ) == datetime(2027, 5, 25, 23, 0, tzinfo=UTC)
    # A copy of the cookie kept beyond that is no use: the server forgets the code too.
    clock.now = datetime(2027, 5, 25, 23, 0, 1, tzinfo=UTC)
    assert held_code(person) is None
