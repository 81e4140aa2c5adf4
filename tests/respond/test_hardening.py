"""What a public survey meets: forged hosts, HTTPS, odd ?via= tags and characters that are
not text. Each test is a finding of the hardening review, as a person or a script meets it."""

from __future__ import annotations

import re

import pytest

from tests.respond.helpers import BASE, location, only_response, responses, stored, text_of
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, Respondent

PUBLIC = "https://survey.example.org"
REFUSED_CHARACTERS = "Remove the invisible control or text-direction characters"


# -- ?via= -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "abc\n",
        "abc\r\n",
        "a" * 64 + "\n",  # a whole tag plus a newline: once a 500 on PostgreSQL
        "a" * 65,
        "abc\x00",
        "abc\u202e",
        "-abc",
        "abc def",
    ],
)
def test_a_bad_via_tag_is_dropped_and_the_person_still_gets_in(app, client, tag):
    person = Respondent(client)
    welcome = person.get(BASE, query_string={"via": tag})
    assert welcome.status_code == 200
    assert location(person.start()).endswith(f"{BASE}/p/about_you")
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    assert only_response(app).channel is None


def test_a_good_via_tag_is_recorded_whole(app, client):
    tag = "fed-AR_2027:news." + "x" * 47  # 64 characters
    person = Respondent(client)
    person.start(f"?via={tag}")
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    assert only_response(app).channel == tag


# -- text answers ------------------------------------------------------------------------------


def saved_future(app, client, future: dict[str, str]):
    person = Respondent(client)
    person.start()
    for section_id in ("about_you", "involvement", "cooperative", "starting", "participation"):
        person.save(section_id, MEMBER_ANSWERS[section_id])
    return person, person.save("future", {**MEMBER_ANSWERS["future"], **future})


@pytest.mark.parametrize(
    "typed",
    ["We decide\x00 together", "evil\u202etxt.exe", "a\x1b[31mred", "isolate \u2066x\u2069"],
)
def test_text_answers_refuse_control_and_bidi_characters_with_a_message(app, client, typed):
    _person, answer = saved_future(app, client, {"we_own_it": typed})
    assert answer.status_code == 200, "the page comes back to be corrected"
    page = text_of(answer)
    assert REFUSED_CHARACTERS in page
    assert 'value="education" checked' in answer.get_data(as_text=True)  # nothing typed lost
    assert "we_own_it" not in stored(app)
    assert "future" not in {row.last_section for row in responses(app)}


def test_long_text_keeps_newlines_and_tabs(app, client):
    typed = "First line\n\tSecond line, indented"
    _person, answer = saved_future(app, client, {"we_own_it": typed})
    assert answer.status_code == 302
    assert stored(app)["we_own_it"] == typed


def test_a_one_line_answer_refuses_a_tab_or_newline(app, client):
    person = Respondent(client)
    person.start()
    answers = {**MEMBER_ANSWERS["about_you"], "situation_other": "Musician\tand singer"}
    answer = person.save("about_you", answers)
    assert answer.status_code == 200
    assert REFUSED_CHARACTERS in text_of(answer)
    assert responses(app) == []


# -- behind HTTPS ------------------------------------------------------------------------------


@pytest.mark.settings(secure_cookies=True, public_url=PUBLIC)
def test_behind_https_cookies_are_secure_hsts_is_sent_and_every_form_works(app):
    """Flask-WTF's strict HTTPS check wants a same-site Referer: the Referrer-Policy lets the
    browser send one to this site (and to no other)."""
    person = Respondent(app.test_client())
    welcome = person.get(BASE, base_url=PUBLIC)
    assert welcome.headers["Strict-Transport-Security"].startswith("max-age=")
    assert welcome.headers["Referrer-Policy"] == "same-origin"
    started = person.client.post(
        f"{BASE}/start",
        data={"csrf_token": person.token, "consent": "yes"},
        headers={"Referer": f"{PUBLIC}{BASE}"},  # what a browser sends under that policy
        base_url=PUBLIC,
    )
    assert location(started).endswith(f"{BASE}/p/about_you")
    cookie = next(v for v in started.headers.getlist("Set-Cookie") if v.startswith("__Host-"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    person.get(f"{BASE}/p/about_you", base_url=PUBLIC)
    saved = person.client.post(
        f"{BASE}/p/about_you",
        data={"csrf_token": person.token, **NOT_INVOLVED_ANSWERS["about_you"]},
        headers={"Referer": f"{PUBLIC}{BASE}/p/about_you"},
        base_url=PUBLIC,
    )
    assert location(saved).endswith(f"{BASE}/p/involvement")
    # A form sent from another site is refused, and stores nothing more.
    forged = person.client.post(
        f"{BASE}/p/involvement",
        data={"csrf_token": person.token, "involvement": "member"},
        headers={"Referer": "https://evil.example/page"},
        base_url=PUBLIC,
    )
    assert forged.status_code == 400
    assert "involvement" not in stored(app)


@pytest.mark.settings(public_url=PUBLIC)
def test_absolute_links_come_from_the_public_address_not_the_host_header(app):
    person = Respondent(app.test_client())
    person.start()
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    page = person.get(f"{BASE}/p/involvement", headers={"Host": "localhost"})
    links = re.findall(r'href="([^"]*/resume/[^"]*)"', page.get_data(as_text=True))
    assert links and all(link.startswith(f"{PUBLIC}{BASE}/resume/") for link in links)
    # A request naming another host is refused outright.
    forged = person.get(f"{BASE}/p/involvement", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert "evil.example" not in forged.get_data(as_text=True)


@pytest.mark.settings(trusted_hosts=("survey.example.org",))
def test_only_trusted_hosts_are_served(app):
    assert app.test_client().get(BASE, headers={"Host": "survey.example.org"}).status_code == 200
    assert app.test_client().get(BASE, headers={"Host": "evil.example"}).status_code == 400
    assert app.test_client().get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
