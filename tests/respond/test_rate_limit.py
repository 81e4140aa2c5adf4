"""Rate limits: a crowd behind one address gets in; scripts are turned away, and starts that
go no further leave nothing in the database."""

from __future__ import annotations

from limits import parse_many

from survey.respond.views import FIRST_SAVE_LIMIT, RESUME_LIMIT, START_LIMIT
from tests.respond.helpers import location, responses
from tests.respondent import NOT_INVOLVED_ANSWERS, SLUG, Respondent
from tests.waits import seconds_to_wait, wait_headers

CROWD = 200


def per_minute(limits: str) -> int:
    return min(item.amount for item in parse_many(limits) if item.GRANULARITY.name == "minute")


def test_guessing_resume_codes_is_throttled(client):
    allowed = per_minute(RESUME_LIMIT)
    answers = [client.get(f"/s/{SLUG}/resume/AAAA-BBBB-{index:04d}") for index in range(allowed)]
    assert {response.status_code for response in answers} == {404}
    blocked = client.get(f"/s/{SLUG}/resume/AAAA-BBBB-CCCC")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert 0 < seconds_to_wait(blocked) <= 61  # the minute's limit was reached


def test_only_a_refused_request_is_told_to_wait(client):
    """Answers of limited routes that let the request through ask no one to wait and tell
    nothing of the limiter's counts; the refusal (429 above) alone says when to come back."""
    person = Respondent(client)
    assert wait_headers(client.get(f"/s/{SLUG}")) == {}
    started = person.start()
    assert started.status_code == 302 and wait_headers(started) == {}
    saved = person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])  # a first save
    assert saved.status_code == 302 and wait_headers(saved) == {}
    unknown = client.get(f"/s/{SLUG}/resume/AAAA-BBBB-CCCC")
    assert unknown.status_code == 404 and wait_headers(unknown) == {}


def test_a_crowd_of_200_behind_one_address_all_get_in(app):
    """A workshop, a campus or a carrier's NAT: 200 people start within one minute from one
    address, and each saves their first section."""
    people = [Respondent(app.test_client()) for _ in range(CROWD)]
    for person in people:
        started = person.start()
        assert location(started).endswith(f"/s/{SLUG}/p/about_you"), started.status_code
    for person in people:
        saved = person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
        assert location(saved).endswith(f"/s/{SLUG}/p/involvement"), saved.status_code
    assert len(responses(app)) == CROWD


def test_a_script_flooding_starts_is_turned_away_and_stores_nothing(app):
    script = Respondent(app.test_client())
    script.get(f"/s/{SLUG}")
    allowed = per_minute(START_LIMIT)
    answers = [script.post(f"/s/{SLUG}/start", {"consent": "yes"}) for _ in range(allowed + 20)]
    codes = [answer.status_code for answer in answers]
    assert codes[:allowed] == [302] * allowed
    assert set(codes[allowed:]) == {429}
    assert responses(app) == []  # starts alone add no rows


def test_a_script_flooding_first_saves_is_turned_away_and_other_saves_go_on(app):
    """Each first save adds a response: past the limit from one address, the next is refused
    and stores nothing, while that address's later saves and pages go on."""
    allowed = per_minute(FIRST_SAVE_LIMIT)
    people = []
    for number in range(allowed + 1):
        client = app.test_client()
        # Started from addresses of their own (starts have a limit of their own) ...
        client.environ_base["REMOTE_ADDR"] = f"10.1.{number // 250}.{number % 250 + 1}"
        person = Respondent(client)
        person.start()
        client.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # ... and saved from one
        people.append(person)
    codes = [person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"]) for person in people]

    assert [answer.status_code for answer in codes[:allowed]] == [302] * allowed
    assert codes[allowed].status_code == 429
    assert seconds_to_wait(codes[allowed]) > 0
    assert len(responses(app)) == allowed
    later = people[0].save("involvement", NOT_INVOLVED_ANSWERS["involvement"])
    assert later.status_code == 302
    assert people[-1].get(f"/s/{SLUG}/p/about_you").status_code == 200
