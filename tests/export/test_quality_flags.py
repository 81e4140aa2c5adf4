"""The quality flags in every export format and in the codebook, against a known data set:
who must be flagged and who must not, read back with each format's own reader."""

from __future__ import annotations

import csv
import html
import io
import math
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
import pyreadstat
import pytest
from flask import Flask

from tests.admin.console import signed_in_client
from tests.admin.dashboards import add_response, dashboard, plain, survey_ids

STARTED = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
FLAGS = ("flag_speeder", "flag_straightlining")
MEMBER = {"involvement": "member"}
VARIED = {"finance": 1, "legal": 2, "knowledge": 3, "training": 4}

# channel -> (seconds to complete, answers, expected flag_speeder, expected flag_straightlining)
# With the 16 "plain" responses there are 21 complete ones, of median 1,000 s: a speeder is
# under 400 s (0.4 of it).
KNOWN: dict[str, tuple[int | None, dict[str, Any], int | None, int]] = {
    "speeder": (300, {**MEMBER, "obstacles": VARIED}, 1, 0),
    "at-the-line": (400, {**MEMBER, "obstacles": VARIED}, 0, 0),
    "straight": (1000, {**MEMBER, "obstacles": dict.fromkeys(VARIED, 2)}, 0, 1),
    "straight-elsewhere": (
        1000,
        {**MEMBER, "obstacles": VARIED, "participation": dict.fromkeys("abcd", 5)},
        0,
        1,
    ),
    "three-rows": (1000, {**MEMBER, "obstacles": {"finance": 2, "legal": 2, "knowledge": 2}}, 0, 0),
    "partial": (None, {**MEMBER, "obstacles": dict.fromkeys(VARIED, 9)}, 0, 1),
}
PLAIN = 16


def add_known(app: Flask, plain: int = PLAIN) -> None:
    ids = survey_ids(app)
    with app.extensions["survey_db"].writing() as session:
        for channel, (seconds, answers, _speeder, _straight) in KNOWN.items():
            status = "complete" if seconds is not None else "in_progress"
            add_response(
                session,
                ids,
                status=status,
                started=STARTED,
                seconds=seconds,
                channel=channel,
                answers=answers,
            )
        for _ in range(plain):
            add_response(
                session,
                ids,
                status="complete",
                started=STARTED,
                seconds=1000,
                channel="plain",
                answers={**MEMBER, "obstacles": VARIED},
            )


def expected(judged: bool = True) -> dict[str, tuple[int | None, int]]:
    flags = {
        channel: (speeder if judged else None, straight)
        for channel, (_seconds, _answers, speeder, straight) in KNOWN.items()
    }
    return {**flags, "plain": (0 if judged else None, 0)}


def number(value: Any) -> int | None:
    """A flag as read back: 0/1, None for empty (an empty string, NaN or None)."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def flags_by_channel(rows: list[dict[str, Any]]) -> dict[str, tuple[int | None, int | None]]:
    found: dict[str, set[tuple[int | None, int | None]]] = {}
    for row in rows:
        found.setdefault(row["channel"], set()).add(tuple(number(row[flag]) for flag in FLAGS))
    assert all(len(values) == 1 for values in found.values()), found
    return {channel: values.pop() for channel, values in found.items()}


def sheet(path: Path, name: str) -> list[list[Any]]:
    """The rows of one sheet of an XLSX file, the file closed again."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


def read_rows(fmt: str, path: Path) -> list[dict[str, Any]]:
    """Every row of an export file as a dict, by the format's own reader."""
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    if fmt == "xlsx":
        header, *values = sheet(path, "responses")
        return [dict(zip(header, row, strict=True)) for row in values]
    if fmt in ("sav", "dta"):
        read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        frame, _meta = read(str(path))
        return frame.to_dict("records")
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta", "parquet"])
def test_every_format_flags_exactly_the_speeders_and_straightliners(app, make_export, fmt):
    add_known(app)

    export, path = make_export(fmt, include_partial=True)
    rows = read_rows(fmt, path)

    assert flags_by_channel(rows) == expected()
    names = list(rows[0])
    # Right after the metadata, before the first question.
    assert names[names.index("last_section") + 1 : names.index("last_section") + 3] == list(FLAGS)


def test_with_fewer_than_20_complete_responses_the_speeder_flag_is_empty(app, make_export):
    add_known(app, plain=PLAIN - 2)  # 19 complete responses

    _export, path = make_export("csv", include_partial=True)

    assert flags_by_channel(read_rows("csv", path)) == expected(judged=False)


def test_speed_is_judged_against_every_complete_response_whatever_the_filter(app, make_export):
    add_known(app)

    _export, path = make_export("csv", channel="speeder")

    assert flags_by_channel(read_rows("csv", path)) == {"speeder": (1, 0)}


def test_the_codebook_gives_each_flag_its_rule(app, make_export):
    add_known(app)

    _export, path = make_export("xlsx")
    header, *entries = sheet(path, "codebook")
    codebook = {row[0]: dict(zip(header, row, strict=True)) for row in entries}

    speeder = codebook["flag_speeder"]
    assert "less than 40%" in speeder["question"]
    assert (
        "median time of the complete responses to its questionnaire version" in speeder["question"]
    )
    assert "fewer than 20 complete responses" in speeder["question"]
    straight = codebook["flag_straightlining"]
    assert (
        "same answer to every row of a grid question with at least 4 rows" in straight["question"]
    )
    for entry in (speeder, straight):
        assert entry["codes"] == "0: No; 1: Yes", entry


def test_the_rules_are_in_the_export_language_and_the_statistical_files(app, make_export):
    add_known(app)

    _export, package = make_export("zip", language="fr")
    with zipfile.ZipFile(package) as archive:
        codebook_csv = archive.read("codebook.csv").decode("utf-8")
    codebook = {row["variable"]: row for row in csv.DictReader(io.StringIO(codebook_csv))}
    assert "40" in codebook["flag_speeder"]["question"]
    assert codebook["flag_speeder"]["question"].startswith("Rapide")

    _export, sav = make_export("sav")
    _frame, meta = pyreadstat.read_sav(str(sav), metadataonly=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["flag_speeder"].startswith("Speeder: 1 for a complete response")
    assert meta.variable_value_labels["flag_straightlining"] == {0: "No", 1: "Yes"}


def test_flagged_responses_can_be_left_out_and_the_about_sheet_says_how_many(app, make_export):
    add_known(app)

    export, path = make_export("xlsx", include_partial=True, leave_out_flagged=True)
    rows = read_rows("xlsx", path)
    about = dict(row[:2] for row in sheet(path, "about"))

    kept = {channel for channel, flags in expected().items() if 1 not in flags}
    assert {row["channel"] for row in rows} == kept
    assert all(row["flag_speeder"] == 0 and row["flag_straightlining"] == 0 for row in rows)
    assert len(rows) == export.total == PLAIN + 2  # "plain" ones, "at-the-line", "three-rows"
    assert about["filter: leave_out_flagged"] == "True"
    assert about["responses left out as flagged"].startswith("4 ")
    assert about["responses exported"] == str(PLAIN + 2)
    assert about["responses with status complete"] == str(PLAIN + 2)
    assert "responses with status partial" not in about  # its one partial response was flagged


def test_leaving_out_flagged_is_off_by_default(app, make_export):
    add_known(app)

    _export, path = make_export("csv", include_partial=True)

    assert len(read_rows("csv", path)) == PLAIN + len(KNOWN)


# -- the dashboard counts the same responses ---------------------------------------------------


def test_the_dashboard_counts_the_flagged_as_the_export_flags_them(app, make_export, make_user):
    add_known(app)
    _export, path = make_export("csv", include_partial=True, include_screened_out=True)
    rows = read_rows("csv", path)
    exported = {flag: sum(row[flag] == "1" for row in rows) for flag in FLAGS}
    either = sum("1" in (row["flag_speeder"], row["flag_straightlining"]) for row in rows)

    page = dashboard(signed_in_client(app, *make_user("researcher")))

    assert exported == {"flag_speeder": 1, "flag_straightlining": 3}
    assert page.figure("speeders") == "1 (4.8 %)"  # of the 21 complete responses
    assert page.figure("straightlining") == "3 (13.6 %)"  # of the 22 started
    assert page.figure("flagged") == f"{either} (18.2 %)"
    text = plain(html.unescape(page.markup))
    assert "less than 40.0 % of the median time" in text
    assert "at least 4 rows answered" in text


def test_before_20_complete_responses_the_dashboard_judges_no_speeder(app, make_user):
    add_known(app, plain=PLAIN - 2)

    page = dashboard(signed_in_client(app, *make_user("researcher")))

    assert page.figure("speeders") == "–"
    assert "not judged yet" in page.markup
    assert page.figure("straightlining").startswith("3 ")


def test_a_partner_sees_the_flags_of_its_own_channel(app, make_user):
    add_known(app)

    speeders = dashboard(signed_in_client(app, *make_user("partner", channels=["speeder"])))
    straight = dashboard(signed_in_client(app, *make_user("partner", channels=["straight"])))

    assert speeders.figure("speeders").startswith("1 ")  # judged against the whole survey
    assert speeders.figure("straightlining").startswith("0 ")
    assert straight.figure("speeders").startswith("0 ")
    assert straight.figure("flagged").startswith("1 ")
