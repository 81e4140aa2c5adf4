"""Real XLSForm files (read from the shared folder, never changed) and small hand-made ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

# Copied byte for byte from public projects (tests/data/xlsform/SOURCES.md): their flaws are
# the point.
REAL = Path(__file__).resolve().parents[1] / "data" / "xlsform"
MALI = REAL / "mali_health.xlsx"
HOUSEHOLD = REAL / "Household Energy Access and Usage Survey.xlsx"
ETHIOPIA = REAL / "select_one_choices_test.xlsx"
BIOMASS = REAL / "UCL_Biomass_Plot_Form.xlsx"
# A whole answer to mali_health's one section, by field name, as a browser posts it.
MALI_ANSWERS = {
    "Pcode": "ML0401KN001",
    "region": "kayes",
    "DISTRICT": "kenieba",
    "Code_CSREF": "CSR0401",
    "STRUCTURE": "bafoulabe_central",
    "PCODE2": "ML04012",
    "TYPE": "hospital",
    "NBRE_VILLAGE": "12",
    "DISTANCE": "35",
    "ACCESSIBILITIE": "no",
    "Source": "cluster_nutrition",
    "obs": "Route coupée en saison des pluies",
    "location_longitude_2": "-11.3561",
    "location_latitude_2": "12.8347",
    "location__latitude": "12.8347",
    "location__longitude": "-11.3561",
}


EN, FR = "label::English (en)", "label::French (fr)"


def xlsform(
    path: Path,
    survey: list[dict[str, Any]],
    choices: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    *,
    list_header: str = "list_name",
) -> Path:
    """An .xlsx with the given rows (each a dict of header → cell; headers in first-seen
    order); `list_header` spells the choices sheet's list column."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "survey", survey)
    if choices is not None:
        _sheet(book, "choices", [_renamed(row, list_header) for row in choices])
    if settings is not None:
        _sheet(book, "settings", [settings])
    book.save(path)
    return path


def _renamed(row: dict[str, Any], list_header: str) -> dict[str, Any]:
    return {list_header if key == "list_name" else key: value for key, value in row.items()}


def _sheet(book: Workbook, title: str, rows: list[dict[str, Any]]) -> None:
    sheet = book.create_sheet(title)
    headers = list(dict.fromkeys(key for row in rows for key in row))
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])


def gaps(tmp_path: Path) -> Path:
    """A form the reader converts and the checks refuse: a text missing in one language on
    every sheet, and survey_keys with values the format does not take."""
    return xlsform(
        tmp_path / "gaps.xlsx",
        [
            {"type": "begin group", "name": "about", EN: "About"},
            {"type": "integer", "name": "age", EN: "Age?", FR: "Âge ?"},
            {
                "type": "select_one yn",
                "name": "member",
                EN: "Member?",
                FR: "Membre ?",
                "hint::English (en)": "If you are one.",
            },
            {
                "type": "integer",
                "name": "children",
                EN: "Children?",
                FR: "Enfants ?",
                "constraint": ". < 30",
                "constraint_message::English (en)": "Fewer than 30.",
            },
            {
                "type": "text",
                "name": "story",
                EN: "Story",
                FR: "Histoire",
                "survey_keys": json.dumps({"max_length": "long"}),
            },
            {"type": "end group"},
            {"type": "note", "name": "bye", FR: "Au revoir"},
        ],
        [
            {"list_name": "yn", "name": "yes", EN: "Yes", FR: "Oui"},
            {"list_name": "yn", "name": "no", EN: "No"},
        ],
        {
            "form_title": "Gaps",
            "form_id": "gaps",
            "survey_keys": json.dumps({"schedule": {"timezone": "Mars/Olympus"}}),
        },
    )


def questions(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every question of converted data by id."""
    return {q["id"]: q for section in data["sections"] for q in section["questions"]}
