"""The channel a response is stored with: the `?via=` tag of the links its person followed."""

from __future__ import annotations

from tests.respond.helpers import BASE, location, only_response
from tests.respondent import NOT_INVOLVED_ANSWERS, Respondent

FIRST = NOT_INVOLVED_ANSWERS["about_you"]


def test_a_tag_on_the_first_save_is_the_channel_of_the_response_it_stores(app, client):
    """A person who started without a tag and saves the first section at a tagged address (a
    link to the section page, a form whose action carries the tag)."""
    person = Respondent(client)
    person.start()
    person.get(f"{BASE}/p/about_you")
    saved = person.post(f"{BASE}/p/about_you?via=viaB", FIRST)
    assert location(saved).endswith(f"{BASE}/p/involvement")
    assert only_response(app).channel == "viaB"


def test_a_tag_given_after_the_start_and_before_the_first_save_is_the_channel(app, client):
    person = Respondent(client)
    person.start()
    person.get(f"{BASE}/p/about_you?via=viaB")
    person.post(f"{BASE}/p/about_you", FIRST)
    assert only_response(app).channel == "viaB"


def test_the_first_tag_wins(app, client):
    person = Respondent(client)
    person.start("?via=viaA")
    person.get(f"{BASE}/p/about_you?via=viaB")
    person.post(f"{BASE}/p/about_you?via=viaB", FIRST)
    assert only_response(app).channel == "viaA"
    # Once the response is stored, a tag on any later page leaves its channel as it is.
    person.get(f"{BASE}?via=viaC")
    person.get(f"{BASE}/p/involvement?via=viaC")
    person.post(f"{BASE}/p/involvement?via=viaC", NOT_INVOLVED_ANSWERS["involvement"])
    assert only_response(app).channel == "viaA"


def test_before_the_start_the_latest_tag_followed_is_the_one_held(app, client):
    person = Respondent(client)
    person.get(f"{BASE}?via=viaA")
    person.start("?via=viaB")
    person.save("about_you", FIRST)
    assert only_response(app).channel == "viaB"


def test_a_response_stored_without_a_tag_keeps_no_channel(app, client):
    person = Respondent(client)
    person.start()
    person.save("about_you", FIRST)
    person.get(f"{BASE}/p/involvement?via=viaC")
    person.post(f"{BASE}/p/involvement?via=viaC", NOT_INVOLVED_ANSWERS["involvement"])
    assert only_response(app).channel is None


def test_a_bad_tag_on_the_first_save_is_dropped_and_the_section_saved(app, client):
    person = Respondent(client)
    person.start()
    person.get(f"{BASE}/p/about_you")
    saved = person.post(f"{BASE}/p/about_you", FIRST, query_string={"via": "bad tag\n"})
    assert location(saved).endswith(f"{BASE}/p/involvement")
    assert only_response(app).channel is None


def test_a_tag_on_an_address_outside_the_survey_is_not_a_channel(app, client):
    """The console's share page takes `?via=` as the tag its links are made for: an admin who
    opens it, then answers the survey in the same browser, is not counted as that channel."""
    assert client.get("/admin/sign-in?via=viaS").status_code == 200
    assert client.get("/healthz?via=viaS").status_code == 200
    person = Respondent(client)
    person.start()
    person.save("about_you", FIRST)
    assert only_response(app).channel is None
