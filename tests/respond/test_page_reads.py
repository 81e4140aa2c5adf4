"""What a respondent's page reads: the survey, its newest version and the browser's response in
one statement, whether the page shows a section or saves one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.respond.helpers import BASE, location, text_of
from tests.respondent import MEMBER_ANSWERS, Respondent


@contextmanager
def selects() -> Iterator[list[str]]:
    """The SELECT statements SQLAlchemy sends in the block."""
    found: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            found.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_a_section_page_and_its_save_read_survey_version_and_response_once(client):
    """The response is on the survey's newest version, read with the survey: its questionnaire
    is the one the process keeps for that version, found without reading the version's row
    again (nor its stored text)."""
    person = Respondent(client)
    person.start()
    assert person.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302

    with selects() as shown:
        page = person.get(f"{BASE}/p/involvement")
    assert page.status_code == 200
    assert "Which of these best describes you?" in text_of(page)
    assert len(shown) == 1, shown
    assert "questionnaire_versions.source" not in shown[0]

    with selects() as saved:
        answer = person.post(f"{BASE}/p/involvement", MEMBER_ANSWERS["involvement"])
    assert location(answer).endswith(f"{BASE}/p/cooperative")
    assert len(saved) == 1, saved
    assert "questionnaire_versions.source" not in saved[0]


def test_a_process_meeting_a_version_first_reads_its_row_once(client, monkeypatch):
    """A process that has not parsed the survey's version yet (just started, or the version is
    new) reads the version's row once, with its text; its pages after that do not."""
    from collections import OrderedDict

    from survey import questionnaire_store

    person = Respondent(client)
    person.start()
    assert person.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302
    monkeypatch.setattr(questionnaire_store, "_BY_FINGERPRINT", OrderedDict())

    with selects() as first:
        page = person.get(f"{BASE}/p/involvement")
    assert "Which of these best describes you?" in text_of(page)
    assert len(first) == 2, first
    assert "questionnaire_versions.source" in first[1]

    with selects() as again:
        assert person.get(f"{BASE}/p/involvement").status_code == 200
    assert len(again) == 1, again


def test_a_page_whose_survey_went_since_its_read_is_not_found(client, monkeypatch):
    """The version's row is gone when the process comes to parse it (the survey deleted
    between the page's read and that): the page is not found, not an error."""
    from collections import OrderedDict

    from survey import questionnaire_store
    from survey.models import QuestionnaireVersion

    person = Respondent(client)
    person.start()
    assert person.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302
    monkeypatch.setattr(questionnaire_store, "_BY_FINGERPRINT", OrderedDict())
    original = questionnaire_store.Session.get

    def gone(session, model, ident, *args, **kwargs):
        if model is QuestionnaireVersion:
            return None
        return original(session, model, ident, *args, **kwargs)

    monkeypatch.setattr(questionnaire_store.Session, "get", gone)
    assert person.get(f"{BASE}/p/involvement").status_code == 404
