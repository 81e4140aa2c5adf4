"""Cascading choices, calculations and `required_message` in Chromium, on a 360 px wide phone:
the cascades-and-calculations survey (tests/questionnaires/cascades-and-calculations.yaml)
answered with the page script, in French, and with JavaScript off.

Its first section asks `region` (Kayes or Sikasso, with its own required message), `District`
(two districts of each region, following `region`, and "Somewhere else" for any), `size` and
`adults` (adults <= size), works out `children` (size - adults), `share_adults` and `household`
('large' above 5 people), and asks `school` when children > 0. The second asks `market_town`
(the town of the region saved on the first page, or "None") and `large_note` (for a large
household).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect

from survey.questionnaire_store import load_questionnaire
from survey.settings import PROJECT_ROOT
from tests.browser.journey import (
    agree_and_start,
    assert_fits_the_phone,
    block,
    expect_section,
    field,
    label_for,
    next_page,
    review_and_submit,
    serve,
)
from tests.respond.helpers import stored
from tests.respondent import interface_text

# What the page does: on SQLite only (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

CASCADES = PROJECT_ROOT / "tests" / "questionnaires" / "cascades-and-calculations.yaml"
SLUG = "cascades-and-calculations"
TITLES = {
    "en": {"place": "Where you live", "market": "Your market"},
    "fr": {"place": "Où vous vivez", "market": "Votre marché"},
}
LABELS = {
    "en": {
        "region": "Region",
        "District": "District",
        "size": "How many people live in your household?",
        "adults": "How many of them are adults?",
        "school": "Do the children go to school?",
        "market_town": "Which market do you go to?",
        "large_note": "Tell us about your large household.",
    },
    "fr": {
        "region": "Région",
        "District": "Cercle",
        "size": "Combien de personnes vivent dans votre ménage ?",
        "adults": "Combien sont adultes ?",
    },
}
DISTRICTS = {"kayes": ("bafoulabe", "kita"), "sikasso": ("bougouni", "koutiala")}
REGION_MESSAGE = {"en": "Tell us your region.", "fr": "Indiquez votre région."}
NOT_SHOWN = "Select one of the answers shown."
TOO_MANY_ADULTS = "There cannot be more adults than people."


@pytest.fixture
def base(app: Flask, live_server: str) -> str:
    """The live server, with the cascades-and-calculations survey loaded next to the shipped
    one."""
    return serve(app, live_server, CASCADES)


def start(page: Page, base: str, language: str = "en", slug: str = SLUG) -> None:
    """Welcome page (in `language` by ?lang=) → consent → the first section."""
    query = "" if language == "en" else f"?lang={language}"
    page.goto(f"{base}/s/{slug}{query}")
    agree_and_start(page, TITLES[language]["place"], language)
    expect_section(page, TITLES[language]["place"], 1, 2, language)


def without_script(new_context) -> Page:
    return new_context(java_script_enabled=False).new_page()


def choice(page: Page, question_id: str, code: str) -> Any:
    return page.locator(f'[id="f-{question_id}-{code}"]')


def shown_choices(page: Page, question_id: str) -> list[str]:
    """The codes of the choices a person can see (and so pick) for a question, in page order."""
    return [
        code
        for radio in page.locator(f'#q-{question_id} input[name="{question_id}"]').all()
        if radio.is_visible() and (code := radio.get_attribute("value"))
    ]


def expect_choices(page: Page, question_id: str, codes: list[str]) -> None:
    """The choices shown are `codes`, waiting for them as `expect` does (up to 5 s): the page
    script filters a list once the page has loaded, which may be after its title is shown."""
    deadline = time.monotonic() + 5
    while (shown := shown_choices(page, question_id)) != codes and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert shown == codes


def pick(page: Page, question_id: str, code: str) -> None:
    label_for(page, f"f-{question_id}-{code}").check()


def expect_error(page: Page, question_id: str, message: str, language: str = "en") -> None:
    """`message` beside the question (after the hidden "Error:") and in the error summary,
    after the question's label, linking to a field of the question the person can see."""
    expect(page.locator(f"#e-{question_id}")).to_have_text(
        f"{interface_text('Error:', language)} {message}"
    )
    line = interface_text(
        "%(question)s — %(problem)s",
        language,
        question=LABELS[language][question_id],
        problem=message,
    )
    link = page.locator(".error-summary a").filter(has_text=line)
    expect(link).to_have_text(line)
    target = (link.get_attribute("href") or "").removeprefix("#")
    assert target.startswith(f"f-{question_id}"), target
    expect(page.locator(f'[id="{target}"]')).to_be_visible()


def review_questions(page: Page) -> list[str]:
    """The question of each line of the review page, in order."""
    expect(page.locator("h1")).to_have_text(
        interface_text("Check your answers before you submit", "en")
    )
    return [text.strip() for text in page.locator(".summary-row dt").all_inner_texts()]


def review_answer(page: Page, question_id: str) -> Any:
    row = page.locator(".summary-row").filter(
        has=page.locator("dt", has_text=LABELS["en"][question_id])
    )
    return row.locator("dd")


def answer_place(page: Page, region: str, district: str, size: str, adults: str) -> None:
    pick(page, "region", region)
    pick(page, "District", district)
    field(page, "size").fill(size)
    field(page, "adults").fill(adults)


# -- with the page script ----------------------------------------------------------------------


def test_the_district_list_follows_the_region_picked_on_the_same_page(
    page: Page, app: Flask, base: str, offsite_requests: list[str]
):
    start(page, base)
    # No region yet: only the district that belongs to no region can be picked.
    expect_choices(page, "District", ["elsewhere"])
    expect(block(page, "District").get_by_text("Kayes", exact=True)).to_be_hidden()
    assert_fits_the_phone(page)

    pick(page, "region", "kayes")
    expect_choices(page, "District", ["bafoulabe", "kita", "elsewhere"])
    for code in DISTRICTS["sikasso"]:
        expect(choice(page, "District", code)).to_be_hidden()
    pick(page, "District", "kita")
    expect(choice(page, "District", "kita")).to_be_checked()

    # Another region: Kayes's districts go, and the one ticked is no longer the answer.
    pick(page, "region", "sikasso")
    expect_choices(page, "District", ["bougouni", "koutiala", "elsewhere"])
    expect(choice(page, "District", "kita")).to_be_hidden()
    expect(choice(page, "District", "kita")).not_to_be_checked()
    assert_fits_the_phone(page)

    # So the server is sent no district: it asks for one again.
    field(page, "size").fill("3")
    field(page, "adults").fill("2")
    next_page(page)
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect_error(page, "District", interface_text("Select an answer.", "en"))
    expect(choice(page, "region", "sikasso")).to_be_checked()
    expect_choices(page, "District", ["bougouni", "koutiala", "elsewhere"])

    pick(page, "District", "koutiala")
    next_page(page)
    expect_section(page, TITLES["en"]["market"], 2, 2)
    saved = stored(app)
    assert (saved["region"], saved["District"]) == ("sikasso", "koutiala")
    assert offsite_requests == []


def test_a_question_shows_when_a_calculation_on_the_same_page_says_so(
    page: Page, app: Flask, base: str, offsite_requests: list[str]
):
    """`school` applies when children (size - adults, worked out by the page script) > 0."""
    start(page, base)
    school = block(page, "school")
    expect(school).to_be_hidden()
    for size, adults, shown in [
        ("6", "", False),
        ("6", "2", True),
        ("6", "6", False),
        ("7", "6", True),
        ("", "6", False),
        ("3", "2", True),
        ("3", "abc", False),
    ]:
        field(page, "size").fill(size)
        field(page, "adults").fill(adults)
        if shown:
            expect(school, f"size {size!r}, adults {adults!r}").to_be_visible()
        else:
            expect(school, f"size {size!r}, adults {adults!r}").to_be_hidden()
    # The calculations themselves are never shown, nor asked.
    for name in ("children", "share_adults", "household"):
        expect(page.locator(f'[name="{name}"]')).to_have_count(0)
    expect(page.get_by_text("Share of adults")).to_have_count(0)

    # Answered while shown, then hidden: not kept.
    answer_place(page, "kayes", "kita", "3", "2")
    pick(page, "school", "yes")
    field(page, "adults").fill("3")
    expect(school).to_be_hidden()
    next_page(page)
    expect_section(page, TITLES["en"]["market"], 2, 2)
    saved = stored(app)
    assert "school" not in saved
    assert saved["children"] == 0 and saved["household"] == "small"
    assert offsite_requests == []


def test_the_next_page_offers_the_saved_region_and_the_review_shows_no_calculation(
    page: Page, app: Flask, base: str, offsite_requests: list[str]
):
    start(page, base)
    answer_place(page, "sikasso", "bougouni", "6", "2")
    expect(block(page, "school")).to_be_visible()
    pick(page, "school", "yes")
    next_page(page)

    expect_section(page, TITLES["en"]["market"], 2, 2)
    # Only Sikasso's market and "None" are on the page: Kayes's is not sent at all.
    expect_choices(page, "market_town", ["sikasso_town", "none"])
    expect(choice(page, "market_town", "kayes_town")).to_have_count(0)
    expect(block(page, "market_town")).not_to_contain_text("Kayes")
    # A large household (a calculation saved on the first page) is asked about.
    expect(block(page, "large_note")).to_be_visible()
    assert_fits_the_phone(page)
    pick(page, "market_town", "sikasso_town")
    field(page, "large_note").fill("Three generations.")
    next_page(page)

    assert review_questions(page) == [
        LABELS["en"][name]
        for name in ("region", "District", "size", "adults", "school", "market_town")
    ] + [LABELS["en"]["large_note"]]
    expect(page.locator("main")).not_to_contain_text("Share of adults")
    # Nor any value of one (4 children, 33.3 % adults, a large household) among the answers.
    expect(page.locator(".summary-row dd")).to_have_text(
        ["Sikasso", "Bougouni", "6", "2", "Yes", "Sikasso", "Three generations."]
    )
    review_and_submit(page)

    saved = stored(app)
    assert saved["children"] == 4
    assert saved["share_adults"] == pytest.approx(100 / 3)
    assert saved["household"] == "large"
    assert saved["market_town"] == "sikasso_town"
    assert offsite_requests == []


def test_a_market_of_the_old_region_is_asked_again_when_the_region_is_changed(
    page: Page, app: Flask, base: str, offsite_requests: list[str]
):
    """Back from the review to the first page, the person picks the other region: the market
    of the old region is no longer their answer, and its page asks for one of the new region
    before the review."""
    start(page, base)
    answer_place(page, "kayes", "kita", "2", "2")
    next_page(page)
    pick(page, "market_town", "kayes_town")
    next_page(page)
    expect(review_answer(page, "market_town")).to_have_text("Kayes")

    page.get_by_role("link", name=f"Change {TITLES['en']['place']}").click()
    expect(page.locator("h1")).to_have_text(TITLES["en"]["place"])
    expect(choice(page, "District", "kita")).to_be_checked()
    pick(page, "region", "sikasso")
    expect(choice(page, "District", "kita")).not_to_be_checked()
    pick(page, "District", "bougouni")
    page.get_by_role("button", name="Save and return to the review").click()

    expect_section(page, TITLES["en"]["market"], 2, 2)
    expect_choices(page, "market_town", ["sikasso_town", "none"])
    expect(page.locator('#q-market_town input[name="market_town"]:checked')).to_have_count(0)
    assert "market_town" not in stored(app)
    pick(page, "market_town", "sikasso_town")
    next_page(page)
    expect(review_answer(page, "District")).to_have_text("Bougouni")
    expect(review_answer(page, "market_town")).to_have_text("Sikasso")
    review_and_submit(page)
    saved = stored(app)
    assert (saved["region"], saved["District"], saved["market_town"]) == (
        "sikasso",
        "bougouni",
        "sikasso_town",
    )
    assert offsite_requests == []


def test_the_questionnaire_says_what_is_missing_in_its_own_words(
    page: Page, base: str, offsite_requests: list[str]
):
    start(page, base)
    next_page(page)
    expect(page.locator(".error-summary")).to_be_focused()
    expect_error(page, "region", REGION_MESSAGE["en"])
    # A question without its own message still says the type's.
    expect_error(page, "District", interface_text("Select an answer.", "en"))
    expect_error(page, "size", interface_text("Enter an answer.", "en"))
    assert_fits_the_phone(page)
    assert offsite_requests == []


def test_the_questionnaire_says_what_is_missing_in_french(
    page: Page, base: str, offsite_requests: list[str]
):
    start(page, base, "fr")
    pick(page, "District", "elsewhere")
    field(page, "size").fill("2")
    field(page, "adults").fill("1")
    next_page(page, "fr")
    expect(page.locator(".error-summary h2")).to_have_text(
        interface_text("There is a problem", "fr")
    )
    expect_error(page, "region", REGION_MESSAGE["fr"], "fr")
    expect(page.locator(".error-summary li")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(REGION_MESSAGE["en"])
    expect(field(page, "size")).to_have_value("2")
    expect(choice(page, "District", "elsewhere")).to_be_checked()
    assert offsite_requests == []


def test_more_adults_than_people_is_refused_with_the_questionnaires_message(
    page: Page, base: str, offsite_requests: list[str]
):
    start(page, base)
    answer_place(page, "kayes", "bafoulabe", "3", "5")
    next_page(page)
    expect_error(page, "adults", TOO_MANY_ADULTS)
    expect(page.locator(".error-summary li")).to_have_count(1)
    expect(field(page, "size")).to_have_value("3")
    expect(field(page, "adults")).to_have_value("5")
    # The district list still follows the region sent back.
    expect(choice(page, "District", "bafoulabe")).to_be_checked()
    expect_choices(page, "District", ["bafoulabe", "kita", "elsewhere"])

    field(page, "adults").fill("3")
    next_page(page)
    expect_section(page, TITLES["en"]["market"], 2, 2)
    assert offsite_requests == []


def load_variant(app: Flask, folder: Path, slug: str, *changes: tuple[str, str]) -> None:
    """The survey under another slug, with each (old, new) text of its file replaced."""
    text = CASCADES.read_text(encoding="utf-8").replace(f"slug: {SLUG}", f"slug: {slug}")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    variant = folder / f"{slug}.yaml"
    variant.write_text(text, encoding="utf-8")
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire(session, variant)


def test_the_list_follows_the_region_on_a_page_without_conditions(
    page: Page, app: Flask, base: str, tmp_path: Path
):
    """The page script filters a list even where no question of the page has a condition."""
    load_variant(app, tmp_path, "cascades-only", ('        relevant: "children > 0"\n', ""))
    start(page, base, slug="cascades-only")
    expect(page.locator("[data-relevant]")).to_have_count(0)
    expect_choices(page, "District", ["elsewhere"])
    pick(page, "region", "kayes")
    expect_choices(page, "District", ["bafoulabe", "kita", "elsewhere"])


def test_a_list_of_several_answers_keeps_the_picks_still_shown_when_the_region_changes(
    page: Page, app: Flask, base: str, tmp_path: Path
):
    """Districts as a multiple choice, and a question for "Somewhere else": switching region
    unticks the old region's district only; "Somewhere else" and its question stay."""
    load_variant(
        app,
        tmp_path,
        "several-districts",
        (
            "      - id: District\n        type: single\n",
            "      - id: District\n        type: multiple\n",
        ),
        (
            "      - id: size\n",
            "      - id: where_else\n        type: text\n"
            '        label: {en: "Where else?", fr: "Où donc ?"}\n'
            "        relevant: \"'elsewhere' in District\"\n"
            "      - id: size\n",
        ),
    )
    start(page, base, slug="several-districts")
    where_else = block(page, "where_else")
    expect(where_else).to_be_hidden()
    pick(page, "region", "kayes")
    pick(page, "District", "kita")
    pick(page, "District", "elsewhere")
    expect(where_else).to_be_visible()

    pick(page, "region", "sikasso")
    expect(choice(page, "District", "kita")).not_to_be_checked()
    expect(choice(page, "District", "elsewhere")).to_be_checked()
    expect(where_else).to_be_visible()
    expect_choices(page, "District", ["bougouni", "koutiala", "elsewhere"])

    pick(page, "District", "koutiala")
    field(page, "where_else").fill("Ségou")
    field(page, "size").fill("2")
    field(page, "adults").fill("2")
    next_page(page)
    expect_section(page, TITLES["en"]["market"], 2, 2)
    saved = stored(app)
    assert saved["District"] == ["koutiala", "elsewhere"]
    assert saved["where_else"] == "Ségou"


# -- without JavaScript ------------------------------------------------------------------------


def test_without_javascript_the_districts_are_grouped_under_their_region(
    new_context, app: Flask, base: str, offsite_requests: list[str]
):
    page = without_script(new_context)
    start(page, base)
    expect_choices(page, "District", [*DISTRICTS["kayes"], *DISTRICTS["sikasso"], "elsewhere"])
    district = block(page, "District")
    headings = district.locator(".choice-group")
    expect(headings).to_have_text(["Kayes", "Sikasso"])
    for heading in headings.all():
        expect(heading).to_be_visible()
    # Under its heading on screen; named with its region for a screen reader, which skips the
    # heading.
    for region, label in (("Kayes", "Bafoulabé"), ("Sikasso", "Koutiala")):
        expect(district.get_by_role("radio", name=f"{region}: {label}", exact=True)).to_be_visible()
    expect(district.get_by_role("radio", name="Somewhere else", exact=True)).to_be_visible()
    kayes_group = district.locator(".choices").filter(has=page.locator("#f-District-kita"))
    expect(kayes_group.locator(".choice-group")).to_have_text("Kayes")
    assert_fits_the_phone(page)

    # A district of the other region: refused, everything typed and picked is kept.
    answer_place(page, "kayes", "koutiala", "4", "2")
    next_page(page)
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect_error(page, "District", NOT_SHOWN)
    expect(page.locator(".error-summary li")).to_have_count(1)
    expect(choice(page, "region", "kayes")).to_be_checked()
    expect(field(page, "size")).to_have_value("4")
    expect(field(page, "adults")).to_have_value("2")
    assert "District" not in stored(app)

    pick(page, "District", "bafoulabe")
    next_page(page)
    expect_section(page, TITLES["en"]["market"], 2, 2)
    # The region is saved now: the market list offers only its town (and "None").
    expect_choices(page, "market_town", ["kayes_town", "none"])
    expect(block(page, "market_town")).not_to_contain_text("Sikasso")
    pick(page, "market_town", "kayes_town")
    next_page(page)
    expect(review_answer(page, "District")).to_have_text("Bafoulabé")
    expect(review_answer(page, "market_town")).to_have_text("Kayes")
    review_and_submit(page)
    saved = stored(app)
    assert (saved["region"], saved["District"], saved["market_town"]) == (
        "kayes",
        "bafoulabe",
        "kayes_town",
    )
    assert saved["children"] == 2 and saved["household"] == "small"
    assert offsite_requests == []


def test_without_javascript_the_server_decides_on_the_calculation(
    new_context, app: Flask, base: str, offsite_requests: list[str]
):
    """`school` shows, but the server keeps its answer only when children > 0."""
    page = without_script(new_context)
    start(page, base)
    expect(block(page, "school")).to_be_visible()
    answer_place(page, "sikasso", "elsewhere", "2", "2")
    pick(page, "school", "yes")
    next_page(page)
    expect_section(page, TITLES["en"]["market"], 2, 2)
    assert "school" not in stored(app)
    assert stored(app)["children"] == 0
    assert offsite_requests == []


# -- accessibility -----------------------------------------------------------------------------


BLOCKING = {"serious", "critical"}


def violations(page: Page) -> list[str]:
    page.wait_for_load_state("load")
    results = Axe().run(page).response
    assert results.get("passes"), f"axe did not run: {results}"
    return [
        f"[{found['impact']}] {found['id']}: {found['help']} at "
        f"{[node['target'] for node in found['nodes']][:5]}"
        for found in results["violations"]
        if found.get("impact") in BLOCKING
    ]


def test_the_grouped_choices_pass_axe(page: Page, new_context, base: str):
    """With the page script (one region's districts) and as a browser without it shows them:
    grouped under the regions. axe needs scripts itself, so the page's own script is kept from
    loading instead of turning JavaScript off."""
    start(page, base)
    pick(page, "region", "kayes")
    expect(choice(page, "District", "kita")).to_be_visible()
    found = violations(page)
    next_page(page)
    expect(page.locator(".error-summary")).to_be_focused()
    found += violations(page)

    grouped = new_context().new_page()
    grouped.route("**/survey.js*", lambda route: route.abort())
    start(grouped, base)
    expect(grouped.locator("#q-District .choice-group")).to_have_count(2)
    expect(grouped.locator("#q-District .choice-group").first).to_be_visible()
    found += violations(grouped)
    next_page(grouped)
    expect(grouped.locator(".error-summary")).to_be_visible()
    found += violations(grouped)
    assert found == [], "\n".join(found)
