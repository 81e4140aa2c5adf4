"""A respondent driven over HTTP through the Flask test client, as a browser would."""

from __future__ import annotations

import functools
import gettext
import io
import re
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey.questionnaire.schema import Questionnaire, load_file
from survey.settings import PROJECT_ROOT
from tests.conftest import WE_OWN_IT

SLUG = "we-own-it"
# A respondent page's weight with an empty cache: bytes of HTML, CSS and JavaScript.
PAGE_WEIGHT_LIMIT = 75_000
TRANSLATIONS = PROJECT_ROOT / "survey" / "translations"
# Each in itself.
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "it": "Italiano",
}

# Valid answers for every section, for a member of a worker cooperative.
MEMBER_ANSWERS: dict[str, dict[str, Any]] = {
    "about_you": {
        "age": "27",
        "gender": "self_describe",
        "gender_other": "Genderfluid",
        "country": "AR",
        "education": "bachelor",
        "situation": ["worker_member", "other"],
        "situation_other": "Musician",
    },
    "involvement": {"involvement": "member"},
    "cooperative": {
        "coop_type": "worker",
        "sector": "digital",
        "founded_year": "2019",
        "members_total": "12",
        "members_young": "7",
        "role": ["founder", "worker_member"],
        "federation": "yes",
        "federation_name": "FACTA",
    },
    "starting": {
        "motivations": ["democracy", "shared_ownership", "create_job"],
        "obstacles__finance": "4",
        "obstacles__legal": "9",
        "support_received": ["federation", "other_coops"],
    },
    "participation": {
        "participation__voice_heard": "5",
        "participation__assemblies": "4",
        "participation__information": "4",
        "participation__young_leaders": "3",
        "participation__balance": "2",
        "governance_hours": "6",
    },
    "future": {
        "help_needed": ["education", "finance"],
        "recommend": "9",
        "we_own_it": "Coopérative Ñandú 合作社: we decide together.",
    },
    "contact": {"follow_up": "yes", "email": "ana@example.org"},
}

NOT_INVOLVED_ANSWERS: dict[str, dict[str, Any]] = {
    "about_you": {"age": "19", "country": "KE", "situation": ["student"]},
    "involvement": {"involvement": "none"},
    "future": {"help_needed": ["education"], "recommend": "5"},
    "contact": {"follow_up": "no"},
}

# What a person saved before going back to the first section and giving an age under 16 (which
# screens them out): a cooperative, and the participation grid all on one point (straightlining,
# had it applied).
SAVED_BEFORE_GOING_BACK: dict[str, dict[str, Any]] = {
    **{name: MEMBER_ANSWERS[name] for name in ("about_you", "involvement", "cooperative")},
    "starting": MEMBER_ANSWERS["starting"],
    "participation": {
        **{name: "3" for name in MEMBER_ANSWERS["participation"] if "__" in name},
        "governance_hours": "6",
    },
}


# A form's CSRF field, as the respondent's pages and the admin's (WTForms, attributes between)
# write it: for clients that read both.
FORM_TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Respondent:
    """One person with their own cookie jar."""

    def __init__(self, client: FlaskClient, slug: str = SLUG):
        self.client = client
        self.slug = slug
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(path, **kwargs)
        if response.status_code == 200 and b"csrf_token" in response.data:
            self.token = csrf_token(response.get_data(as_text=True))
        return response

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> TestResponse:
        return self.client.post(path, data={"csrf_token": self.token, **data}, **kwargs)

    def start(self, query: str = "") -> TestResponse:
        page = self.get(f"/s/{self.slug}{query}").get_data(as_text=True)
        assert f'action="/s/{self.slug}/start"' in page, "welcome page has no start form"
        return self.post(f"/s/{self.slug}/start", {"consent": "yes"})

    def save(self, section_id: str, answers: dict[str, Any]) -> TestResponse:
        self.get(f"/s/{self.slug}/p/{section_id}")
        return self.post(f"/s/{self.slug}/p/{section_id}", answers)

    def answer_all(self, answers: dict[str, dict[str, Any]]) -> None:
        for section_id, values in answers.items():
            response = self.save(section_id, values)
            assert response.status_code == 302, (section_id, response.get_data(as_text=True))

    def screened_out_after_going_back(self) -> None:
        """Save SAVED_BEFORE_GOING_BACK, then the first section again with an age under 16."""
        self.answer_all(SAVED_BEFORE_GOING_BACK)
        again = self.save("about_you", {**MEMBER_ANSWERS["about_you"], "age": "14"})
        assert again.headers["Location"].endswith(f"/s/{self.slug}/end"), again.status_code

    def submit(self) -> TestResponse:
        self.get(f"/s/{self.slug}/review")
        return self.post(f"/s/{self.slug}/submit", {})

    def resume_code(self) -> str:
        page = self.get(f"/s/{self.slug}").get_data(as_text=True)
        match = re.search(r'class="code"[^>]*>([0-9A-Z-]{14})<', page)
        assert match, "no resume code shown"
        return match.group(1)


# -- the survey in several languages -----------------------------------------------------------


@functools.cache
def shipped_questionnaire() -> Questionnaire:
    """The shipped questionnaire file, read once: the texts pages should show in each language."""
    return load_file(WE_OWN_IT)


@functools.cache
def _catalog_file(language: str) -> Catalog:
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"no interface catalog at {path.relative_to(PROJECT_ROOT)}"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@functools.cache
def _translations(language: str) -> gettext.GNUTranslations:
    """The catalog as the app reads it once compiled (fuzzy entries left out)."""
    compiled = io.BytesIO()
    write_mo(compiled, _catalog_file(language))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """msgid (a plural's singular) -> its translation in the interface catalog of `language`
    ("" while untranslated or fuzzy, as the compiled catalog leaves those out)."""
    result = {}
    for message in _catalog_file(language):
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        string = message.string[0] if isinstance(message.string, tuple) else message.string
        if msgid:
            result[msgid] = "" if message.fuzzy else str(string or "")
    return result


def _translated(msgid: str, language: str) -> None:
    assert catalog(language).get(msgid), f"{msgid!r} has no {language} translation in the catalog"


def interface_text(msgid: str, language: str, **params: Any) -> str:
    """An interface text as a page in `language` shows it: the catalog's translation, filled in."""
    if language == "en":
        shown = msgid
    else:
        _translated(msgid, language)
        shown = _translations(language).gettext(msgid)
    return shown % params if params else shown


def interface_plural(singular: str, plural: str, num: int, language: str, **params: Any) -> str:
    """A text with a number (`%(num)s`), in the plural form the catalog gives for `num`."""
    if language == "en":
        shown = singular if num == 1 else plural
    else:
        _translated(singular, language)
        shown = _translations(language).ngettext(singular, plural, num)
    return shown % {"num": num, **params}


# Interface texts of the respondent pages (msgids of the English catalog) that must not show in
# English on a page in another language. "WE OWN IT!" is the campaign's name in every language.
RESPONDENT_INTERFACE = (
    "Skip to main content",
    "Answer before:",
    "Deadline:",
    "Your consent",
    "Consent version %(version)s",
    "Start the survey",
    "Continue",
    "Continue with a resume code",
    "Resume code",
    "12 letters and digits, for example K7QF-3MZP-9XWA",
    "Back",
    "Section %(number)s of %(total)s",
    "(optional)",
    "Please specify",
    "Select a country",
    "Next",
    "Save and return to the review",
    "Your answers were not saved yet, press Next again",
    "Your resume code",
    "Write it down to come back later or continue on another device:",
    "Keep it: it is the only link between you and your answers, which are stored without your "
    "name.",
    "Delete my answers",
    "Check your answers before you submit",
    "Change",
    "Not answered",
    "When you submit, your answers are final.",
    "Submit my answers",
    "Thank you, your answers were submitted",
    "Received on %(when)s (%(zone)s, %(offset)s).",
    "Your answers count in the global study. You can close this page.",
    "See how many people have taken part",
    "How many people have taken part",
    "Responses submitted",
    "No one has submitted their answers yet.",
    "There is a problem",
    "Error:",
)


@functools.cache
def _as_shown(msgid: str) -> re.Pattern[str]:
    """A pattern matching `msgid` in a page's text: a short value for each placeholder (not a
    whole paragraph, which could hold the same words by chance), any spacing."""
    pieces = [re.escape(piece) for piece in re.split(r"%\(\w+\)s", msgid)]
    pattern = ".{1,30}?".join(pieces).replace(r"\ ", r"\s+")
    start = r"(?<!\w)" if msgid[0].isalnum() else ""
    end = r"(?!\w)" if msgid[-1].isalnum() else ""
    return re.compile(start + pattern + end)


def english_interface_texts(page_text: str, language: str) -> list[str]:
    """The RESPONDENT_INTERFACE texts that `page_text`, of a page in `language`, shows in English
    (a text translated by the same words, like "No" in Spanish, cannot leak)."""
    return [
        msgid
        for msgid in RESPONDENT_INTERFACE
        if interface_text(msgid, language) != msgid and _as_shown(msgid).search(page_text)
    ]
