"""The language layer: which language a page is in, and texts from questionnaire maps."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote_plus, urlencode

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations
from flask import g, has_app_context, request, session
from flask_babel import get_translations
from jinja2 import Environment
from markupsafe import Markup

from survey.message_catalogs import catalog_languages, language_tag

LANGUAGE_SESSION_KEY = "language"


def page_languages() -> tuple[str, ...]:
    """Languages the current page can be shown in (the survey's, or English elsewhere)."""
    return g.get("languages") or ("en",)


def select_locale() -> str:
    """?lang=xx, then the person's earlier choice, then the browser's, then the default."""
    languages = page_languages()
    asked = request.args.get("lang")
    if asked in languages:
        _remember_language(asked)
        return asked
    chosen = session.get(LANGUAGE_SESSION_KEY)
    if chosen in languages:
        return str(chosen)
    return _browser_choice(languages) or languages[0]


def locale_of_page() -> Locale:
    """`select_locale` as Flask-Babel's locale selector: the locale itself, parsed once per
    language (Flask-Babel parses a selector's text again for every request)."""
    return _locale(select_locale())


@functools.lru_cache(maxsize=64)
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def _browser_choice(languages: tuple[str, ...]) -> str | None:
    """The first of the browser's languages, in its order of preference, that the page has:
    "en-GB,fr;q=0.9" is English, even though "fr" matches exactly and "en-GB" does not. A
    language of a region (`pt_BR`) is had for its own tag ("pt-BR") and, when the page has no
    other of that language, for the language's ("pt", "pt-PT")."""
    if not request.headers.get("Accept-Language"):
        return None
    exact, by_language = _tags(languages)
    for tag, _quality in request.accept_languages:
        tag = tag.replace("_", "-").lower()
        language = tag.partition("-")[0]
        found = exact.get(tag) or exact.get(language) or by_language.get(language)
        if found is not None:
            return found
    return None


@functools.lru_cache(maxsize=64)
def _tags(languages: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """A page's languages by their lower-case tag, and by their language's (the first of each)."""
    exact = {language_tag(code).lower(): code for code in languages}
    by_language: dict[str, str] = {}
    for code in languages:
        by_language.setdefault(language_tag(code).lower().partition("-")[0], code)
    return exact, by_language


def remember_asked_language() -> None:
    """Keep a ?lang=xx choice even on a URL that only redirects (a resume link, say), so the
    page it leads to is in that language too."""
    asked = request.args.get("lang")
    if asked and asked in interface_languages():
        _remember_language(asked)


def _remember_language(language: str) -> None:
    """Keep the person's choice in their cookie; a choice already kept sends no new cookie (a
    page that sets none may be kept by a shared cache)."""
    if session.get(LANGUAGE_SESSION_KEY) != language:
        session[LANGUAGE_SESSION_KEY] = language


def interface_languages() -> tuple[str, ...]:
    """Languages the interface has a catalog for (English first): a folder per language."""
    return catalog_languages()


@dataclass(frozen=True)
class LanguageLink:
    """A language of the page's switcher: its code, BCP 47 tag and own name, and the address
    of this page in it (None for the language the page is in)."""

    code: str
    tag: str
    name: str
    url: str | None


def language_links(languages: Iterable[str]) -> tuple[LanguageLink, ...]:
    """This page in each of `languages`: the same path and query, with lang=<code>.

    A page shown in answer to a form (the welcome page after a refused start, say) sets
    `g.page_path` to the address that shows it, so a link never leads to a POST-only URL.
    """
    path = g.get("page_path")
    # The query belongs to the address asked for: kept when the page is that address.
    kept = (
        tuple((k, v) for k, v in request.args.items(multi=True) if k != "lang")
        if path in (None, request.path)
        else ()
    )
    path = path or request.path
    # The same for every page of one address and language: kept for the addresses of pages
    # (short, without a query), not for whatever long address a client may make up.
    made = _links if kept or len(path) > _KEPT_PATH_LENGTH else _kept_links
    return made(tuple(languages), path, kept, current_language())


_KEPT_PATH_LENGTH = 200


def _links(
    languages: tuple[str, ...], path: str, kept: tuple[tuple[str, str], ...], current: str
) -> tuple[LanguageLink, ...]:
    base = f"{path}?{urlencode(kept)}{'&' if kept else ''}lang="
    return tuple(
        LanguageLink(
            code,
            language_tag(code),
            language_name(code),
            None if code == current else base + quote_plus(code),
        )
        for code in languages
    )


_kept_links = functools.lru_cache(maxsize=1024)(_links)


def current_language() -> str:
    """The language of the page being rendered: decided once, at its first text (Flask-Babel
    keeps the locale it chose), and asked for again at every text of the page, hundreds of
    times, so kept as text in `g` too (where Flask-Babel keeps it)."""
    if not has_app_context():  # outside the app
        return "en"
    language = g.get(_LANGUAGE_KEY)
    if language is None:
        from flask_babel import get_locale

        language = str(get_locale() or "en")
        g.setdefault(_LANGUAGE_KEY, language)
    return str(language)


_LANGUAGE_KEY = "_page_language"
_TRANSLATIONS_KEY = "_page_translations"


def page_translations() -> NullTranslations:
    """The message catalog of the page being rendered, found once per request: Flask-Babel
    finds it again (context, domain, locale, cache) at each of the dozens of texts of a page,
    and keeps the locale it chose for the whole request anyway."""
    if not has_app_context():
        return get_translations()
    found = g.get(_TRANSLATIONS_KEY)
    if found is None:
        found = get_translations()
        g.setdefault(_TRANSLATIONS_KEY, found)
    return cast(NullTranslations, found)


def gettext(string: str, /, **variables: Any) -> str:
    """Flask-Babel's `gettext` (the page's translation, its %(name)s variables put in), reading
    `page_translations`: Flask-Babel's finds the catalog again (domain, context, locale, cache)
    at each call, and a respondent page's views and helpers make a dozen."""
    translated = page_translations().ugettext(string)
    return translated % variables if variables else translated


def install_template_gettext(environment: Environment) -> None:
    """Templates' `_`, `gettext`, `ngettext`, `pgettext` and `npgettext`, as Flask-Babel
    installs them (new-style: escaped, `%(name)s` variables), reading `page_translations`;
    `_`, the one nearly every text uses, is `_gettext`."""
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda string: page_translations().ugettext(string),
        ngettext=lambda singular, plural, n: page_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: page_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: page_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    environment.globals["_"] = _gettext


def _gettext(string: str, /, **variables: Any) -> Markup:
    """Templates' `_`: what Jinja's new-style `gettext` gives (the page's translation, escaped,
    its %(name)s variables put in and escaped), without the two calls through the template's
    context that Jinja's wrapper makes for each of a page's dozens of texts. Every template is
    HTML, escaped: the wrapper's case of a template that is not has no use here. A text
    without variables is the same every time for a catalog: made once (`_PLAIN`)."""
    translations = page_translations()
    if variables:
        return Markup(translations.ugettext(string)) % variables
    made = _PLAIN.get(translations)
    if made is None:
        made = _PLAIN.setdefault(translations, {})
    found = made.get(string)
    if found is None:
        found = Markup(translations.ugettext(string)) % {}
        if len(made) < _MOST_PLAIN:
            made[string] = found
    return found


# Templates' texts without variables, by catalog: a few hundred each (every template writes
# its texts as they are; the bound keeps one that did not from filling memory). A catalog
# lives as long as its app (Flask-Babel keeps it); the entry goes with it.
_MOST_PLAIN = 4096
_PLAIN: weakref.WeakKeyDictionary[NullTranslations, dict[str, Markup]] = weakref.WeakKeyDictionary()


@functools.lru_cache(maxsize=256)
def language_name(code: str, in_language: str | None = None) -> str:
    """A language's name in that language (how people find their own language in a list), or
    in `in_language` ("French" in English, "anglais" in French). Kept once found: every page's
    language switcher names each language, and Babel looks them up anew at each call."""
    try:
        name = Locale.parse(code).get_display_name(in_language or code)
    except (UnknownLocaleError, ValueError):
        return code
    # The first letter only: "português (Brasil)", not "Português (brasil)".
    return f"{name[:1].upper()}{name[1:]}" if name else code


def text(value: Mapping[str, str] | None, language: str | None = None) -> str:
    """A questionnaire text in the page's language, falling back to the survey's default."""
    if not value:
        return ""
    wanted = language or current_language()
    if value.get(wanted):
        return value[wanted]
    for fallback in page_languages():
        if value.get(fallback):
            return value[fallback]
    return next(iter(value.values()), "")
