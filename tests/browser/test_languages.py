"""The survey in French, Spanish, Brazilian Portuguese and Italian in Chromium: the whole
journey in the language chosen by the switcher, by `?lang=` or by the browser's own language,
and a switch half-way that keeps every answer. On each page no English interface text shows
(tests/respondent.RESPONDENT_INTERFACE)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from survey.message_catalogs import language_tag
from tests.browser.journey import (
    agree_and_start,
    expect_answers,
    expect_section,
    fill_section,
    next_page,
    review_and_submit,
    welcome_url,
)
from tests.respond.helpers import only_response, stored
from tests.respondent import (
    LANGUAGE_NAMES,
    MEMBER_ANSWERS,
    english_interface_texts,
    interface_text,
    shipped_questionnaire,
)

# What the page does: on SQLite only (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

QUESTIONNAIRE = shipped_questionnaire()
# (number, total) of each section for a member: 4 sections apply until involvement is known.
POSITIONS = dict(
    zip(MEMBER_ANSWERS, [(1, 4), (2, 4), (3, 7), (4, 7), (5, 7), (6, 7), (7, 7)], strict=True)
)


def title(section_id: str, language: str) -> str:
    section = QUESTIONNAIRE.section(section_id)
    assert section is not None
    return section.title[language]


# The browser's own language setting, for each language a test opens the survey with.
BROWSER_LOCALES = {"fr": "fr-FR", "es": "es-AR", "pt_BR": "pt-BR", "it": "it-IT"}


def expect_in_language(page: Page, language: str) -> None:
    """The page says it is in `language`, and none of its visible text is English interface."""
    expect(page.locator("html")).to_have_attribute("lang", language_tag(language))
    assert english_interface_texts(page.locator("body").inner_text(), language) == [], page.url


def switch_to(page: Page, language: str) -> None:
    """Follow the switcher's link to `language` (a plain link, named in its own language)."""
    languages = page.get_by_role("navigation").filter(has_text=LANGUAGE_NAMES[language])
    languages.get_by_role("link", name=LANGUAGE_NAMES[language], exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", language_tag(language))
    expect(languages.locator("[aria-current]")).to_have_text(LANGUAGE_NAMES[language])


def answer_sections(page: Page, section_ids: list[str], language: str) -> None:
    """Answer these sections of MEMBER_ANSWERS on the pages in `language`."""
    for section_id in section_ids:
        number, total = POSITIONS[section_id]
        expect_section(page, title(section_id, language), number, total, language)
        expect_in_language(page, language)
        fill_section(page, MEMBER_ANSWERS[section_id])
        next_page(page, language)


def opened_in(new_context, base: str, how: str, language: str, query: str = "") -> Page:
    """The welcome page, in `language` chosen as `how` says; `query` ("?via=cecop") as the
    link a person followed had it."""
    url = welcome_url(base) + query
    if how == "browser":  # the browser's own language setting, sent as Accept-Language
        page = new_context(locale=BROWSER_LOCALES[language]).new_page()
        page.goto(url)
    elif how == "query":
        page = new_context().new_page()
        page.goto(f"{url}{'&' if query else '?'}lang={language}")
    else:
        page = new_context().new_page()
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        switch_to(page, language)
    return page


@pytest.mark.parametrize(
    ("how", "language"),
    [
        ("switcher", "fr"),
        ("query", "es"),
        ("browser", "pt_BR"),  # the browser's pt-BR finds pt_BR
        ("switcher", "it"),
    ],
)
def test_the_whole_journey_in_the_chosen_language(
    app, new_context, live_server, offsite_requests, how: str, language: str
):
    """From a federation's link (?via=) to the public figures, in the person's language."""
    page = opened_in(new_context, live_server, how, language, "?via=cecop")
    expect(page.locator("h1")).to_have_text(QUESTIONNAIRE.title[language])
    expect_in_language(page, language)
    agree_and_start(page, title("about_you", language), language)

    answer_sections(page, list(MEMBER_ANSWERS), language)

    review = page.locator("main")
    for section_id in MEMBER_ANSWERS:
        expect(review).to_contain_text(title(section_id, language))
    expect(review).to_contain_text(choice_text("involvement", "member", language))
    expect_in_language(page, language)
    review_and_submit(page, language)
    expect_in_language(page, language)
    response = only_response(app)
    assert (response.language, response.channel) == (language, "cecop")

    # The thanks page leads to the public figures, in the same language.
    page.get_by_role(
        "link", name=interface_text("See how many people have taken part", language)
    ).click()
    expect(page.locator("h1")).to_have_text(
        interface_text("How many people have taken part", language)
    )
    expect(page.locator("#total dd")).to_have_text(interface_text("fewer than 5", language))
    expect_in_language(page, language)
    # Its script and stylesheet fetched before the server stops (a request cut off there
    # would leave its file open).
    page.wait_for_load_state("load")
    assert offsite_requests == []


def choice_text(question_id: str, code: str, language: str) -> Any:
    choice = QUESTIONNAIRE.question(question_id).choice(code)
    assert choice is not None
    return choice.label[language]


def test_switching_half_way_keeps_every_answer(app, new_context, live_server, offsite_requests):
    page = new_context().new_page()
    page.goto(welcome_url(live_server))
    agree_and_start(page, title("about_you", "en"))
    answer_sections(page, ["about_you", "involvement"], "en")

    # On the third section, in English, to French: the same section, in French.
    expect_section(page, title("cooperative", "en"), 3, 7)
    switch_to(page, "fr")
    expect_section(page, title("cooperative", "fr"), 3, 7, "fr")
    expect_in_language(page, "fr")
    coop_type = page.locator("#q-coop_type legend")
    expect(coop_type).to_have_text(QUESTIONNAIRE.question("coop_type").label["fr"])
    expect(page.locator('label[for="f-coop_type-worker"]')).to_have_text(
        choice_text("coop_type", "worker", "fr")
    )

    # Back, in French: the earlier answers are still there.
    page.get_by_role("link", name=interface_text("Back", "fr")).click()
    expect_section(page, title("involvement", "fr"), 2, 7, "fr")
    expect_answers(page, MEMBER_ANSWERS["involvement"])
    page.get_by_role("link", name=interface_text("Back", "fr")).click()
    expect_section(page, title("about_you", "fr"), 1, 7, "fr")
    expect_answers(page, MEMBER_ANSWERS["about_you"])
    next_page(page, "fr")
    next_page(page, "fr")
    answer_sections(page, ["cooperative"], "fr")

    # And finish in Spanish.
    switch_to(page, "es")
    answer_sections(page, ["starting", "participation", "future", "contact"], "es")
    review_and_submit(page, "es")

    response = only_response(app)
    assert response.status == "complete"
    assert response.language == "es"
    answers = stored(app)
    assert answers["gender_other"] == "Genderfluid" and answers["country"] == "AR"
    assert answers["coop_type"] == "worker" and answers["participation"]["balance"] == 2
    assert offsite_requests == []


@pytest.mark.parametrize(
    ("language", "locale", "zone", "day", "zone_name"),
    [
        # 2027-05-25T22:00Z: 19:00 in Buenos Aires (7:00 p. m. as Argentina writes it)
        ("es", "es-AR", "America/Argentina/Buenos_Aires", "25 de mayo de 2027", "de Argentina"),
        ("fr", "fr-FR", "Europe/Paris", "26 mai 2027", "Europe centrale"),
    ],
)
def test_the_deadline_in_the_persons_own_zone_and_language(
    new_context, live_server, language, locale, zone, day, zone_name
):
    """With JavaScript, the deadline also in the browser's zone, worded in the page's language
    (the zone by its name, not its id)."""
    page = new_context(locale=locale, timezone_id=zone).new_page()
    page.goto(f"{welcome_url(live_server)}?lang={language}")

    local = page.locator(".local-time").first
    expect(local).to_contain_text(day)
    text = local.inner_text()
    assert text.startswith(interface_text("Your time:", language)), text
    assert zone_name in text and zone not in text, text
