"""One unit of work per request, seen from outside: a page that only shows takes no write lock,
a save records where it sends the person, a failure leaves no half-done write, and pages are
rendered once the transaction has ended."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import func, select

import survey.rendering
from survey.models import Answer, AuditEvent, SectionProgress, SurveyResponse
from tests.respondent import MEMBER_ANSWERS, SLUG, Respondent
from tests.transactions import write_lock_held, writer_may_start

# Another connection holds the database's write lock while a page renders: what the tests
# write must really be committed (tests/conftest.py, `app`).
pytestmark = pytest.mark.usefixtures("real_commits")


def rows(app: Flask) -> dict[str, int]:
    with app.extensions["survey_db"].reading() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (SurveyResponse, Answer, SectionProgress, AuditEvent)
        }


def reached(app: Flask) -> dict[str, bool]:
    """Each section reached so far: whether it is finished."""
    with app.extensions["survey_db"].reading() as session:
        return {
            section_id: completed is not None
            for section_id, completed in session.execute(
                select(SectionProgress.section_id, SectionProgress.completed_at)
            )
        }


@pytest.fixture
def person(client) -> Respondent:
    """Someone who has saved the first section."""
    someone = Respondent(client)
    someone.start()
    assert someone.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302
    return someone


def test_pages_that_only_show_render_while_another_writer_holds_the_lock(app, person):
    before = rows(app)
    pages = [
        f"/s/{SLUG}",
        f"/s/{SLUG}/p/involvement",
        f"/s/{SLUG}/p/about_you",
        f"/s/{SLUG}/p/future",  # not reached yet: showing it records nothing
        f"/s/{SLUG}/review",
        f"/s/{SLUG}/withdraw",
    ]
    with write_lock_held(app):
        for path in pages:
            began = time.monotonic()
            response = person.get(path)
            assert response.status_code == 200, path
            assert time.monotonic() - began < 3, f"{path} waited for the write lock"
    assert rows(app) == before
    assert "future" not in reached(app)


def test_the_save_that_leads_to_a_section_records_it_reached(app, person):
    assert reached(app) == {"about_you": True, "involvement": False}
    assert person.save("involvement", {"involvement": "member"}).status_code == 302
    assert reached(app) == {"about_you": True, "involvement": True, "cooperative": False}
    # Back from the review, to the first section left: reached by the save that leads there.
    person.get(f"/s/{SLUG}/p/involvement?return=review")
    answer = person.post(f"/s/{SLUG}/p/involvement?return=review", {"involvement": "member"})
    assert answer.headers["Location"].endswith("/p/cooperative")


def test_a_failure_inside_a_save_stores_none_of_it_and_the_browser_keeps_its_start(
    app, client, monkeypatch
):
    someone = Respondent(client)
    someone.start()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    # The last step of the first save's unit of work, after the response, its answers and its
    # progress are written: the browser's start is let go.
    monkeypatch.setattr("survey.respond.answering.drop", broken)
    failed = someone.save("about_you", MEMBER_ANSWERS["about_you"])
    assert failed.status_code == 500
    assert rows(app) == {"responses": 0, "answers": 0, "section_progress": 0, "audit_events": 0}

    monkeypatch.undo()
    assert someone.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302
    counted = rows(app)
    assert counted["responses"] == 1 and counted["answers"] > 0


def test_a_page_that_fails_after_a_committed_write_leaves_the_whole_write(app, person, monkeypatch):
    code = person.resume_code()
    person.get(f"/s/{SLUG}/withdraw")
    original = survey.rendering.render_template

    def failing(template: str, **context):
        if template == "respond/withdrawn.html":
            raise RuntimeError("the template is broken")
        return original(template, **context)

    monkeypatch.setattr(survey.rendering, "render_template", failing)
    response = person.post(f"/s/{SLUG}/withdraw", {"code": code, "confirm": "yes"})
    assert response.status_code == 500
    # Withdrawn whole (committed before the page was built), and logged: nothing half done.
    counted = rows(app)
    assert (counted["responses"], counted["answers"], counted["section_progress"]) == (0, 0, 0)
    with app.extensions["survey_db"].reading() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions == ["response.withdraw"]


def test_pages_render_after_the_transaction_has_ended(app, client, monkeypatch):
    original = survey.rendering.render_template
    seen: list[tuple[str, bool]] = []

    def watching(template: str, **context):
        seen.append((template, writer_may_start(app)))
        return original(template, **context)

    monkeypatch.setattr(survey.rendering, "render_template", watching)
    someone = Respondent(client)
    someone.get(f"/s/{SLUG}")
    someone.post(f"/s/{SLUG}/start", {})  # no consent: the welcome page again, from a write
    someone.start()
    someone.get(f"/s/{SLUG}/p/about_you")
    invalid = someone.post(f"/s/{SLUG}/p/about_you", {"age": "eleventy"})
    assert invalid.status_code == 200 and "eleventy" in invalid.get_data(as_text=True)
    templates = [template for template, _free in seen]
    assert templates.count("respond/section.html") == 2
    assert "respond/welcome.html" in templates
    assert all(free for _template, free in seen), seen
