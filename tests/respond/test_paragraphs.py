"""How a note's text is cut into paragraphs and lines on the page (display.paragraphs)."""

from survey.respond.display import paragraphs


def test_blank_lines_part_paragraphs_and_single_breaks_stay_lines():
    written = "Hello,\nMy name is Ada.  \n  • 20 minutes\r\n\n \nThank you.\n"
    assert paragraphs(written) == [["Hello,", "My name is Ada.", "• 20 minutes"], ["Thank you."]]


def test_one_line_is_one_paragraph_and_nothing_is_none():
    assert paragraphs("Only this.") == [["Only this."]]
    assert paragraphs(" \n\n ") == []
