"""What SPSS (.sav) and Stata (.dta) files share: which columns are numbers, categories as their
stable numbers, variable labels and value labels. The whole table, typed in compact columns, is
`survey.export.compact_columns`'s (imported only when such a file is written: it needs numpy).

Text stays exactly as it was answered: these files have no formulas.
"""

from __future__ import annotations

from survey.export.flatten import Column
from survey.export.model import Export


def is_numeric(column: Column) -> bool:
    """Numeric in SPSS and Stata: numbers, 0/1 and every column with value labels."""
    return column.numeric or column.is_categorical


def without_nul(text: str) -> str:
    """SPSS and Stata files end a text at a NUL: one in an answer stored before such answers
    were refused shows as U+FFFD (replacement character), and the rest of the text stays."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def variable_label(export: Export, column: Column, written: str) -> str:
    """The question text; led by the full variable name when the file's name is shorter."""
    label = export.label(column)
    return label if written == column.name else f"{column.name}: {label}"


def value_labels(export: Export, column: Column) -> dict[int | float, str]:
    """Stable number -> label in the export's language."""
    # Keyed as pyreadstat's value labels are (a dict, so the key type must match it).
    return {
        column.numbers.get(code, code): export.value_label(label)
        for code, label in column.value_labels
    }
