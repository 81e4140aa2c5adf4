"""An export in the making: check the options, gather columns and facts, name the file, and
hand the `Export` to its format's writer (see survey.export.formats).

Rows come from the database in batches as the writer pulls them, so no format needs the whole
table in memory unless its library does (SPSS, Stata: there in compact typed columns, see
statistical.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from survey import stats
from survey.export import flatten, formats, rows, source
from survey.export.model import Export, ExportError, ReportProgress
from survey.export.source import ExportOptions, Versions
from survey.models import Survey


def check(versions: Versions, options: ExportOptions, slug: str) -> None:
    """ExportError when `options` cannot be met for a survey with these `versions`."""
    formats.get(options.format)
    if not versions.numbers:
        raise ExportError(f"survey {slug!r} has no questionnaire loaded")
    latest = versions.latest
    language = options.language or latest.default_language
    if language not in latest.languages:
        raise ExportError(
            f"language {language!r} is not one of the survey's: {', '.join(latest.languages)}"
        )
    if options.country and not versions.country_questions():
        raise ExportError(
            f"survey {slug!r} has no country question (none of type country, nor one named "
            "by `analysis: country` in its questionnaire): it cannot be filtered by country"
        )


def prepare(
    session: Session,
    survey: Survey,
    options: ExportOptions,
    *,
    now: datetime,
    progress: ReportProgress | None = None,
) -> Export:
    """Everything an export needs, with rows read lazily from `session` as they are written."""
    versions = source.versions_of(session, survey)
    check(versions, options, survey.slug)
    latest = versions.latest
    export_columns = flatten.columns(
        versions.ordered(),
        with_personal_data=options.with_personal_data,
        speeder_fraction=latest.speeder_fraction,
    )
    # Judged against every complete response of the survey, whatever the export's filters.
    paces = stats.paces(session, survey)
    make_row = rows.row_maker(export_columns, paces, latest.speeder_fraction)
    flagged: dict[str, str] = {}
    if options.leave_out_flagged:
        flagged = source.flagged(session, survey, options, versions, paces, latest.speeder_fraction)
    counts = source.status_counts(session, survey, options, versions)
    for status in flagged.values():
        counts[status] -= 1

    batch_size = (
        source.WHOLE_TABLE_BATCH_SIZE
        if formats.get(options.format).whole_table
        else source.BATCH_SIZE
    )

    def values() -> Iterator[list[Any]]:
        for record, questionnaire in source.records(
            session, survey, options, versions, batch_size, leave_out=flagged
        ):
            yield make_row(record, questionnaire)

    return Export(
        survey_slug=survey.slug,
        options=options,
        language=options.language or latest.default_language,
        default_language=latest.default_language,
        columns=export_columns,
        total=source.count(session, survey, options, versions) - len(flagged),
        counts={status: number for status, number in counts.items() if number},
        exported_at=now,
        questionnaire_version=max(versions.numbers.values()),
        _rows=values,
        progress=progress,
        country_question=", ".join(versions.country_questions()) or None,
        left_out_flagged=len(flagged) if options.leave_out_flagged else None,
    )


def file_name(slug: str, fmt: str, now: datetime) -> str:
    """survey, UTC time and format; no user text beyond the (validated) slug."""
    safe_slug = re.sub(r"[^a-z0-9-]", "-", slug.lower())
    declared = formats.get(fmt)
    return f"{safe_slug}_{now:%Y%m%dT%H%M%SZ}{declared.file_suffix}.{declared.extension}"


def write(export: Export, path: Path, *, name: str | None = None) -> Path:
    """Write `export` to `path` in its format; `name` is the one the file is delivered under
    when `path` is a temporary file's (a study package names its CSV after it)."""
    formats.get(export.options.format).write(replace(export, file_name=name), path)
    return path
