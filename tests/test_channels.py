"""Channel tags: what `?via=` records, and what a partner account may be given."""

from __future__ import annotations

import pytest

from survey import channels


def test_tags_are_checked_kept_once_and_sorted():
    assert channels.tags(["cicopa-americas", " cecop", "cecop", "fed_2.0:x"]) == (
        "cecop",
        "cicopa-americas",
        "fed_2.0:x",
    )
    assert channels.tags([]) == ()


@pytest.mark.parametrize("tag", ["", "-cecop", "cecop!", "a b", "é", "x" * 65])
def test_what_is_not_a_tag_is_refused_with_its_reason(tag):
    assert not channels.is_tag(tag)
    with pytest.raises(channels.ChannelError, match="is not a channel tag"):
        channels.tags(["cecop", tag])


def test_several_tags_typed_in_one_field():
    assert channels.split(" cecop, cicopa-americas  union,,") == [
        "cecop",
        "cicopa-americas",
        "union",
    ]
    assert channels.split("") == []
