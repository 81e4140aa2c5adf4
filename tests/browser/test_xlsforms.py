"""Real XLSForm files, loaded as an admin loads them (`load_questionnaire` on the .xlsx), then
answered in Chromium on a 360 px wide phone like any other survey: the first section of each in
every language the form declares, its cascading choices with and without JavaScript, its
constraint messages, a place typed by hand, a note, and the Household form's refusal path.

The forms (tests/xlsform/workbook.py; SOURCES.md next to them says where they come from):
- mali_health.xlsx: one section of 15 questions, English and French; DISTRICT follows region
  (`choice_filter` `region =${region}`), Pcode must match `[a-zA-Z0-9]{11}`, NBRE_VILLAGE
  `. >= 0`; `location.longitude` and `location.latitude` are renamed `location_longitude_2`
  and `location_latitude_2` beside the place `location`.
- Household Energy Access and Usage Survey.xlsx: English and Igbo (`label::Igbo`: no
  interface catalog, so the interface stays English); its first section asks the enumerator,
  the date and consent; every group after it is relevant on consent = 'yes'; group A asks the
  country, the state or region that follows it and the required place `household_gps`.
- select_one_choices_test.xlsx (WFP Ethiopia FSOM): English only; name_I follows suboffice,
  zone follows region and wereda follows zone; the household counts of section ghc1 are
  `.<=7`.

The expected labels are read from the workbooks themselves (openpyxl), not from the platform's
conversion, so a label the reader loses or mixes up fails here.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.journey import (
    agree_and_start,
    assert_fits_the_phone,
    block,
    fill_section,
    label_for,
    next_page,
    review_and_submit,
    serve,
)
from tests.respond.helpers import stored
from tests.respondent import interface_text
from tests.xlsform.workbook import ETHIOPIA, HOUSEHOLD, MALI, MALI_ANSWERS

# What the page does: on SQLite only (see tests/conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.one_database]

MALI_SLUG = "mali-health"
HOUSEHOLD_SLUG = "household-energy-access-and-usage-survey"
ETHIOPIA_SLUG = "eth-fsom-final"
# Question ids the reader gave names it could not keep (FORMAT.md, "XLSForm").
RENAMED = {"location.longitude": "location_longitude_2", "location.latitude": "location_latitude_2"}
SHOWN_ANSWER = "Select one of the answers shown."
NOT_ALLOWED = "This answer is not allowed."
NOT_ALLOWED_FR = "Cette réponse n'est pas acceptée."


@functools.cache
def form_rows(form: Path, sheet: str = "survey") -> tuple[dict[str, Any], ...]:
    """The rows of a workbook's sheet, header → cell, as its author wrote them."""
    book = openpyxl.load_workbook(form, read_only=True)
    try:  # a read-only workbook keeps its file open until closed
        rows = book[sheet].iter_rows(values_only=True)
        headers = [str(cell or "").strip() for cell in next(rows)]
        return tuple(dict(zip(headers, row, strict=False)) for row in rows if any(row))
    finally:
        book.close()


def form_choices(form: Path, list_name: str, **columns: str) -> list[str]:
    """The names of list `list_name`'s choices whose `columns` hold the given values."""
    return [
        str(row["name"])
        for row in form_rows(form, "choices")
        if row["list name"] == list_name
        and all(row.get(column) == value for column, value in columns.items())
    ]


def form_label(form: Path, name: str, column: str) -> str:
    """The text in `column` (such as `label::French`) of the survey row named `name`."""
    for row in form_rows(form):
        if row.get("name") == name:
            return str(row[column]).strip()
    raise AssertionError(f"{form.name} has no row named {name!r}")


def asked_rows(form: Path, names: list[str]) -> list[dict[str, Any]]:
    return [row for row in form_rows(form) if row.get("name") in names]


@pytest.fixture
def mali(app: Flask, live_server: str) -> str:
    return serve(app, live_server, MALI)


@pytest.fixture
def household(app: Flask, live_server: str) -> str:
    return serve(app, live_server, HOUSEHOLD)


@pytest.fixture
def ethiopia(app: Flask, live_server: str) -> str:
    return serve(app, live_server, ETHIOPIA)


def start(page: Page, base: str, slug: str, first_title: str, language: str | None = None) -> None:
    """Welcome page (in `language` by ?lang=) → consent → the first section. The interface
    is English in a language without an interface catalog (Igbo)."""
    query = f"?lang={language}" if language else ""
    page.goto(f"{base}/s/{slug}{query}")
    agree_and_start(page, first_title, interface_language(language))


def interface_language(language: str | None) -> str:
    return language if language in ("fr", "es") else "en"


def shown_label(page: Page, question_id: str) -> Any:
    """The question's own label (a legend for choices and places, else the field's label)."""
    return block(page, question_id).locator("legend.label, label.label").first


def expect_labels(
    page: Page, form: Path, names: list[str], column: str, language: str | None
) -> None:
    """Every question `names` shows the label of `column` in the workbook, with "(optional)"
    in the interface's language after those the form does not require."""
    optional = interface_text("(optional)", interface_language(language))
    for row in asked_rows(form, names):
        question_id = RENAMED.get(row["name"], row["name"])
        label = str(row[column]).strip()
        if str(row["type"]).strip() == "note":  # its lines, without Markdown's bold markers
            shown = block(page, question_id).locator(".note").inner_text()
            assert " ".join(shown.split()) == " ".join(label.replace("**", "").split())
            continue
        required = str(row.get("required") or "").strip().lower() in ("yes", "true", "true()")
        expect(shown_label(page, question_id)).to_have_text(
            label if required else f"{label} {optional}"
        )


def choice(page: Page, question_id: str, code: str) -> Any:
    return page.locator(f'[id="f-{question_id}-{code}"]')


def expect_offered(page: Page, question_id: str, offered: list[str], refused: list[str]) -> None:
    for code in offered:
        expect(choice(page, question_id, code), code).to_be_visible()
    for code in refused:
        expect(choice(page, question_id, code), code).to_be_hidden()


def expect_error(page: Page, field: str, message: str, language: str = "en") -> None:
    """`message` beside the field and in the error summary at the top."""
    expect(page.locator(f'[id="e-{field}"]')).to_have_text(
        f"{interface_text('Error:', language)} {message}"
    )
    expect(page.locator(".error-summary")).to_contain_text(message)


def review_answer(page: Page, label: str) -> Any:
    row = page.locator(".summary-row").filter(has=page.locator("dt", has_text=label))
    return row.locator("dd")


# -- mali_health.xlsx ----------------------------------------------------------------------------

MALI_TITLE = "Mali Health Facilities"
MALI_QUESTIONS = [
    "Pcode",
    "region",
    "DISTRICT",
    "Code_CSREF",
    "STRUCTURE",
    "PCODE2",
    "TYPE",
    "NBRE_VILLAGE",
    "DISTANCE",
    "ACCESSIBILITIE",
    "Source",
    "obs",
    "location.longitude",
    "location.latitude",
    "location",
]
MALI_COLUMNS = {"en": "label::English", "fr": "label::French"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_mali_first_section_in_each_language(
    page: Page, app: Flask, mali: str, language: str, offsite_requests: list[str]
):
    start(page, mali, MALI_SLUG, MALI_TITLE, language)
    expect_labels(page, MALI, MALI_QUESTIONS, MALI_COLUMNS[language], language)
    expect(label_for(page, "f-TYPE-hospital")).to_have_text(
        {"en": "Hospital", "fr": "Hôpital"}[language]
    )
    expect(label_for(page, "f-ACCESSIBILITIE-no")).to_have_text({"en": "No", "fr": "Non"}[language])
    assert_fits_the_phone(page)
    fill_section(page, MALI_ANSWERS)
    assert_fits_the_phone(page)
    next_page(page, language)

    expect(review_answer(page, form_label(MALI, "DISTRICT", MALI_COLUMNS[language]))).to_have_text(
        "KENIEBA"
    )
    expect(review_answer(page, form_label(MALI, "location", MALI_COLUMNS[language]))).to_have_text(
        "12.8347, -11.3561"
    )
    review_and_submit(page, language)
    saved = stored(app)
    assert saved["Pcode"] == "ML0401KN001"
    assert (saved["region"], saved["DISTRICT"], saved["TYPE"]) == ("kayes", "kenieba", "hospital")
    assert saved["NBRE_VILLAGE"] == 12
    assert saved["location"] == {"latitude": 12.8347, "longitude": -11.3561}
    assert saved["location_longitude_2"] == "-11.3561"
    assert offsite_requests == []


def test_mali_districts_follow_the_region(page: Page, mali: str, offsite_requests: list[str]):
    start(page, mali, MALI_SLUG, MALI_TITLE)
    kayes = form_choices(MALI, "district", region="kayes")
    assert len(kayes) == 8
    nothing_yet = ["ansongo", "commune1", *kayes]
    expect_offered(page, "DISTRICT", [], nothing_yet)

    label_for(page, "f-region-kayes").check()
    expect_offered(page, "DISTRICT", kayes, ["ansongo", "commune1", "tombouctou", "sikasso"])
    expect(block(page, "DISTRICT").locator("input[type=radio]:visible")).to_have_count(len(kayes))
    label_for(page, "f-DISTRICT-kenieba").check()

    label_for(page, "f-region-gao").check()
    expect_offered(page, "DISTRICT", form_choices(MALI, "district", region="gao"), kayes)
    expect(choice(page, "DISTRICT", "kenieba")).not_to_be_checked()  # no longer offered
    label_for(page, "f-DISTRICT-ansongo").check()
    assert_fits_the_phone(page)
    next_page(page)
    expect(review_answer(page, "District")).to_have_text("ANSONGO")
    assert offsite_requests == []


def test_mali_without_javascript_groups_districts_and_refuses_another_regions(
    new_context, app: Flask, mali: str, offsite_requests: list[str]
):
    page = new_context(java_script_enabled=False).new_page()
    start(page, mali, MALI_SLUG, MALI_TITLE)
    groups = block(page, "DISTRICT").locator(".choice-group")
    expect(groups).to_have_text(
        [
            "BAMAKO",
            "GAO",
            "KAYES",
            "KOULIKORO",
            "KIDAL",
            "MOPTI",
            "SEGOU",
            "SIKASSO",
            "TIMBUKTU",
        ]
    )
    kayes = block(page, "DISTRICT").locator(".choices").filter(has_text="KAYES")
    expect(kayes.locator("label")).to_have_text(
        [f"KAYES: {name.upper()}" for name in form_choices(MALI, "district", region="kayes")]
    )
    label_for(page, "f-region-gao").check()
    label_for(page, "f-DISTRICT-kenieba").check()
    next_page(page)
    expect_error(page, "DISTRICT", SHOWN_ANSWER)
    expect(choice(page, "region", "gao")).to_be_checked()
    assert "DISTRICT" not in stored(app)

    label_for(page, "f-DISTRICT-ansongo").check()
    next_page(page)
    expect(page.locator("h1")).to_have_text("Check your answers before you submit")
    assert stored(app)["DISTRICT"] == "ansongo"
    assert offsite_requests == []


@pytest.mark.parametrize(("language", "message"), [("en", NOT_ALLOWED), ("fr", NOT_ALLOWED_FR)])
def test_mali_constraints_explain_a_wrong_code_and_a_negative_count(
    page: Page, app: Flask, mali: str, language: str, message: str
):
    start(page, mali, MALI_SLUG, MALI_TITLE, language)
    page.locator('[id="f-Pcode"]').fill("ML-04")  # not 11 letters and digits
    page.locator('[id="f-NBRE_VILLAGE"]').fill("-3")
    page.locator('[id="f-DISTANCE"]').fill("35")
    next_page(page, language)
    expect_error(page, "Pcode", message, language)
    expect_error(page, "NBRE_VILLAGE", message, language)
    expect(page.locator(".error-summary li")).to_have_count(2)
    expect(page.locator('[id="f-Pcode"]')).to_have_value("ML-04")
    expect(page.locator('[id="f-DISTANCE"]')).to_have_value("35")
    assert_fits_the_phone(page)

    page.locator('[id="f-Pcode"]').fill("ML0401KN001")
    page.locator('[id="f-NBRE_VILLAGE"]').fill("0")
    next_page(page, language)
    expect(page.locator("h1")).to_have_text(
        interface_text("Check your answers before you submit", language)
    )
    saved = stored(app)
    assert (saved["Pcode"], saved["NBRE_VILLAGE"], saved["DISTANCE"]) == ("ML0401KN001", 0, 35)


# -- Household Energy Access and Usage Survey.xlsx ----------------------------------------------

HOUSEHOLD_TITLE = "Household Energy Access and Usage Survey"
HOUSEHOLD_FIRST = ["enum_id", "survey_date", "intro_note", "consent"]
HOUSEHOLD_COLUMNS = {"en": "label::English", "ig": "label::Igbo"}
GROUP_A = "Household & Location"
GROUP_A_QUESTIONS = [
    "selected_country",
    "selected_state_region",
    "community_name",
    "household_size",
    "household_gps",
]


@pytest.mark.parametrize("language", ["en", "ig"])
def test_household_first_section_in_each_language(
    page: Page, app: Flask, household: str, language: str, offsite_requests: list[str]
):
    start(page, household, HOUSEHOLD_SLUG, HOUSEHOLD_TITLE, language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect_labels(page, HOUSEHOLD, HOUSEHOLD_FIRST, HOUSEHOLD_COLUMNS[language], language)
    expect(block(page, "no_thanks")).to_be_hidden()  # only once consent is "no"
    expect(page.get_by_role("button", name="Next")).to_be_visible()  # the interface is English
    assert_fits_the_phone(page)
    fill_section(page, {"enum_id": "EN-07", "survey_date": "2027-01-15", "consent": "yes"})
    next_page(page)

    expect(page.locator("h1")).to_have_text(GROUP_A)
    expect_labels(page, HOUSEHOLD, GROUP_A_QUESTIONS, HOUSEHOLD_COLUMNS[language], language)
    saved = stored(app)
    assert (saved["enum_id"], saved["survey_date"], saved["consent"]) == (
        "EN-07",
        "2027-01-15",
        "yes",
    )
    assert offsite_requests == []


@pytest.mark.parametrize("language", ["en", "ig"])
def test_household_note_shows_its_text_line_by_line(page: Page, household: str, language: str):
    start(page, household, HOUSEHOLD_SLUG, HOUSEHOLD_TITLE, language)
    note = block(page, "intro_note")
    written = form_label(HOUSEHOLD, "intro_note", HOUSEHOLD_COLUMNS[language])
    assert "**[Your Name]**" in written  # Markdown bold, as ODK shows it
    lines = [" ".join(line.replace("**", "").split()) for line in written.split("\n")]
    assert len(lines) == 6 and lines[3].startswith("•")
    expect(note.locator("p")).to_have_count(1)
    shown = note.locator("p").inner_text().split("\n")
    # Each bullet on its own line; the words without the Markdown markers around them.
    assert [" ".join(line.split()) for line in shown] == lines
    expect(note.locator("input, select, textarea, label, legend")).to_have_count(0)
    assert_fits_the_phone(page)


def test_household_refusal_ends_politely_and_skips_every_group(
    page: Page, app: Flask, household: str, offsite_requests: list[str]
):
    start(page, household, HOUSEHOLD_SLUG, HOUSEHOLD_TITLE)
    no_thanks = block(page, "no_thanks")
    expect(no_thanks).to_be_hidden()
    fill_section(page, {"enum_id": "EN-07", "survey_date": "2027-01-15"})
    label_for(page, "f-consent-no").check()
    expect(no_thanks).to_be_visible()
    expect(no_thanks).to_have_text(form_label(HOUSEHOLD, "no_thanks", "label::English"))
    label_for(page, "f-consent-yes").check()
    expect(no_thanks).to_be_hidden()
    label_for(page, "f-consent-no").check()
    next_page(page)

    # Straight to the review: none of the groups A to E applies.
    expect(page.locator("h1")).to_have_text("Check your answers before you submit")
    expect(page.locator(".review-section h2")).to_have_text([HOUSEHOLD_TITLE])
    expect(review_answer(page, "Do you voluntarily agree")).to_have_text("No")
    review_and_submit(page)
    saved = stored(app)
    assert saved["consent"] == "no"
    assert not {"selected_country", "household_gps", "primary_source"} & set(saved)
    assert offsite_requests == []


def household_group_a(page: Page, base: str) -> None:
    start(page, base, HOUSEHOLD_SLUG, HOUSEHOLD_TITLE)
    fill_section(page, {"enum_id": "EN-07", "survey_date": "2027-01-15", "consent": "yes"})
    next_page(page)
    expect(page.locator("h1")).to_have_text(GROUP_A)


def test_household_state_follows_the_country_and_the_place_is_typed(
    page: Page, app: Flask, household: str, offsite_requests: list[str]
):
    household_group_a(page, household)
    expect_offered(page, "selected_state_region", [], ["lagos", "ashanti"])
    label_for(page, "f-selected_country-nigeria").check()
    expect_offered(page, "selected_state_region", ["lagos", "enugu", "akwa_ibom"], ["ashanti"])
    label_for(page, "f-selected_state_region-lagos").check()
    label_for(page, "f-selected_country-ghana").check()
    expect_offered(page, "selected_state_region", ["ashanti", "brong_ahafo"], ["lagos"])
    expect(choice(page, "selected_state_region", "lagos")).not_to_be_checked()
    label_for(page, "f-selected_state_region-brong_ahafo").check()
    fill_section(page, {"community_name": "Techiman", "household_size": "6"})

    # The place is required: refused empty, then typed in the two boxes.
    next_page(page)
    expect_error(page, "household_gps", "Enter the latitude and the longitude.")
    expect(page.locator(".error-summary li")).to_have_count(1)
    expect(choice(page, "selected_state_region", "brong_ahafo")).to_be_checked()
    gps = block(page, "household_gps")
    gps.get_by_label("Latitude").fill("7,5833")
    gps.get_by_label("Longitude").fill("-1.9333")
    assert_fits_the_phone(page)
    next_page(page)
    expect(page.locator("h1")).to_have_text("Primary & Secondary Energy Sources")
    saved = stored(app)
    assert (saved["selected_country"], saved["selected_state_region"]) == (
        "ghana",
        "brong_ahafo",
    )
    assert saved["household_gps"] == {"latitude": 7.5833, "longitude": -1.9333}
    assert offsite_requests == []


def test_household_without_javascript_refuses_a_state_of_the_other_country(
    new_context, app: Flask, household: str, offsite_requests: list[str]
):
    page = new_context(java_script_enabled=False).new_page()
    household_group_a(page, household)
    groups = block(page, "selected_state_region").locator(".choice-group")
    expect(groups).to_have_text(["Ghana", "Nigeria"])
    fill_section(
        page,
        {
            "selected_country": "ghana",
            "selected_state_region": "lagos",
            "community_name": "Techiman",
            "household_size": "6",
            "household_gps__latitude": "7.5833",
            "household_gps__longitude": "-1.9333",
        },
    )
    next_page(page)
    expect_error(page, "selected_state_region", SHOWN_ANSWER)
    expect(page.locator(".error-summary li")).to_have_count(1)
    label_for(page, "f-selected_state_region-ashanti").check()
    next_page(page)
    expect(page.locator("h1")).to_have_text("Primary & Secondary Energy Sources")
    assert stored(app)["selected_state_region"] == "ashanti"
    assert offsite_requests == []


def test_household_cost_must_not_be_negative(page: Page, household: str):
    household_group_a(page, household)
    fill_section(
        page,
        {
            "selected_country": "nigeria",
            "selected_state_region": "enugu",
            "community_name": "Nsukka",
            "household_size": "4",
            "household_gps__latitude": "6.8567",
            "household_gps__longitude": "7.3958",
        },
    )
    next_page(page)
    fill_section(page, {"primary_source": "generator", "secondary_source": "solar"})
    next_page(page)
    expect(page.locator("h1")).to_have_text("Energy Access & Reliability")
    fill_section(
        page, {"rent_own": "own", "cost_solar_gen": "-250000", "cost_fuel_mentenance": "-1"}
    )
    next_page(page)
    expect_error(page, "cost_solar_gen", NOT_ALLOWED)
    expect_error(page, "cost_fuel_mentenance", NOT_ALLOWED)


# -- select_one_choices_test.xlsx (WFP Ethiopia FSOM) -------------------------------------------

ETHIOPIA_TITLE = "Ethiopia FSOM May 2016 final"
ETHIOPIA_FIRST = [
    "intro",
    "note",
    "Section_1",
    "suboffice",
    "name_I",
    "nameS",
    "telS",
    "region",
    "zone",
    "wereda",
    "Kebele",
    "vg",
    "a12",
]
ETHIOPIA_ANSWERS = {
    "suboffice": "2",  # Dessie
    "name_I": "9",  # Demeke Asefa, of Dessie
    "nameS": "Tiruye Mamo",
    "telS": "911234567",
    "region": "amhara",
    "zone": "9",  # North Wollo
    "wereda": "21",  # Raya Kobo, of North Wollo
    "Kebele": "Kebele 04",
    "vg": "Gobiye",
    "a12": "1",
}


def test_ethiopia_first_section(page: Page, app: Flask, ethiopia: str, offsite_requests: list[str]):
    start(page, ethiopia, ETHIOPIA_SLUG, ETHIOPIA_TITLE)
    expect_labels(page, ETHIOPIA, ETHIOPIA_FIRST, "label", None)
    assert_fits_the_phone(page)
    next_page(page)
    for required in ["suboffice", "name_I", "nameS", "region", "zone", "wereda", "a12"]:
        expect(page.locator(f'[id="e-{required}"]')).to_be_visible()
    fill_section(page, ETHIOPIA_ANSWERS)
    next_page(page)
    expect(page.locator("h1")).to_have_text("1.3 Household composition")
    saved = stored(app)
    assert {key: str(saved[key]) for key in ETHIOPIA_ANSWERS} == ETHIOPIA_ANSWERS
    assert offsite_requests == []


def test_ethiopia_zones_and_weredas_follow_the_region(
    page: Page, ethiopia: str, offsite_requests: list[str]
):
    start(page, ethiopia, ETHIOPIA_SLUG, ETHIOPIA_TITLE)
    label_for(page, "f-region-afar").check()
    expect_offered(page, "zone", ["1", "2", "3", "4", "5"], ["6", "9", "15", "38"])
    label_for(page, "f-zone-2").check()
    expect_offered(page, "wereda", ["3", "4", "5"], ["1", "21"])
    label_for(page, "f-region-amhara").check()
    expect_offered(page, "zone", ["6", "9", "14"], ["1", "2", "15"])
    expect(choice(page, "zone", "2")).not_to_be_checked()
    expect_offered(page, "wereda", [], ["3", "4", "5", "21"])
    label_for(page, "f-zone-9").check()
    expect_offered(page, "wereda", ["19", "20", "21"], ["3", "26"])
    label_for(page, "f-suboffice-3").check()
    expect_offered(page, "name_I", ["1", "2", "3", "4"], ["9", "39"])
    assert offsite_requests == []


def test_ethiopia_without_javascript_refuses_a_zone_of_another_region(
    new_context, app: Flask, ethiopia: str
):
    page = new_context(java_script_enabled=False).new_page()
    start(page, ethiopia, ETHIOPIA_SLUG, ETHIOPIA_TITLE)
    expect(block(page, "zone").locator(".choice-group")).to_have_text(
        ["Afar", "Amhara", "Oromiya", "SNNPR", "Somali", "Tigray"]
    )
    fill_section(page, {**ETHIOPIA_ANSWERS, "zone": "38"})  # Central, of Tigray
    next_page(page)
    expect_error(page, "zone", SHOWN_ANSWER)
    fill_section(page, {"zone": "9", "wereda": "21"})
    next_page(page)
    expect(page.locator("h1")).to_have_text("1.3 Household composition")
    assert stored(app)["zone"] == "9"


def test_ethiopia_household_counts_are_at_most_7(page: Page, app: Flask, ethiopia: str):
    start(page, ethiopia, ETHIOPIA_SLUG, ETHIOPIA_TITLE)
    fill_section(page, ETHIOPIA_ANSWERS)
    next_page(page)
    expect(page.locator("h1")).to_have_text("1.3 Household composition")
    counts = ["a13b1", "a13g1", "a13b2", "a13g2", "a13m1", "a13w1", "a13m2", "a13w2"]
    fill_section(page, {name: "1" for name in counts} | {"a13menov": "8", "a13wemov": "2"})
    next_page(page)
    expect_error(page, "a13menov", NOT_ALLOWED)
    expect(page.locator(".error-summary li")).to_have_count(1)
    page.locator('[id="f-a13menov"]').fill("7")
    next_page(page)
    expect(page.locator("h1")).not_to_have_text("1.3 Household composition")
    assert stored(app)["a13menov"] == 7
