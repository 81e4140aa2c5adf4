"""What an export says about itself, as text rows: the codebook and the facts (the `about`
sheet, the study package's README, SPSS notes, Parquet metadata)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from survey.export.flatten import Column
from survey.export.model import Export
from survey.export.names import NAME_RULE, spss_names, stata_names

STATA_MISSING_LETTERS = "abcdefghijklmnopqrstuvwxyz"
CODEBOOK_HEADER = (
    "variable",
    "question",
    "type",
    "measure",
    "codes",
    "missing",
    "relevance",
    "name in .sav",
    "name in .dta",
)


def stata_missing_letters(column: Column) -> dict[int, str]:
    """A column's missing-value numbers -> the letters of Stata's extended missing values
    (.a for the first, .b for the second ...): Stata has no user-missing numbers."""
    return {
        number: STATA_MISSING_LETTERS[index] for index, number in enumerate(column.missing_codes)
    }


def _codes_text(entry: dict[str, Any]) -> str:
    """'1 = worker: Worker cooperative; 2 = social: Social cooperative' (number = code: label);
    where number and code are the same: '1: Not an obstacle'."""
    parts = []
    for code in entry["codes"]:
        if str(code["number"]) == str(code["code"]):
            parts.append(f"{code['code']}: {code['label']}")
        else:
            parts.append(f"{code['number']} = {code['code']}: {code['label']}")
    return "; ".join(parts)


def _missing_text(entry: dict[str, Any]) -> str:
    if not entry["missing"]:
        return ""
    letters = ", ".join(
        f"{number} as .{STATA_MISSING_LETTERS[index]}"
        for index, number in enumerate(entry["missing"])
    )
    numbers = ", ".join(str(number) for number in entry["missing"])
    return f"{numbers} (user-missing in SPSS; in Stata {letters})"


def codebook_rows(export: Export) -> Iterator[list[str]]:
    """The codebook as text rows (header first), for the XLSX sheet and codebook.csv."""
    in_sav = spss_names(export.columns)
    in_dta = stata_names(export.columns)
    yield list(CODEBOOK_HEADER)
    for entry in export.codebook():
        yield [
            entry["variable"],
            entry["question"],
            entry["type"],
            entry["measure"],
            _codes_text(entry),
            _missing_text(entry),
            entry["relevance"],
            in_sav[entry["variable"]],
            in_dta[entry["variable"]],
        ]


def stata_missing_rows(export: Export) -> list[tuple[str, str]]:
    """How each missing-value code of the export is written in Stata, with the questions."""
    found: dict[tuple[int, str], list[str]] = {}
    for column in export.columns:
        for number, letter in stata_missing_letters(column).items():
            questions = found.setdefault((number, letter), [])
            question = column.question_id or column.name
            if question not in questions:
                questions.append(question)
    return [
        (
            f"missing-value code {number} in Stata (.dta)",
            f"written as the extended missing value .{letter}, labelled "
            f"(in {', '.join(questions)})",
        )
        for (number, letter), questions in found.items()
    ]


def facts(export: Export) -> list[tuple[str, str]]:
    """export.about() and what the writers add: how names and missing values are written in
    SPSS and Stata."""
    rows = list(export.about())
    rows += stata_missing_rows(export)
    rows.append(("variable names in .sav / .dta", NAME_RULE))
    return rows
