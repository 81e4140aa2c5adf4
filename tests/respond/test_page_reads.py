"""What a respondent's page reads: the survey, its newest version and the browser's response in
one statement, whether the page shows a section or saves one."""

from __future__ import annotations

from tests.respond.helpers import BASE, location, sent_statements, text_of
from tests.respondent import MEMBER_ANSWERS, Respondent


def selects(sent: list[str]) -> list[str]:
    return [item for item in sent if item.upper().startswith("SELECT")]


def test_a_section_page_and_its_save_read_survey_version_and_response_once(client):
    """The response is on the survey's newest version, read with the survey: its questionnaire
    is the one the process keeps for that version, found without reading the version's row
    again (nor its stored text)."""
    person = Respondent(client)
    person.start()
    assert person.save("about_you", MEMBER_ANSWERS["about_you"]).status_code == 302

    with sent_statements() as sent:
        page = person.get(f"{BASE}/p/involvement")
    shown = selects(sent)
    assert page.status_code == 200
    assert "Which of these best describes you?" in text_of(page)
    assert len(shown) == 1, shown
    assert "questionnaire_versions.source" not in shown[0]

    with sent_statements() as sent:
        answer = person.post(f"{BASE}/p/involvement", MEMBER_ANSWERS["involvement"])
    saved = selects(sent)
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

    with sent_statements() as sent:
        page = person.get(f"{BASE}/p/involvement")
    first = selects(sent)
    assert "Which of these best describes you?" in text_of(page)
    assert len(first) == 2, first
    assert "questionnaire_versions.source" in first[1]

    with sent_statements() as sent:
        assert person.get(f"{BASE}/p/involvement").status_code == 200
    again = selects(sent)
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
