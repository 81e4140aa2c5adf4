"""Language names of XLSForm columns (`label::English (en)`, `label::French`) as the language
codes the questionnaire format uses (`en`, `fr`, `pt_BR`)."""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError

# The format's codes: ISO 639 (two or three letters), optionally a region (`pt_BR`).
CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
# "English (en)", "Português (pt-BR)": the code XLSForm asks for, in parentheses at the end.
_CODE_IN_NAME = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?)\s*\)\s*$")


def language_code(name: str) -> str | None:
    """The code of a language column's name, or None when it cannot be told."""
    name = " ".join(name.split())
    match = _CODE_IN_NAME.search(name)
    if match:
        return _normalised(match.group(1))
    code = _normalised(name)
    if code is not None and code.split("_")[0] in _english_names():
        return code
    key = name.casefold()
    return _by_english_name().get(key) or _by_own_name().get(key)


def _normalised(text: str) -> str | None:
    """`pt-BR`, `PT_br` → `pt_BR`; None if it is not shaped like a code."""
    parts = re.split(r"[-_]", text.strip())
    if len(parts) > 2:
        return None
    code = parts[0].lower() + (f"_{parts[1].upper()}" if len(parts) == 2 else "")
    return code if CODE.match(code) else None


@functools.cache
def _english_names() -> dict[str, str]:
    """Babel's language codes (without regions) and their names in English."""
    return {
        code: name
        for code, name in Locale("en").languages.items()
        if CODE.match(code) and "_" not in code
    }


@functools.cache
def _by_english_name() -> dict[str, str]:
    return {name.casefold(): code for code, name in _english_names().items()}


@functools.cache
def _by_own_name() -> dict[str, str]:
    """Languages by their own name ("Français", "Kiswahili"), for names English does not use;
    read only when the English names did not match (it loads every locale Babel has)."""
    found: dict[str, str] = {}
    for code in _english_names():
        try:
            own = Locale.parse(code).get_language_name(code)
        except (UnknownLocaleError, ValueError):
            continue
        if own:
            found.setdefault(own.casefold(), code)
    return found
