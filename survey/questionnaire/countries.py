"""ISO 3166-1 countries: codes from pycountry, names in each language from Babel's CLDR data."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError

COUNTRY_CODES: frozenset[str] = frozenset(country.alpha_2 for country in pycountry.countries)


def sort_key(name: str) -> str:
    """A name as an alphabetical list sorts it in any language: case and accents aside."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=16)
def country_names(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name) pairs sorted by name as a reader of `language` expects."""
    territories: Mapping[str, str]
    try:
        territories = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        territories = {}
    pairs: list[tuple[str, str]] = []
    for country in pycountry.countries:
        name = territories.get(country.alpha_2) or getattr(country, "common_name", country.name)
        pairs.append((country.alpha_2, str(name)))
    return tuple(sorted(pairs, key=lambda pair: sort_key(pair[1])))


def country_name(code: str, language: str) -> str:
    """The name of one country in `language`, or the code itself if unknown."""
    return dict(country_names(language)).get(code, code)
