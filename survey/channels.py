"""Channels: the `?via=<tag>` of the link a respondent came by, kept as the response's channel.

One definition of what a tag may be, for the links respondents follow and for the channels a
partner account is given. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The whole tag, and nothing else: letters, digits and _ . : - , at most 64 characters.
TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
# How several tags are typed in one field: separated by commas or spaces.
_SEPARATORS = re.compile(r"[\s,]+")


class ChannelError(ValueError):
    """A tag that cannot be a channel; the message says which and why."""


def is_tag(text: str) -> bool:
    """Whether `text` is a whole channel tag (as `?via=` takes it)."""
    return TAG.fullmatch(text) is not None


def tags(given: Iterable[str]) -> tuple[str, ...]:
    """The channel tags given, each checked, without repeats, in alphabetical order."""
    found = set()
    for item in given:
        tag = item.strip()
        if not is_tag(tag):
            raise ChannelError(
                f"{tag!r} is not a channel tag: letters, digits and _ . : - only, "
                "starting with a letter or a digit, at most 64 characters"
            )
        found.add(tag)
    return tuple(sorted(found))


def split(text: str) -> list[str]:
    """The tags typed in one field, separated by commas or spaces."""
    return [item for item in _SEPARATORS.split(text) if item]
