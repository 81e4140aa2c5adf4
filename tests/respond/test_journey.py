"""The respondent's way through the survey, as seen in the pages and in the database."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.models import Base, PersonalAnswer
from tests.respond.helpers import (
    BASE,
    completed_sections,
    location,
    only_response,
    responses,
    section_position,
    stored,
    stored_sections,
    text_of,
)
from tests.respondent import MEMBER_ANSWERS, NOT_INVOLVED_ANSWERS, Respondent

MEMBER_SECTIONS = list(MEMBER_ANSWERS)
COOP_SECTIONS = {"cooperative", "starting", "participation"}


def started(client, query: str = "") -> Respondent:
    person = Respondent(client)
    response = person.start(query)
    assert location(response).endswith(f"{BASE}/p/about_you")
    return person


def answered_up_to(client, section_id: str, answers=MEMBER_ANSWERS) -> Respondent:
    """A started respondent who saved every section before `section_id`."""
    person = started(client)
    for name, values in answers.items():
        if name == section_id:
            break
        assert person.save(name, values).status_code == 302, name
    return person


# -- the whole journey -------------------------------------------------------------------------


def test_member_full_journey_is_stored_and_reviewed(app, client, clock):
    person = started(client, "?via=newsletter")
    assert responses(app) == []  # nothing is stored before the first section is saved

    page = text_of(person.get(f"{BASE}/p/about_you"))
    assert section_position(page) == (1, 4)  # before involvement, only 4 sections apply
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    person.save("involvement", MEMBER_ANSWERS["involvement"])
    page = text_of(person.get(f"{BASE}/p/cooperative"))
    assert section_position(page) == (3, 7)

    person.answer_all(MEMBER_ANSWERS)
    answers = stored(app)
    assert answers["age"] == 27
    assert answers["situation"] == ["worker_member", "other"]
    assert answers["situation_other"] == "Musician"
    assert answers["gender_other"] == "Genderfluid"
    assert answers["country"] == "AR"
    assert answers["members_total"] == 12
    assert answers["motivations"] == ["create_job", "democracy", "shared_ownership"]
    assert answers["obstacles"] == {"finance": 4, "legal": 9}
    assert answers["participation"] == {
        "voice_heard": 5,
        "assemblies": 4,
        "information": 4,
        "young_leaders": 3,
        "balance": 2,
    }
    assert answers["recommend"] == 9
    assert answers["we_own_it"] == MEMBER_ANSWERS["future"]["we_own_it"]
    assert "email" not in answers
    assert "ana@example.org" not in repr(answers)
    assert stored(app, PersonalAnswer) == {"email": "ana@example.org"}

    review = person.get(f"{BASE}/review")
    page = text_of(review)
    for shown in ("Genderfluid", "Musician", "Argentina", "FACTA", "Coopérative Ñandú 合作社"):
        assert shown in page
    changes = re.findall(r'href="([^"]+)"[^>]*>Change<', review.get_data(as_text=True))
    assert [link.split("?")[0] for link in changes] == [f"{BASE}/p/{s}" for s in MEMBER_SECTIONS]

    clock.now += timedelta(minutes=3)
    assert location(person.submit()).endswith(f"{BASE}/thanks")
    response = only_response(app)
    assert response.status == "complete"
    assert response.submitted_at == clock.now
    assert response.late is False
    assert response.channel == "newsletter"
    assert "your answers were submitted" in text_of(person.get(f"{BASE}/thanks"))


def test_not_involved_take_the_short_path(app, client):
    person = started(client)
    person.save("about_you", NOT_INVOLVED_ANSWERS["about_you"])
    response = person.save("involvement", NOT_INVOLVED_ANSWERS["involvement"])
    assert location(response).endswith(f"{BASE}/p/future")
    assert section_position(text_of(person.get(f"{BASE}/p/future"))) == (3, 4)
    for skipped in COOP_SECTIONS:
        response = person.get(f"{BASE}/p/{skipped}")
        assert response.status_code == 302
        assert skipped not in location(response)

    person.answer_all(NOT_INVOLVED_ANSWERS)
    review = person.get(f"{BASE}/review").get_data(as_text=True)
    assert review.count(">Change<") == 4
    assert location(person.submit()).endswith(f"{BASE}/thanks")
    assert only_response(app).status == "complete"
    assert not COOP_SECTIONS & set(stored_sections(app))


def test_under_16_is_screened_out_politely(app, client):
    person = started(client)
    response = person.save("about_you", {"age": "15", "country": "", "situation": []})
    assert location(response).endswith(f"{BASE}/end")
    end = person.get(f"{BASE}/end")
    assert end.status_code == 200
    assert "This survey is for people aged 16 and over." in text_of(end)

    row = only_response(app)
    assert row.status == "screened_out"
    assert stored(app) == {"age": 15}
    for later in ("about_you", "involvement", "future"):
        assert location(person.get(f"{BASE}/p/{later}")).endswith(f"{BASE}/end")
    assert location(person.get(f"{BASE}/review")).endswith(f"{BASE}/end")


# -- validation --------------------------------------------------------------------------------


def assert_error_page(response, expected_messages: dict[str, str]) -> str:
    """A 200 page whose summary links to each wrong field and repeats each message beside it."""
    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    page = text_of(response)
    assert "There is a problem" in page
    summary = raw.split("data-error-summary>", 1)[1].split("</div>", 1)[0]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert len(links) == len(expected_messages), links
    for anchor, _message in links:
        assert anchor.startswith("f-")
        assert f'id="{anchor}"' in raw, f"summary links to #{anchor}, which is not in the page"
    for field, message in expected_messages.items():
        beside = re.search(rf'<p class="error-message" id="e-{re.escape(field)}">(.*?)</p>', raw)
        assert beside, f"no message beside {field}"
        assert message in text_of_fragment(beside.group(1))
        # The summary line names the question, so it makes sense away from the field.
        assert any(text_of_fragment(text).endswith(f" — {message}") for _a, text in links), links
    return raw


def text_of_fragment(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("Error:", "").strip()


def test_invalid_about_you_shows_errors_keeps_input_and_saves_nothing(app, client):
    person = started(client)
    form = {
        "age": "abc",
        "gender": "self_describe",
        "gender_other": "Genderfluid",
        "country": "FR",
        "situation": ["student", "other"],
        "situation_other": "",
    }
    response = person.save("about_you", form)
    raw = assert_error_page(
        response,
        {"age": "Enter a whole number, like 25.", "situation_other": "Please specify your answer."},
    )
    assert "How old are you? — Enter a whole number, like 25." in html.unescape(raw)
    assert "(Please specify) — Please specify your answer." in html.unescape(raw)
    assert 'value="abc"' in raw
    assert '<option value="FR" selected>' in raw
    assert 'value="Genderfluid"' in raw
    assert re.search(r'value="self_describe" checked', raw)
    assert re.search(r'value="student" checked', raw)
    assert re.search(r'value="other" checked', raw)
    assert stored(app) == {}
    assert "about_you" not in completed_sections(app)


def test_missing_matrix_row_links_to_that_row(app, client):
    person = answered_up_to(client, "participation")
    form = dict(MEMBER_ANSWERS["participation"])
    del form["participation__balance"]
    response = person.save("participation", form)
    raw = assert_error_page(
        response,
        {
            "participation__balance": "Select an answer for “My cooperative allows a good "
            "work-life balance”."
        },
    )
    assert re.search(r'name="participation__voice_heard" value="5" checked', raw)
    assert 'value="6"' in raw  # governance_hours kept
    assert "participation" not in stored_sections(app)


@pytest.mark.parametrize(
    ("section_id", "changes", "field", "message"),
    [
        (
            "starting",
            {"support_received": ["none", "federation"]},
            "support_received",
            "'None' cannot be combined with other answers.",
        ),
        (
            "cooperative",
            {"members_total": "5", "members_young": "7"},
            "members_young",
            "Cannot be more than the total number of members.",
        ),
        (
            "starting",
            {"motivations": ["create_job", "democracy", "shared_ownership", "values"]},
            "motivations",
            "Select at most 3 answers.",
        ),
        (
            "about_you",
            {"situation_other": "x" * 201},
            "situation_other",
            "Use at most 200 characters.",
        ),
    ],
)
def test_rule_messages(app, client, section_id, changes, field, message):
    person = answered_up_to(client, section_id)
    response = person.save(section_id, {**MEMBER_ANSWERS[section_id], **changes})
    assert_error_page(response, {field: message})
    assert section_id not in stored_sections(app)


# -- answers that stop applying ----------------------------------------------------------------


def test_changing_involvement_to_none_deletes_cooperative_answers(app, client):
    person = answered_up_to(client, "participation")
    assert {"cooperative", "starting"} <= set(stored_sections(app))

    response = person.save("involvement", {"involvement": "none"})
    assert response.status_code == 302
    sections = stored_sections(app)
    assert not COOP_SECTIONS & set(sections), sections
    for gone in ("coop_type", "federation_name", "motivations", "obstacles"):
        assert gone not in stored(app)
    assert section_position(text_of(person.get(f"{BASE}/p/future"))) == (3, 4)

    # Back to member: the cooperative sections must be answered again, starting empty.
    response = person.save("involvement", {"involvement": "member"})
    assert location(response).endswith(f"{BASE}/p/cooperative")
    page = person.get(f"{BASE}/p/cooperative").get_data(as_text=True)
    assert "checked" not in page and 'value="FACTA"' not in page
    person.get(f"{BASE}/review")
    assert location(person.post(f"{BASE}/submit", {})).endswith(f"{BASE}/review")
    assert only_response(app).status == "in_progress"


def test_change_link_on_review_saves_and_returns_to_review(app, client):
    person = started(client)
    person.answer_all(NOT_INVOLVED_ANSWERS)
    review = person.get(f"{BASE}/review").get_data(as_text=True)
    change = re.search(r'href="([^"]*/p/future[^"]*)"[^>]*>Change<', review)
    assert change
    link = change.group(1).replace("&amp;", "&")
    assert 'value="5" checked' in person.get(link).get_data(as_text=True)
    response = person.post(link, {"help_needed": ["mentoring"], "recommend": "8"})
    assert location(response).endswith(f"{BASE}/review")
    assert stored(app)["recommend"] == 8
    assert "Mentoring by experienced cooperators" in text_of(person.get(f"{BASE}/review"))


def test_federation_name_removed_when_federation_becomes_no(app, client):
    person = answered_up_to(client, "starting")
    assert stored(app)["federation_name"] == "FACTA"
    # Without JavaScript the hidden box still sends its text: it must not be kept.
    form = {**MEMBER_ANSWERS["cooperative"], "federation": "no"}
    assert person.save("cooperative", form).status_code == 302
    answers = stored(app)
    assert answers["federation"] == "no"
    assert "federation_name" not in answers
    assert "FACTA" not in text_of(person.get(f"{BASE}/review"))


def test_gender_other_removed_when_gender_changes(app, client):
    person = answered_up_to(client, "involvement")
    assert stored(app)["gender_other"] == "Genderfluid"
    form = {**MEMBER_ANSWERS["about_you"], "gender": "woman"}  # old text still posted
    assert person.save("about_you", form).status_code == 302
    answers = stored(app)
    assert answers["gender"] == "woman"
    assert "gender_other" not in answers
    assert "Genderfluid" not in person.get(f"{BASE}/p/about_you").get_data(as_text=True)


# -- what is shown and what is kept ------------------------------------------------------------


def test_text_answers_are_escaped_on_the_review_page(app, client):
    person = started(client)
    person.answer_all(
        {
            **NOT_INVOLVED_ANSWERS,
            "future": {**NOT_INVOLVED_ANSWERS["future"], "we_own_it": "<script>alert(1)</script>"},
        }
    )
    assert stored(app)["we_own_it"] == "<script>alert(1)</script>"
    raw = person.get(f"{BASE}/review").get_data(as_text=True)
    assert "<script>alert" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw


def test_no_ip_address_is_stored(app, client):
    address = "127.0.0.1"  # the test client's REMOTE_ADDR
    assert client.get(BASE).request.remote_addr == address
    person = started(client, "?via=poster")
    person.answer_all(MEMBER_ANSWERS)
    person.submit()
    assert only_response(app).status == "complete"
    with app.extensions["survey_db"].reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                assert all(address not in str(value) for value in row), (table.name, row)
