"""The survey in English, French and Spanish, over HTTP: which language a page is in, the
language switcher, answers kept across a switch, messages, country names, the stored language.

Questionnaire texts are read from the shipped YAML, interface texts from the catalogs
(survey/translations), so these tests follow both files rather than copies of their words.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from survey.questionnaire.schema import Section
from survey.questionnaire_store import load_questionnaire
from survey.settings import PROJECT_ROOT
from tests.respond.helpers import BASE, location, only_response, stored
from tests.respond.test_deadline_pages import CLOSES_AT
from tests.respond.test_journey import answered_up_to, started
from tests.respondent import (
    LANGUAGE_NAMES,
    MEMBER_ANSWERS,
    RESPONDENT_INTERFACE,
    Respondent,
    catalog,
    english_interface_texts,
    interface_plural,
    interface_text,
    shipped_questionnaire,
)

QUESTIONNAIRE = shipped_questionnaire()
TRANSLATED = ("fr", "es")
UNUSED_CODE = "K7QF-3MZP-9XWA"
# Clock of the tests: 15 January 2027; the survey closes on 26 May 2027 (Brussels).
MONTHS = {"en": ("January", "May"), "fr": ("janvier", "mai"), "es": ("enero", "mayo")}


# -- reading pages -----------------------------------------------------------------------------


def page_language(response) -> str:
    match = re.search(r'<html\b[^>]*\blang="([^"]*)"', response.get_data(as_text=True))
    assert match, "the page has no <html lang>"
    return match.group(1)


def fragment_text(fragment: str) -> str:
    """Markup as a person reads it: tags dropped, entities decoded, spacing made single (only
    ASCII spacing: the no-break spaces of French typography stay what they are)."""
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def page_text(response, *, countries: bool = True) -> str:
    """The page's text; without the country list if asked (its names hold words like "Man")."""
    raw = response.get_data(as_text=True)
    if not countries:
        raw = re.sub(r"<select\b.*?</select>", "", raw, flags=re.S)
    return fragment_text(raw)


def in_language(response, language: str, status: int = 200, **options: bool) -> str:
    """The page's text, once its status and its <html lang> are as expected."""
    assert response.status_code == status, (response.status_code, response.location)
    assert page_language(response) == language
    return page_text(response, **options)


def assert_no_english_interface(text: str, language: str) -> None:
    if language != "en":
        assert english_interface_texts(text, language) == []


def words(text: str) -> re.Pattern[str]:
    """`text` as whole words ("Transport" is not in "Transports")."""
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")


def assert_texts_in(text: str, texts: list[dict[str, str]], language: str) -> None:
    """Each questionnaire text shows in `language`; its English, where different, does not
    (unless the questionnaire quotes it in `language`, as a question quotes the campaign)."""
    for value in texts:
        assert value[language] in text, value[language]
        english = words(value["en"])
        quoted = any(english.search(other[language]) for other in every_text())
        if value["en"] != value[language] and not quoted:
            assert not english.search(text), f"English shown: {value['en']!r}"


def section_texts(section: Section) -> list[dict[str, str]]:
    """Every text of a section as the questionnaire gives it: title, intro, labels, choices."""
    texts = [section.title, *([section.intro] if section.intro else [])]
    for question in section.questions:
        texts.append(question.label)
        for item in (question.help, question.min_label, question.max_label):
            if item:
                texts.append(item)
        for choice in (*question.choices, *question.rows, *question.scale):
            texts.append(choice.label)
    return texts


@functools.cache
def every_text() -> list[dict[str, str]]:
    texts = [QUESTIONNAIRE.title, QUESTIONNAIRE.intro, QUESTIONNAIRE.consent_label]
    return texts + [text for section in QUESTIONNAIRE.sections for text in section_texts(section)]


def section_of(section_id: str) -> Section:
    section = QUESTIONNAIRE.section(section_id)
    assert section is not None
    return section


def label(question_id: str, language: str) -> str:
    return QUESTIONNAIRE.question(question_id).label[language]


def choice_label(question_id: str, code: str, language: str) -> str:
    choice = QUESTIONNAIRE.question(question_id).choice(code)
    assert choice is not None
    return choice.label[language]


def browser_prefers(client, language: str) -> None:
    """Every request of this client says the browser prefers `language`."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language


@dataclass
class Switcher:
    label: str
    links: dict[str, str]  # language name -> href
    current: list[str]  # names marked aria-current
    markup: str


def _attribute(attributes: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', attributes)
    return html.unescape(match.group(1)) if match else None


def switcher(response) -> Switcher:
    """The page's language switcher: the one <nav> that names the survey's languages."""
    raw = response.get_data(as_text=True)
    navs = [
        (attributes, body)
        for attributes, body in re.findall(r"<nav\b([^>]*)>(.*?)</nav>", raw, re.S)
        if all(name in body for name in LANGUAGE_NAMES.values())
    ]
    assert len(navs) == 1, "expected one <nav> naming English, Français and Español"
    attributes, body = navs[0]
    nav_label = _attribute(attributes, "aria-label")
    labelled_by = _attribute(attributes, "aria-labelledby")
    if nav_label is None and labelled_by:
        match = re.search(rf'id="{re.escape(labelled_by)}"[^>]*>(.*?)</', raw, re.S)
        nav_label = fragment_text(match.group(1)) if match else None
    links = {
        fragment_text(inner): _attribute(link, "href") or ""
        for link, inner in re.findall(r"<a\b([^>]*)>(.*?)</a>", body, re.S)
    }
    current = [
        fragment_text(inner)
        for _tag, _attributes, value, inner in re.findall(
            r'<(\w+)\b([^>]*\baria-current="([^"]*)"[^>]*)>(.*?)</\1>', body, re.S
        )
        if value != "false"
    ]
    return Switcher(nav_label or "", links, current, body)


def target(page_address: str, href: str) -> tuple[str, dict[str, list[str]]]:
    """Where a link on the page at `page_address` leads: (path, query parameters)."""
    parts = urlsplit(urljoin(f"http://localhost{page_address}", href))
    return parts.path, parse_qs(parts.query, keep_blank_values=True)


def address(path: str, query: dict[str, list[str]]) -> str:
    pairs = "&".join(f"{key}={value}" for key, values in query.items() for value in values)
    return f"{path}?{pairs}" if pairs else path


def back_link(response) -> str:
    match = re.search(r'<a class="back-link" href="([^"]+)"', response.get_data(as_text=True))
    assert match, "no Back link"
    return html.unescape(match.group(1))


def assert_shows_answers(response, answers: dict[str, Any]) -> None:
    """The section page shows each of `answers` ticked, selected or typed in."""
    raw = response.get_data(as_text=True)
    for field, value in answers.items():
        for one in value if isinstance(value, list) else [value]:
            shown = html.escape(one)
            if f'id="f-{field}-{shown}"' in raw:
                assert f'name="{field}" value="{shown}" checked' in raw, f"{field}={one} not ticked"
            elif f'<select class="select" id="f-{field}"' in raw:
                assert f'<option value="{shown}" selected>' in raw, f"{field}={one} not selected"
            else:
                typed = rf'name="{field}"[^>]*\bvalue="{re.escape(shown)}"|>{re.escape(shown)}<'
                assert re.search(typed, raw), f"{field}={one} not filled in"


# -- which language a page is in ---------------------------------------------------------------


def test_the_interface_texts_checked_are_the_english_catalogs():
    assert set(RESPONDENT_INTERFACE) <= set(catalog("en"))


def test_without_any_choice_pages_are_in_the_default_language(client):
    text = in_language(client.get(BASE), "en")
    assert QUESTIONNAIRE.title["en"] in text
    assert QUESTIONNAIRE.title["fr"] not in text


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("es-419,es;q=0.9", "es"),
        ("es-AR", "es"),
        ("de-DE,de;q=0.9,es;q=0.5,en;q=0.3", "es"),
        ("en-GB,fr;q=0.9", "en"),
        ("fr;q=0.2,es;q=0.8", "es"),
        ("de-CH,de;q=0.9", "en"),
        ("*", "en"),
    ],
)
def test_the_browsers_language_when_the_person_chose_none(client, accept_language, language):
    browser_prefers(client, accept_language)
    text = in_language(client.get(BASE), language)
    assert QUESTIONNAIRE.title[language] in text


def test_lang_in_the_address_wins_over_the_browsers_language(client):
    browser_prefers(client, "fr-FR,fr;q=0.9")
    in_language(client.get(f"{BASE}?lang=es"), "es")


def test_the_persons_choice_is_kept_on_every_later_page(app, client):
    browser_prefers(client, "fr-FR,fr;q=0.9")
    person = Respondent(client)
    assert location(person.start("?lang=es")).endswith(f"{BASE}/p/about_you")
    text = in_language(person.get(f"{BASE}/p/about_you"), "es")
    assert section_of("about_you").title["es"] in text
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    assert only_response(app).language == "es"
    in_language(person.get(f"{BASE}/p/involvement"), "es")
    in_language(person.get(BASE), "es")


def test_a_new_lang_replaces_the_earlier_choice(client):
    in_language(client.get(f"{BASE}?lang=es"), "es")
    in_language(client.get(f"{BASE}?lang=fr"), "fr")
    in_language(client.get(BASE), "fr")


@pytest.mark.parametrize("asked", ["de", "", "xx", "fr-xx-<script>", "en;fr"])
def test_a_language_the_survey_does_not_declare_is_ignored(client, asked):
    browser_prefers(client, "es-ES")
    in_language(client.get(BASE, query_string={"lang": asked}), "es")
    in_language(client.get(f"{BASE}?lang=fr"), "fr")
    in_language(client.get(BASE, query_string={"lang": asked}), "fr")  # the choice stays
    in_language(client.get(BASE), "fr")


def test_lang_on_a_resume_link_is_kept_after_its_redirect(app, client):
    """A resume link with ?lang=es, opened on another device, lands on a page in Spanish,
    although the address it opened only redirects."""
    person = started(client)
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    code = person.resume_code()
    other = Respondent(app.test_client())
    in_language(other.get(f"{BASE}/resume/{code}?lang=es"), "es")  # "Continue", in Spanish
    response = other.post(f"{BASE}/resume/{code}", {})
    assert location(response).endswith(f"{BASE}/p/involvement")
    in_language(other.get(location(response)), "es")


def test_lang_on_a_section_link_is_kept_after_its_redirect(client):
    response = client.get(f"{BASE}/p/about_you?lang=fr")  # not started: to the welcome page
    in_language(client.get(location(response)), "fr")


# -- every respondent page: its language and its switcher --------------------------------------


def _welcome(app, client, clock) -> tuple[Respondent, str, int]:
    return Respondent(client), BASE, 200


def _section(app, client, clock) -> tuple[Respondent, str, int]:
    person = started(client)
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    return person, f"{BASE}/p/involvement", 200


def _review(app, client, clock) -> tuple[Respondent, str, int]:
    person = started(client)
    person.answer_all(MEMBER_ANSWERS)
    return person, f"{BASE}/review", 200


def _thanks(app, client, clock) -> tuple[Respondent, str, int]:
    person, _path, _status = _review(app, client, clock)
    assert location(person.submit()).endswith(f"{BASE}/thanks")
    return person, f"{BASE}/thanks", 200


def _end(app, client, clock) -> tuple[Respondent, str, int]:
    person = started(client)
    person.save("about_you", {"age": "15", "country": "", "situation": []})
    return person, f"{BASE}/end", 200


def _withdraw(app, client, clock) -> tuple[Respondent, str, int]:
    return started(client), f"{BASE}/withdraw", 200


def _closed(app, client, clock) -> tuple[Respondent, str, int]:
    person = started(client)
    clock.now = CLOSES_AT + timedelta(hours=2)
    return person, BASE, 200


def _resume_link(app, client, clock) -> tuple[Respondent, str, int]:
    person = started(client)
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    return Respondent(app.test_client()), f"{BASE}/resume/{person.resume_code()}", 200


def _unknown_code(app, client, clock) -> tuple[Respondent, str, int]:
    return Respondent(client), f"{BASE}/resume/{UNUSED_CODE}", 404


def _participation(app, client, clock) -> tuple[Respondent, str, int]:
    return Respondent(client), f"{BASE}/participation", 200


PAGES: dict[str, Callable[..., tuple[Respondent, str, int]]] = {
    "welcome": _welcome,
    "section": _section,
    "review": _review,
    "thanks": _thanks,
    "end": _end,
    "withdraw": _withdraw,
    "closed": _closed,
    "resume link": _resume_link,
    "unknown resume code": _unknown_code,
    "participation": _participation,
}
# Pages that are the welcome page answering a resume code: their links lead to the welcome page.
SWITCHED_PAGES = [page for page in PAGES if page != "unknown resume code"]


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_respondent_page_is_in_the_language_asked_for(app, client, clock, page, language):
    person, path, status = PAGES[page](app, client, clock)
    text = in_language(person.get(f"{path}?lang={language}"), language, status)
    assert_no_english_interface(text, language)
    in_language(person.get(path), language, status)  # and stays so without ?lang


@pytest.mark.parametrize("page", SWITCHED_PAGES)
def test_every_respondent_page_has_a_switcher_of_plain_links(app, client, clock, page):
    person, path, status = PAGES[page](app, client, clock)
    english_label = switcher(person.get(f"{path}?lang=en")).label
    assert re.search("language", english_label, re.I), english_label

    page_address = f"{path}?lang=es"
    links = switcher(person.get(page_address))
    assert links.label == interface_text(english_label, "es")
    assert links.current == [LANGUAGE_NAMES["es"]]
    assert set(links.links) | set(links.current) == set(LANGUAGE_NAMES.values())
    assert "<script" not in links.markup and "onclick" not in links.markup
    for language in ("en", "fr"):
        link_path, query = target(page_address, links.links[LANGUAGE_NAMES[language]])
        assert link_path == path
        assert query["lang"] == [language]
        followed = person.get(address(link_path, query))
        in_language(followed, language, status)  # the same page, in that language
        assert switcher(followed).current == [LANGUAGE_NAMES[language]]


def test_the_switcher_on_an_unknown_resume_code_leads_to_the_welcome_page(client):
    page_address = f"{BASE}/resume/{UNUSED_CODE}?lang=es"
    links = switcher(client.get(page_address))
    assert links.current == [LANGUAGE_NAMES["es"]]
    link_path, query = target(page_address, links.links[LANGUAGE_NAMES["fr"]])
    assert (link_path, query) == (BASE, {"lang": ["fr"]})
    in_language(client.get(address(link_path, query)), "fr")


@pytest.mark.parametrize(
    ("path", "kept"),
    [("/p/cooperative", {"return": ["review"]}), ("", {"via": ["newsletter"]})],
)
def test_switcher_links_keep_the_other_parameters(client, path, kept):
    person = answered_up_to(client, "contact")
    page_address = address(f"{BASE}{path}", {**kept, "lang": ["es"]})
    links = switcher(person.get(page_address))
    for language in ("en", "fr"):
        link_path, query = target(page_address, links.links[LANGUAGE_NAMES[language]])
        assert link_path == f"{BASE}{path}"
        assert query == {**kept, "lang": [language]}


def test_a_section_changed_from_the_review_returns_to_it_after_a_switch(client):
    person = answered_up_to(client, "contact")
    person.save("contact", MEMBER_ANSWERS["contact"])
    page_address = f"{BASE}/p/cooperative?return=review"
    links = switcher(person.get(page_address))
    french = address(*target(page_address, links.links[LANGUAGE_NAMES["fr"]]))
    text = in_language(person.get(french), "fr")
    assert interface_text("Save and return to the review", "fr") in text
    response = person.post(french, MEMBER_ANSWERS["cooperative"])
    assert location(response).endswith(f"{BASE}/review")
    in_language(person.get(f"{BASE}/review"), "fr")


# -- switching in the middle keeps answers and place -------------------------------------------


NO_SCRIPT_NOTE = re.compile(r'<noscript><p class="languages-note">(.*?)</p></noscript>')


def test_a_section_says_without_the_page_script_that_a_switch_keeps_saved_answers(client):
    """The switch is a link: what is typed and not saved stays behind, unless the page script
    (which shows none of this) carries it. Browsers show <noscript> only without scripts."""
    note = (
        "Switching language keeps the answers you have saved. Press “Next” first to save this page."
    )
    person = answered_up_to(client, "cooperative")
    for language in ("en", "es"):
        page = person.get(f"{BASE}/p/cooperative?lang={language}").get_data(as_text=True)
        assert NO_SCRIPT_NOTE.findall(page) == [html.escape(interface_text(note, language))]
    for elsewhere in (BASE, f"{BASE}/review"):
        assert "languages-note" not in person.get(elsewhere).get_data(as_text=True)


def test_switching_language_mid_survey_keeps_answers_and_section(app, client):
    person = answered_up_to(client, "cooperative")  # About you and involvement, in English
    english_address = f"{BASE}/p/cooperative"
    english = person.get(english_address)
    assert page_language(english) == "en"

    french_link = switcher(english).links[LANGUAGE_NAMES["fr"]]
    french_address = address(*target(english_address, french_link))
    assert target(english_address, french_link)[0] == english_address
    french = person.get(french_address)
    text = in_language(french, "fr", countries=False)
    assert_texts_in(text, section_texts(section_of("cooperative")), "fr")
    assert interface_text("Section %(number)s of %(total)s", "fr", number=3, total=7) in text

    involvement = person.get(back_link(french))
    text = in_language(involvement, "fr", countries=False)
    assert_texts_in(text, section_texts(section_of("involvement")), "fr")
    assert_shows_answers(involvement, MEMBER_ANSWERS["involvement"])
    about_you = person.get(back_link(involvement))
    text = in_language(about_you, "fr", countries=False)
    assert_texts_in(text, section_texts(section_of("about_you")), "fr")
    assert_shows_answers(about_you, MEMBER_ANSWERS["about_you"])

    person.save("cooperative", MEMBER_ANSWERS["cooperative"])
    spanish = person.get(f"{BASE}/p/starting?lang=es")
    text = in_language(spanish, "es", countries=False)
    assert_texts_in(text, section_texts(section_of("starting")), "es")
    for section_id in ("starting", "participation", "future", "contact"):
        assert person.save(section_id, MEMBER_ANSWERS[section_id]).status_code == 302
    in_language(person.get(f"{BASE}/review"), "es")
    assert location(person.submit()).endswith(f"{BASE}/thanks")

    response = only_response(app)
    assert response.status == "complete"
    assert response.language == "es"
    answers = stored(app)
    assert answers["age"] == 27 and answers["country"] == "AR"
    assert answers["involvement"] == "member"
    assert answers["coop_type"] == "worker" and answers["federation_name"] == "FACTA"
    assert answers["obstacles"] == {"finance": 4, "legal": 9}
    assert answers["we_own_it"] == MEMBER_ANSWERS["future"]["we_own_it"]


@pytest.mark.parametrize(("first", "last"), [("fr", "fr"), ("en", "es"), ("es", "fr")])
def test_the_response_keeps_the_language_it_was_submitted_in(app, client, first, last):
    person = started(client, f"?lang={first}")
    person.answer_all({"about_you": MEMBER_ANSWERS["about_you"]})
    assert only_response(app).language == first
    person.answer_all(MEMBER_ANSWERS)
    in_language(person.get(f"{BASE}/review?lang={last}"), last)
    assert location(person.submit()).endswith(f"{BASE}/thanks")
    assert only_response(app).language == last


# -- questionnaire texts in the page's language ------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_page_of_the_journey_shows_its_texts_in_the_language(app, client, language):
    person = Respondent(client)
    welcome = in_language(person.get(f"{BASE}?lang={language}"), language)
    assert_no_english_interface(welcome, language)
    paragraphs = QUESTIONNAIRE.intro[language].split("\n\n")
    assert_texts_in(welcome, [QUESTIONNAIRE.title, QUESTIONNAIRE.consent_label], language)
    assert all(paragraph in welcome for paragraph in paragraphs)
    assert re.search(rf"26 (de )?{MONTHS[language][1]}", welcome)  # the deadline's month
    person.start()

    for section_id, answers in MEMBER_ANSWERS.items():
        text = in_language(person.get(f"{BASE}/p/{section_id}"), language, countries=False)
        assert_no_english_interface(text, language)
        assert_texts_in(text, section_texts(section_of(section_id)), language)
        assert person.save(section_id, answers).status_code == 302

    review = in_language(person.get(f"{BASE}/review"), language)
    assert_no_english_interface(review, language)
    shown = [section_of(section_id).title for section_id in MEMBER_ANSWERS]
    shown += [QUESTIONNAIRE.question(question).label for question in ("age", "involvement")]
    shown += [QUESTIONNAIRE.question("involvement").choices[0].label]  # "member"
    assert_texts_in(review, shown, language)
    assert review.count(interface_text("Change", language)) >= len(MEMBER_ANSWERS)

    person.submit()
    thanks = in_language(person.get(f"{BASE}/thanks"), language)
    assert_no_english_interface(thanks, language)
    assert interface_text("Thank you, your answers were submitted", language) in thanks
    assert re.search(rf"15 (de )?{MONTHS[language][0]}", thanks)  # when it was received


@pytest.mark.parametrize("language", TRANSLATED)
def test_please_specify_boxes_are_labelled_in_the_language(client, language):
    person = started(client, f"?lang={language}")
    boxes = 0
    for section_id, answers in MEMBER_ANSWERS.items():
        raw = person.get(f"{BASE}/p/{section_id}").get_data(as_text=True)
        for question in section_of(section_id).questions:
            if not question.other_choices:
                continue
            found = re.search(rf'<label[^>]*for="f-{question.other_field}"[^>]*>(.*?)</label>', raw)
            assert found, f"no label for {question.other_field}"
            assert fragment_text(found.group(1)) == interface_text("Please specify", language)
            boxes += 1
        person.save(section_id, answers)
    assert boxes >= 6


@pytest.mark.parametrize(
    ("language", "germany"), [("en", "Germany"), ("fr", "Allemagne"), ("es", "Alemania")]
)
def test_country_names_in_the_language_stored_as_the_code(app, client, language, germany):
    person = started(client, f"?lang={language}")
    raw = person.get(f"{BASE}/p/about_you").get_data(as_text=True)
    assert f'<option value="DE">{germany}</option>' in raw
    for other in {"Germany", "Allemagne", "Alemania"} - {germany}:
        assert other not in raw
    answers = {**MEMBER_ANSWERS["about_you"], "country": "DE"}
    assert person.save("about_you", answers).status_code == 302
    assert stored(app)["country"] == "DE"
    assert f'<option value="DE" selected>{germany}</option>' in person.get(
        f"{BASE}/p/about_you"
    ).get_data(as_text=True)
    person.answer_all({k: v for k, v in MEMBER_ANSWERS.items() if k != "about_you"})
    assert germany in page_text(person.get(f"{BASE}/review"))


# -- messages in the page's language -----------------------------------------------------------

Message = tuple[str, str]  # (as the page should show it, the English words)


def interface_message(msgid: str, language: str, **params: Any) -> Message:
    return interface_text(msgid, language, **params), msgid % params if params else msgid


def plural_message(singular: str, plural: str, num: int, language: str) -> Message:
    return interface_plural(singular, plural, num, language), (singular if num == 1 else plural) % {
        "num": num
    }


def questionnaire_message(value: dict[str, str], language: str) -> Message:
    return value[language], value["en"]


def summary_line(field: str, message: str, language: str) -> str:
    """How the error summary lists a field's message: after its question (a "Please specify"
    box named as such); a field that is no question (consent, say) by its message alone."""
    question_id = field.partition("__")[0]
    if question_id.endswith("_other") and not QUESTIONNAIRE.has_question(question_id):
        question = question_id.removesuffix("_other")
        named = f"{label(question, language)} ({interface_text('Please specify', language)})"
    elif QUESTIONNAIRE.has_question(question_id):
        named = label(question_id, language)
    else:
        return message
    return f"{named} — {message}"


def assert_errors_in(response, language: str, messages: dict[str, Message]) -> None:
    """A page in `language` whose error summary names each field with its message, which also
    shows beside the field; none of the messages in English."""
    text = in_language(response, language)
    assert_no_english_interface(text, language)
    raw = response.get_data(as_text=True)
    title = fragment_text(raw.split("<title>", 1)[1].split("</title>", 1)[0])
    assert title.startswith(interface_text("Error:", language)), title
    summary = raw.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert interface_text("There is a problem", language) in fragment_text(summary)
    lines = [fragment_text(line) for line in re.findall(r"<a href=\"#[^\"]+\">(.*?)</a>", summary)]
    assert len(lines) == len(messages), lines
    for field, (message, english) in messages.items():
        assert summary_line(field, message, language) in lines, (field, lines)
        beside = re.search(rf'<p class="error-message" id="e-{re.escape(field)}">(.*?)</p>', raw)
        assert beside, f"no message beside {field}"
        assert message in fragment_text(beside.group(1))
        if english != message:
            assert english not in text, f"English message shown: {english!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_an_empty_section_is_explained_in_the_language(app, client, language):
    person = started(client, f"?lang={language}")
    response = person.save("about_you", {})
    assert_errors_in(
        response,
        language,
        {
            "age": interface_message("Enter an answer.", language),
            "country": interface_message("Select an answer.", language),
            "situation": interface_message("Select at least one answer.", language),
        },
    )
    assert stored(app) == {}


RULES: list[tuple[str, dict[str, Any], str, Callable[[str], Message]]] = [
    (
        "about_you",
        {"age": "abc"},
        "age",
        lambda lang: interface_message("Enter a whole number, like 25.", lang),
    ),
    (
        "about_you",
        {"age": "100"},
        "age",
        lambda lang: interface_message(
            "Enter a number from %(min)s to %(max)s.", lang, min=10, max=99
        ),
    ),
    (
        "about_you",
        {"country": "ZZ"},
        "country",
        lambda lang: interface_message("Select a country from the list.", lang),
    ),
    (
        "about_you",
        {"situation_other": ""},
        "situation_other",
        lambda lang: interface_message("Please specify your answer.", lang),
    ),
    (
        "about_you",
        {"situation_other": "x" * 201},
        "situation_other",
        lambda lang: plural_message(
            "Use at most %(num)s character.", "Use at most %(num)s characters.", 200, lang
        ),
    ),
    (
        "cooperative",
        {"members_total": "5", "members_young": "7"},
        "members_young",
        lambda lang: questionnaire_message(
            QUESTIONNAIRE.question("members_young").constraints[0].message, lang
        ),
    ),
    (
        "cooperative",
        {"founded_year": "2028"},
        "founded_year",
        lambda lang: questionnaire_message(
            QUESTIONNAIRE.question("founded_year").constraints[0].message, lang
        ),
    ),
    (
        "starting",
        {"support_received": ["none", "federation"]},
        "support_received",
        lambda lang: interface_message(
            "'%(label)s' cannot be combined with other answers.",
            lang,
            label=choice_label("support_received", "none", lang),
        ),
    ),
    (
        "starting",
        {"motivations": ["create_job", "democracy", "shared_ownership", "values"]},
        "motivations",
        lambda lang: plural_message(
            "Select at most %(num)s answer.", "Select at most %(num)s answers.", 3, lang
        ),
    ),
    (
        "participation",
        {"participation__balance": ""},
        "participation__balance",
        lambda lang: interface_message(
            "Select an answer for “%(row)s”.",
            lang,
            row=next(
                row.label[lang]
                for row in QUESTIONNAIRE.question("participation").rows
                if row.code == "balance"
            ),
        ),
    ),
    (
        "contact",
        {"email": "not-an-address"},
        "email",
        lambda lang: interface_message("Enter an email address like name@example.org.", lang),
    ),
]


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize(
    ("section_id", "changes", "field", "message"),
    RULES,
    ids=[f"{section}-{field}-{index}" for index, (section, _c, field, _m) in enumerate(RULES)],
)
def test_rule_messages_in_the_language(client, language, section_id, changes, field, message):
    person = answered_up_to(client, section_id)
    in_language(person.get(f"{BASE}/p/{section_id}?lang={language}"), language)
    answers = {**MEMBER_ANSWERS[section_id], **changes}
    assert_errors_in(person.save(section_id, answers), language, {field: message(language)})


@pytest.mark.parametrize("language", TRANSLATED)
def test_screen_out_message_in_the_language(app, client, language):
    person = started(client, f"?lang={language}")
    response = person.save("about_you", {"age": "15", "country": "", "situation": []})
    assert location(response).endswith(f"{BASE}/end")
    text = in_language(person.get(f"{BASE}/end"), language)
    message = QUESTIONNAIRE.question("age").screen_out
    assert message is not None
    assert_texts_in(text, [message.message], language)
    assert interface_text("Thank you for your interest", language) in text
    assert only_response(app).status == "screened_out"


@pytest.mark.parametrize("language", TRANSLATED)
def test_welcome_resume_and_withdraw_messages_in_the_language(client, language):
    person = Respondent(client)
    person.get(f"{BASE}?lang={language}")
    no_consent = person.post(f"{BASE}/start", {})
    assert_errors_in(
        no_consent,
        language,
        {"consent": interface_message("Tick the box to agree before you start.", language)},
    )

    bad_code = person.get(f"{BASE}/resume?code=nope")
    text = in_language(bad_code, language, 400)
    message, english = interface_message(
        "Enter the 12-character resume code you were given, like K7QF-3MZP-9XWA.", language
    )
    assert message in text and english not in text
    unknown = in_language(person.get(f"{BASE}/resume/{UNUSED_CODE}"), language, 404)
    message, english = interface_message(
        "No answers were found for this resume code. Check the code and try again.", language
    )
    assert message in unknown and english not in unknown

    person = started(client)
    person.save("about_you", MEMBER_ANSWERS["about_you"])
    code = person.resume_code()
    person.get(f"{BASE}/withdraw")
    refused = person.post(f"{BASE}/withdraw", {"code": UNUSED_CODE})
    assert refused.status_code == 400
    assert page_language(refused) == language
    assert_no_english_interface(page_text(refused), language)
    for msgid in (
        "No answers were found for this resume code. Check the code and try again.",
        "Tick the box to confirm that your answers are deleted.",
    ):
        message, english = interface_message(msgid, language)
        assert message in page_text(refused) and english not in page_text(refused)

    done = person.post(f"{BASE}/withdraw", {"code": code, "confirm": "yes"})
    text = in_language(done, language)
    assert interface_text("Your answers were deleted", language) in text
    assert switcher(done).current == [LANGUAGE_NAMES[language]]


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_missing_section_page_is_in_the_language(client, language):
    person = started(client, f"?lang={language}")
    text = in_language(person.get(f"{BASE}/p/no_such_section"), language, 404)
    message, english = interface_message(
        "There is no page at this address. Check the link you followed.", language
    )
    assert message in text and english not in text


@pytest.mark.parametrize(
    ("language", "million"),
    [("en", "1,000,000"), ("fr", "1\u202f000\u202f000"), ("es", "1.000.000")],
)
def test_large_bounds_are_written_the_languages_way_and_years_stay_years(client, language, million):
    person = answered_up_to(client, "cooperative")
    in_language(person.get(f"{BASE}/p/cooperative?lang={language}"), language)
    answers = {**MEMBER_ANSWERS["cooperative"], "members_total": "2000000", "founded_year": "1700"}

    text = html.unescape(person.save("cooperative", answers).get_data(as_text=True))

    assert f" {million}" in text  # members_total: 1 to 1,000,000
    assert " 1844 " in text  # founded_year: from 1844, not "1,844"


@pytest.mark.parametrize("language", TRANSLATED)
def test_an_address_that_does_not_exist_answers_in_the_chosen_language(client, language):
    client.get(f"{BASE}?lang={language}")

    response = client.get(f"{BASE}/no-such-page")

    text = in_language(response, language, status=404)
    assert interface_text("Page not found", language) in text
    assert interface_text(
        "There is no page at this address. Check the link you followed.", language
    ) in html.unescape(text)


@pytest.mark.parametrize(
    ("language", "deadline"),
    [
        ("en", "26 May 2027, 00:00 (Europe/Brussels, UTC+02:00)"),
        ("fr", "26 mai 2027 à 00:00 (Bruxelles, UTC+02:00)"),
        ("es", "26 de mayo de 2027, 00:00 (Bruselas, UTC+02:00)"),
    ],
)
def test_the_deadline_reads_in_the_language_with_its_zone_and_offset(client, language, deadline):
    text = html.unescape(client.get(f"{BASE}?lang={language}").get_data(as_text=True))
    assert deadline in text.replace("\u202f", " ").replace("\u00a0", " ")


# -- a language of a region ------------------------------------------------------------------

REGIONAL = PROJECT_ROOT / "tests" / "questionnaires" / "regional-language.yaml"


@pytest.fixture
def regional(app, client):
    """The survey in English and `pt_BR`, loaded beside the shipped one; its welcome page."""
    with app.extensions["survey_db"].writing() as session:
        load_questionnaire(session, REGIONAL)
    return "/s/regional-language"


@pytest.mark.parametrize(
    ("accept_language", "tag", "title"),
    [
        ("pt-BR,pt;q=0.9", "pt-BR", "Trabalhando juntos"),
        ("pt", "pt-BR", "Trabalhando juntos"),
        ("pt-PT,en;q=0.5", "pt-BR", "Trabalhando juntos"),
        ("en-GB,pt-BR;q=0.9", "en", "Working together"),
        ("de-DE", "en", "Working together"),
    ],
)
def test_a_language_of_a_region_is_found_from_the_browsers_tags(
    client, regional, accept_language, tag, title
):
    browser_prefers(client, accept_language)
    response = client.get(regional)
    assert response.status_code == 200
    assert page_language(response) == tag  # HTML's tag (BCP 47), which Intl reads in the page
    assert title in page_text(response)


def test_the_switcher_links_a_language_of_a_region_by_its_tag(client, regional):
    response = client.get(f"{regional}?lang=pt_BR")
    assert page_language(response) == "pt-BR"
    link = re.search(r'<a href="([^"]*)" lang="([^"]*)" hreflang="([^"]*)"', response.text)
    assert link is not None and link.groups()[1:] == ("en", "en")
    assert "Português (Brasil)" in page_text(response)  # its own name, as Brazilians write it
    english = client.get(html.unescape(link.group(1)))
    assert page_language(english) == "en"
    back = re.search(r'<a href="([^"]*)" lang="pt-BR" hreflang="pt-BR"', english.text)
    assert back is not None and "lang=pt_BR" in html.unescape(back.group(1))
