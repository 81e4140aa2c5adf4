"""A section's blank questions are rendered once per language and questionnaire version by each
process (survey/respond/blank_forms.py): what people see must be what a fresh rendering shows,
in their language, for their version, and never anyone else's values or errors."""

from __future__ import annotations

import re

from survey.questionnaire_store import load_questionnaire
from tests.conftest import WE_OWN_IT
from tests.respond.helpers import BASE, text_of
from tests.respond.test_journey import answered_up_to, started

ABOUT_YOU = f"{BASE}/p/about_you"
NEXT = f"{BASE}/p/involvement"
INVOLVEMENT = "Which of these best describes you?"
RELABELLED = "Which of these describes you best?"
AGE = {"en": "How old are you?", "fr": "Quel âge avez-vous ?", "es": "¿Cuántos años tienes?"}


def age_input(page: str) -> str:
    found = re.search(r'<input[^>]*\bname="age"[^>]*>', page)
    assert found, "the page has no age field"
    return found.group(0)


def test_each_language_gets_its_own_blank_section(app, client):
    person = started(client)
    for language in ("en", "fr", "es", "fr", "en"):
        page = text_of(person.get(f"{ABOUT_YOU}?lang={language}"))
        assert AGE[language] in page, language
        others = [label for code, label in AGE.items() if code != language]
        assert not any(label in page for label in others), language


def test_a_page_with_errors_and_values_leaves_the_blank_one_blank(app, client):
    first = started(client)
    refused = first.post(ABOUT_YOU, {"age": "7000", "country": "KE"})
    assert refused.status_code == 200
    assert 'aria-invalid="true"' in age_input(refused.get_data(as_text=True))
    assert 'value="7000"' in refused.get_data(as_text=True)
    assert '<option value="KE" selected>' in refused.get_data(as_text=True)

    second = started(app.test_client())
    blank = second.get(ABOUT_YOU).get_data(as_text=True)
    assert 'value="7000"' not in blank
    assert "aria-invalid" not in blank
    assert "error-message" not in blank
    assert " selected>" not in blank  # no country chosen for this person
    # The first person, back on the page, still sees what they typed and what was wrong.
    again = first.post(ABOUT_YOU, {"age": "7000", "country": "KE"}).get_data(as_text=True)
    assert 'value="7000"' in again and 'aria-invalid="true"' in age_input(again)


def test_a_new_version_shows_its_own_texts_and_the_old_one_keeps_its_own(app, client, tmp_path):
    # Someone whose response is stored on version 1, shown the next section blank.
    before = answered_up_to(client, "involvement")
    assert INVOLVEMENT in text_of(before.get(NEXT))

    changed = tmp_path / "we-own-it.yaml"
    source = WE_OWN_IT.read_text(encoding="utf-8")
    assert source.count(f'{{en: "{INVOLVEMENT}"') == 1
    changed.write_text(source.replace(INVOLVEMENT, RELABELLED, 1), encoding="utf-8")
    with app.extensions["survey_db"].writing() as session:
        assert load_questionnaire(session, changed).created_version

    after = answered_up_to(app.test_client(), "involvement")
    page = text_of(after.get(NEXT))
    assert RELABELLED in page and INVOLVEMENT not in page
    # The person who started on version 1 goes on with version 1's texts.
    page = text_of(before.get(NEXT))
    assert INVOLVEMENT in page and RELABELLED not in page
