"""Resume codes: shown from the first section, only hashed in storage, usable on any device."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from survey.models import Response
from tests.respond.helpers import BASE, location, only_response, text_of
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


def test_code_is_shown_from_the_first_section(client):
    person = Respondent(client)
    person.start()
    page = person.get(f"{BASE}/p/about_you").get_data(as_text=True)
    assert "Your resume code" in page
    code = shown_code(page)
    assert CODE.match(code), code
    assert f"{BASE}/resume/{code}" in page
    assert shown_code(person.get(f"{BASE}/review").get_data(as_text=True)) == code


def test_only_a_hash_of_the_code_is_stored(app, client):
    _person, code = started_member(client)
    assert CODE.match(code)
    response = only_response(app)
    assert response.resume_code_hash == hashlib.sha256(code.encode()).hexdigest()
    with app.extensions["survey_db"].reading() as session:
        row = session.execute(select(Response.__table__)).one()
    for value in row:
        for form in (code, code.replace("-", ""), code.lower()):
            assert form not in str(value)


def test_resume_on_another_device_lands_on_first_incomplete_section_with_answers(app, client):
    _person, code = started_member(client)
    other = Respondent(app.test_client())
    response = other.get(f"{BASE}/resume/{code}")
    assert location(response).endswith(f"{BASE}/p/cooperative")
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
    assert location(Respondent(app.test_client()).get(f"{BASE}/resume/{code}")).endswith(
        f"{BASE}/p/starting"
    )


def test_code_typed_in_lower_case_without_hyphens_works(app, client):
    _person, code = started_member(client)
    typed = code.replace("-", "").lower()
    direct = Respondent(app.test_client()).get(f"{BASE}/resume/{typed}")
    assert location(direct).endswith(f"{BASE}/p/cooperative")

    other = Respondent(app.test_client())
    via_form = other.get(f"{BASE}/resume", query_string={"code": f" {typed[:6]} {typed[6:]} "})
    assert location(via_form).endswith(f"{BASE}/resume/{code}")
    assert location(other.get(location(via_form))).endswith(f"{BASE}/p/cooperative")


def test_unknown_code_gets_a_404_page_with_a_clear_message(app, client):
    started_member(client)
    other = Respondent(app.test_client())
    response = other.get(f"{BASE}/resume/0000-0000-0000")
    assert response.status_code == 404
    assert "No answers were found for this resume code" in text_of(response)
    assert "0000-0000-0000" in text_of(response)  # kept in the box to correct it


def test_malformed_code_gets_a_400_with_a_message(client):
    response = client.get(f"{BASE}/resume", query_string={"code": "K7QF-3MZP"})
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
    assert location(other.get(f"{BASE}/resume/{code}")).endswith(f"{BASE}/thanks")
    assert "your answers were submitted" in text_of(other.get(f"{BASE}/thanks"))
