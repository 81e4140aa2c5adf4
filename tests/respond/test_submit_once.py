"""Submitting exactly once; forms without a CSRF token and oversized bodies store nothing."""

from __future__ import annotations

import html
import io
import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import console
from tests.respond.helpers import (
    BASE,
    as_posted,
    completed_sections,
    location,
    only_response,
    responses,
    sent_statements,
    stored,
    text_of,
)
from tests.respondent import FORM_TOKEN, MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, Respondent


def submitted(client) -> Respondent:
    person = Respondent(client)
    person.start()
    person.answer_all(NOT_INVOLVED_ANSWERS)
    assert location(person.submit()).endswith(f"{BASE}/thanks")
    return person


def welcome_form(person: Respondent) -> dict[str, str]:
    page = person.get(BASE).get_data(as_text=True)
    assert f'action="{BASE}/start"' in page
    return {"consent": "yes"}


def in_progress(session, code: str, key: str):
    """The survey and the response of `code`, read in `session` while it is in progress."""
    from survey.questionnaire_store import find_survey
    from survey.responses import find_progress

    survey = find_survey(session, "we-own-it")
    assert survey is not None
    progress = find_progress(session, survey, code, key)
    assert progress is not None and progress.response.status == "in_progress"
    return survey, progress


# -- exactly once ------------------------------------------------------------------------------


def test_second_submit_changes_nothing(app, client, clock):
    person = submitted(client)
    first = only_response(app)
    clock.now += timedelta(minutes=5)
    again = person.post(f"{BASE}/submit", {})
    assert location(again).endswith(f"{BASE}/thanks")
    second = only_response(app)
    assert second.status == "complete"
    assert second.submitted_at == first.submitted_at


def test_replayed_section_post_after_submit_changes_nothing(app, client, clock):
    person = submitted(client)
    before = stored(app)
    clock.now += timedelta(minutes=5)
    replay = person.post(f"{BASE}/p/future", {"help_needed": ["finance"], "recommend": "0"})
    assert location(replay).endswith(f"{BASE}/thanks")
    replay = person.post(f"{BASE}/p/involvement", {"involvement": "member"})
    assert location(replay).endswith(f"{BASE}/thanks")
    assert stored(app) == before
    assert only_response(app).updated_at < clock.now


def test_back_to_a_section_after_submit_goes_to_thanks(client):
    person = submitted(client)
    for path in ("/p/about_you", "/p/future", "/review"):
        assert location(person.get(BASE + path)).endswith(f"{BASE}/thanks")


def test_double_click_on_start_makes_one_response(app, client):
    person = Respondent(client)
    form = welcome_form(person)
    assert person.post(f"{BASE}/start", form).status_code == 302
    assert person.post(f"{BASE}/start", form).status_code == 302
    assert responses(app) == []  # a start stores nothing: the first saved section does
    person.answer_all({"about_you": NOT_INVOLVED_ANSWERS["about_you"]})
    assert len(responses(app)) == 1


def test_start_sent_twice_before_the_first_answer_arrives_makes_one_response(app):
    # The second click leaves the browser before the first answer sets the cookie; the
    # browser keeps the cookie that arrives last and answers with that one.
    browser = Respondent(app.test_client())
    form = welcome_form(browser)
    late_click = app.test_client()
    late_click.set_cookie("survey", browser.client.get_cookie("survey").value)
    assert browser.post(f"{BASE}/start", form).status_code == 302
    answer = late_click.post(f"{BASE}/start", data={"csrf_token": browser.token, **form})
    assert answer.status_code == 302
    browser.client.set_cookie("survey", late_click.get_cookie("survey").value)
    browser.answer_all({"about_you": NOT_INVOLVED_ANSWERS["about_you"]})
    assert len(responses(app)) == 1


def test_a_first_save_that_arrives_twice_at_once_writes_one_response(app, clock):
    """Two first saves of one start, each having read that nothing was stored yet (a double
    click racing itself): the second's insert is refused, and it goes on with the response the
    first stored, its answers included."""
    from survey import get_db
    from survey.questionnaire_store import find_survey
    from survey.responses import draft, store_draft

    db = get_db(app)
    key = app.config["SURVEY_SETTINGS"].resume_key
    started = {"key": key, "started_at": clock.now, "language": "en", "channel": None}
    with db.writing() as session:
        survey = find_survey(session, "we-own-it")
        assert survey is not None
        first = draft(session, survey, "K7QF-3MZP-9XWA", **started)
        store_draft(session, survey, first, clock.now)
    with db.writing() as session:
        survey = find_survey(session, "we-own-it")
        assert survey is not None
        second = draft(session, survey, "K7QF-3MZP-9XWA", **started)
        assert second.response.id is None  # as it read it: not stored yet
        store_draft(session, survey, second, clock.now)
        assert second.response.id == first.response.id
        assert second.answers == {} and second.completed == set()
    assert len(responses(app)) == 1


def test_a_first_save_stores_its_response_in_one_statement_and_reads_nothing_back(client):
    """The conflict a first save may meet (the same save twice at once, above) is settled by
    the INSERT itself: when it stored the row, nothing is read after it."""
    person = Respondent(client)
    person.start()
    person.get(f"{BASE}/p/about_you")
    with sent_statements() as sent:
        saved = person.post(f"{BASE}/p/about_you", NOT_INVOLVED_ANSWERS["about_you"])
    statements = [item.upper() for item in sent]
    assert saved.status_code == 302
    stores = [n for n, item in enumerate(statements) if item.startswith("INSERT INTO RESPONSES")]
    assert len(stores) == 1
    assert not [item for item in statements[stores[0] :] if item.startswith("SELECT")]
    assert len(responses(client.application)) == 1


def test_a_submit_that_meets_an_earlier_one_keeps_what_the_earlier_one_wrote(app, clock):
    """Two submits of one response, each having read it in progress (a double click on Submit
    racing itself): the first writes the submission, the second changes nothing and sees the
    first's; each holds afterwards what is stored, the same as read back."""
    from survey import get_db
    from survey.responses import submit

    person = Respondent(app.test_client())
    person.start()
    person.answer_all(NOT_INVOLVED_ANSWERS)
    code, key = person.resume_code(), app.config["SURVEY_SETTINGS"].resume_key
    db = get_db(app)

    first_at = clock.now + timedelta(minutes=1)
    with db.writing() as late_session:
        late_survey, late = in_progress(late_session, code, key)
        with db.writing() as session:
            survey, progress = in_progress(session, code, key)
            assert submit(session, survey, progress, first_at, "fr") is True
            kept = progress.response
        assert (
            submit(late_session, late_survey, late, first_at + timedelta(minutes=1), "en") is False
        )
        seen = late.response
    row = only_response(app)
    assert (row.status, row.submitted_at, row.updated_at, row.language, row.late) == (
        "complete",
        first_at,
        first_at,
        "fr",
        False,
    )
    for held in (kept, seen):
        assert (held.status, held.submitted_at, held.updated_at, held.language, held.late) == (
            row.status,
            row.submitted_at,
            row.updated_at,
            row.language,
            row.late,
        )


def test_a_save_that_meets_a_submit_made_since_it_read_the_response_writes_nothing(app, clock):
    """A section saved from a tab that read the response before another tab submitted it: the
    claim of the response refuses it (ResponseFinished), and nothing of it is written."""
    from survey import get_db
    from survey.questionnaire.answers import read_section
    from survey.responses import ResponseFinished, save_section, submit

    person = Respondent(app.test_client())
    person.start()
    person.answer_all(NOT_INVOLVED_ANSWERS)
    code, key = person.resume_code(), app.config["SURVEY_SETTINGS"].resume_key
    before = stored(app)
    db = get_db(app)

    # As the page does, the refusal is met inside the transaction, which then ends as usual.
    with db.writing() as late_session:
        late_survey, late = in_progress(late_session, code, key)
        with db.writing() as session:
            survey, progress = in_progress(session, code, key)
            assert submit(session, survey, progress, clock.now, "en") is True
        section = late.questionnaire.section("future")
        assert section is not None
        changed = {"help_needed": ["finance"], "recommend": "9"}
        result = read_section(section, as_posted(changed), late.answers, clock.now.date())
        assert result.ok
        with pytest.raises(ResponseFinished):
            save_section(late_session, late_survey, late, section, result, clock.now, "fr")
    row = only_response(app)
    assert (row.status, row.language, row.last_section) == ("complete", "en", "contact")
    assert stored(app) == before


def test_a_copied_welcome_page_never_puts_two_people_into_one_response(app):
    """A welcome page served to two people with the same cookie (a cache that kept it, a page
    copied with its cookie): each start draws its own code, so each answers on their own."""
    first = Respondent(app.test_client())
    form = welcome_form(first)
    second = Respondent(app.test_client())
    second.client.set_cookie("survey", first.client.get_cookie("survey").value)
    second.token = first.token
    assert first.post(f"{BASE}/start", form).status_code == 302
    assert second.post(f"{BASE}/start", form).status_code == 302
    first.answer_all({"about_you": NOT_INVOLVED_ANSWERS["about_you"]})
    second.answer_all({"about_you": MEMBER_ANSWERS["about_you"]})
    assert len(responses(app)) == 2
    assert first.resume_code() != second.resume_code()


def test_submit_before_every_section_is_complete_is_refused(app, client):
    person = Respondent(client)
    person.start()
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    person.get(f"{BASE}/review")
    assert location(person.post(f"{BASE}/submit", {})).endswith(f"{BASE}/review")
    response = only_response(app)
    assert response.status == "in_progress"
    assert response.submitted_at is None


# -- CSRF --------------------------------------------------------------------------------------


def assert_csrf_refused(response) -> None:
    assert response.status_code == 400
    assert "nothing was saved" in text_of(response)


def test_start_without_csrf_token_is_refused(app, client):
    person = Respondent(client)
    form = welcome_form(person)
    assert_csrf_refused(client.post(f"{BASE}/start", data=form))
    assert_csrf_refused(client.post(f"{BASE}/start", data={**form, "csrf_token": "forged"}))
    assert responses(app) == []


def test_section_save_without_csrf_token_is_refused(app, client):
    person = Respondent(client)
    person.start()
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    before = stored(app)
    person.get(f"{BASE}/p/involvement")
    assert_csrf_refused(client.post(f"{BASE}/p/involvement", data={"involvement": "member"}))
    assert_csrf_refused(
        client.post(
            f"{BASE}/p/about_you", data={"age": "44", "country": "FR", "situation": ["employee"]}
        )
    )
    assert stored(app) == before
    assert "involvement" not in completed_sections(app)


def test_submit_without_csrf_token_is_refused(app, client):
    person = Respondent(client)
    person.start()
    person.answer_all(NOT_INVOLVED_ANSWERS)
    person.get(f"{BASE}/review")
    assert_csrf_refused(client.post(f"{BASE}/submit"))
    response = only_response(app)
    assert response.status == "in_progress"
    assert response.submitted_at is None


# -- request size ------------------------------------------------------------------------------

TOO_BIG = "x" * (1024 * 1024 + 1)


def test_oversized_section_post_gets_413_and_stores_nothing(app, client):
    person = Respondent(client)
    person.start()
    person.get(f"{BASE}/p/about_you")
    response = person.post(
        f"{BASE}/p/about_you", {**NOT_INVOLVED_ANSWERS["about_you"], "padding": TOO_BIG}
    )
    assert response.status_code == 413
    assert "too large" in text_of(response)
    assert stored(app) == {}
    assert completed_sections(app) == set()


@pytest.mark.parametrize(
    ("size", "read"), [(1_100_000, 1_100_000), (1_999_999, 1_999_999), (3_000_000, 0)]
)
def test_a_body_refused_for_its_size_is_read_first_unless_far_too_large(client, size, read):
    # Read to its end, a proxy in front (deploy/'s Caddy lets one under 2 MB through) gets the
    # 413 page rather than a connection closed on what it was still sending. Beyond what a proxy
    # lets through, nothing is read: the connection is closed on it.
    body = io.BytesIO(b"x" * size)
    response = client.post(
        f"{BASE}/start",
        input_stream=body,
        content_length=size,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert body.tell() == read


def test_oversized_start_gets_413_and_creates_nothing(app, client):
    person = Respondent(client)
    form = welcome_form(person)
    response = person.post(f"{BASE}/start", {**form, "padding": TOO_BIG})
    assert response.status_code == 413
    assert responses(app) == []


@pytest.mark.parametrize(("size", "read"), [(1_100_000, 1_100_000), (3_000_000, 2 * 1024 * 1024)])
def test_a_body_sent_without_a_length_is_refused_for_its_size_and_read_first_up_to_a_point(
    client, size, read
):
    # As gunicorn passes on a chunked body: no length, the stream ends where the body does.
    body = io.BytesIO(b"x" * size)
    response = client.post(
        f"{BASE}/start",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert body.tell() == read


class OverHttp:
    """A browser against a served app: cookies kept, each form's token read, a
    body sent in chunks (no Content-Length) when asked."""

    def __init__(self, port: int):
        self.site = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.token = ""

    def send(
        self, path: str, body: bytes | None = None, chunked: bool = False
    ) -> tuple[int, str, str]:
        """Status, address and text of the page the request ends on (redirects followed)."""
        data: bytes | Iterator[bytes] | None = body
        if body is not None and chunked:  # no length to tell: urllib sends it in chunks
            data = (body[start : start + 65_536] for start in range(0, len(body), 65_536))
        request = urllib.request.Request(self.site + path, data=data)
        if body is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(request, timeout=30) as answer:
                status, url, page = answer.status, answer.url, answer.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                status, url, page = error.code, error.url, error.read().decode()
        if token := FORM_TOKEN.search(page):
            self.token = token.group(1)
        return status, url, html.unescape(page)

    def form(self, fields: str) -> bytes:
        return f"csrf_token={self.token}&{fields}".encode()


ABOUT_YOU = "age=77&country=FR&situation=student"


@pytest.fixture(scope="module")
def served_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """`survey serve` (gunicorn) on a database of its own: its port and its instance folder."""
    folder = tmp_path_factory.mktemp("served")
    env = console.environment(folder)
    assert console.run("init", env=env, cwd=folder).returncode == 0
    with console.serving(env, folder) as port:
        yield port, folder / "instance"


def started_over_http(port: int) -> OverHttp:
    person = OverHttp(port)
    person.send(BASE)
    assert person.send(f"{BASE}/start", person.form("consent=yes"))[1].endswith("/p/about_you")
    return person


def served_answers(instance: Path) -> list[tuple[str, str, Any]]:
    """(response id, question id, value) of every answer the served app has stored."""
    with closing(sqlite3.connect(instance / "survey.db")) as database:
        rows = database.execute("SELECT response_id, question_id, value FROM answers")
        return [(response, question, json.loads(str(value))) for response, question, value in rows]


@pytest.mark.parametrize("answers_first", [True, False])
def test_a_chunked_body_over_the_limit_gets_413_from_the_server_and_stores_nothing(
    served_folder, answers_first
):
    # Sent without a length, the body used to be cut at the limit and the rest taken as sent:
    # the answers before the cut were saved, a token after it was lost (400).
    port, instance = served_folder
    person = started_over_http(port)
    before = served_answers(instance)
    padding = "pad=" + "x" * 1_400_000
    fields = f"{ABOUT_YOU}&{padding}" if answers_first else f"{padding}&{ABOUT_YOU}"
    status, _url, page = person.send(f"{BASE}/p/about_you", person.form(fields), chunked=True)
    assert status == 413
    assert "too large" in page
    assert served_answers(instance) == before


def test_a_chunked_body_under_the_limit_is_saved_by_the_server(served_folder):
    port, instance = served_folder
    person = started_over_http(port)
    before = served_answers(instance)
    body = person.form(f"{ABOUT_YOU}&pad={'x' * 900_000}")
    status, url, _page = person.send(f"{BASE}/p/about_you", body, chunked=True)
    assert (status, url) == (200, f"{person.site}{BASE}/p/involvement")
    saved = [answer[1:] for answer in served_answers(instance) if answer not in before]
    assert sorted(saved) == [("age", 77), ("country", "FR"), ("situation", ["student"])]


def test_a_chunked_body_over_the_limit_gets_413_from_the_server_on_an_admin_page(served_folder):
    port, _instance = served_folder
    admin = OverHttp(port)
    admin.send("/admin/sign-in")
    body = admin.form(f"email=a%40example.org&password=p&pad={'x' * 1_400_000}")
    status, _url, page = admin.send("/admin/sign-in", body, chunked=True)
    assert status == 413
    assert "too large" in page
