"""What condition text may use: the names and functions it knows, the limits it must keep to,
and the error for text that does not."""

CURRENT_YEAR = "current_year"
# Conditions people write are short and shallow; longer or deeper text is refused before it
# is parsed or walked (Python's parser and our own walks recurse once per level).
MAX_LENGTH = 2000
MAX_DEPTH = 40
# How much of a refused condition a message quotes.
QUOTED_LENGTH = 60
# Numbers beyond this size are refused in the text and give no value when worked out.
LARGEST_NUMBER = 1e15
# A pattern of regex() is short, and may take this long to match one answer; a pattern that
# backtracks for longer (a hostile one) counts as no match.
MAX_PATTERN_LENGTH = 500
PATTERN_SECONDS = 0.05
# Functions and how many arguments each takes.
FUNCTIONS = {"answered": 1, "count_selected": 1, "string_length": 1, "regex": 2, "today": 0}


class ConditionError(ValueError):
    """A condition that cannot be parsed or refers to something that does not exist."""
