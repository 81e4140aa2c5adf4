"""Questionnaires in the database: loading files as versions, finding surveys and their content."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, undefer

from survey.db import on_the_driver
from survey.deadline_rules import Schedule
from survey.models import QuestionnaireVersion, Survey, SurveyResponse
from survey.questionnaire.schema import (
    Places,
    Questionnaire,
    QuestionnaireError,
    fingerprint,
    load_text,
    read_source,
)


@dataclass(frozen=True)
class LoadResult:
    slug: str
    version: int
    created_survey: bool
    created_version: bool

    def describe(self) -> str:
        if self.created_survey:
            return f"{self.slug}: new survey, version {self.version}"
        if self.created_version:
            return f"{self.slug}: new version {self.version}"
        return f"{self.slug}: unchanged (version {self.version})"


@dataclass(frozen=True)
class QuestionnaireSource:
    """A questionnaire file's YAML text, the name its problems give, what the XLSForm reader
    changed on the way (nothing for a YAML file), where in the XLSForm each part of the text
    came from (for a YAML file: None, problems give its lines), and what it could not carry."""

    text: str
    name: str
    notes: tuple[str, ...] = ()
    places: Places | None = None
    warnings: tuple[str, ...] = ()  # whole lines: what the XLSForm has but is not carried over


def questionnaire_source(path: Path) -> QuestionnaireSource:
    """The YAML text of a questionnaire file; an `.xlsx` file is read as XLSForm and converted
    in memory. Raises QuestionnaireError listing every problem (for an XLSForm, every row it
    cannot carry over)."""
    if path.suffix.lower() != ".xlsx":
        return QuestionnaireSource(read_source(path), str(path))
    # Imported here: the XLSForm reader brings pyxform, openpyxl and numpy, a quarter of a
    # second at the start of every process, most of which never read an XLSForm.
    from survey.xlsform.reading import XLSFormError, read_xlsform

    try:
        conversion = read_xlsform(path)
    except XLSFormError as error:
        raise QuestionnaireError(error.problems) from None
    return QuestionnaireSource(
        conversion.yaml_text(),
        f"{path} (converted to YAML)",
        tuple(conversion.notes),
        conversion.places,
        tuple(conversion.warnings),
    )


def load_questionnaire(session: Session, path: Path) -> LoadResult:
    """Store a questionnaire file (YAML, or XLSForm `.xlsx`): a new survey, a new version, or
    nothing if unchanged.

    Raises QuestionnaireError if the file has problems. The file's schedule is applied only
    while no admin has changed the survey's schedule.
    """
    source = questionnaire_source(path)
    return store_questionnaire(session, source.text, path.name, source.name, source.places)


def store_questionnaire(
    session: Session,
    source: str,
    file_name: str,
    source_name: str,
    places: Places | None = None,
) -> LoadResult:
    """Store questionnaire YAML text as load_questionnaire does; `file_name` is kept with the
    version, `source_name` names the text in problems (a converted XLSForm has no file of its
    own: `places` names its sheets and rows instead)."""
    questionnaire = parsed(source, source_name, places)
    digest = fingerprint(source)
    survey = session.scalar(select(Survey).where(Survey.slug == questionnaire.slug))
    created_survey = survey is None
    if survey is None:
        survey = Survey(slug=questionnaire.slug, default_language=questionnaire.default_language)
        session.add(survey)
        _apply_schedule(survey, questionnaire.schedule)
        session.flush()
    latest = latest_version(session, survey)
    if latest is not None and latest.fingerprint == digest:
        return LoadResult(survey.slug, latest.version, False, False)
    number = 1 if latest is None else latest.version + 1
    session.add(
        QuestionnaireVersion(
            survey_id=survey.id,
            version=number,
            fingerprint=digest,
            source=source,
            source_name=file_name,
        )
    )
    survey.default_language = questionnaire.default_language
    if not survey.schedule_set_by_admin:
        _apply_schedule(survey, questionnaire.schedule)
    session.flush()
    return LoadResult(survey.slug, number, created_survey, True)


def _apply_schedule(survey: Survey, schedule: Schedule) -> None:
    survey.opens_at = schedule.opens_at
    survey.closes_at = schedule.closes_at
    survey.timezone = schedule.timezone
    survey.grace_minutes = schedule.grace_minutes
    survey.contact = schedule.contact


def latest_version(session: Session, survey: Survey) -> QuestionnaireVersion | None:
    return session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.survey_id == survey.id)
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )


# Namespace of the PostgreSQL advisory locks that order respondents' writes and schedule changes.
SURVEY_LOCK_NAMESPACE = 0x5355


def find_survey(session: Session, slug: str, *, lock: str | None = None) -> Survey | None:
    """The survey with `slug`, optionally locked for this transaction.

    `lock="share"` for a respondent's write, `lock="update"` for a schedule change: a change
    waits for the writes under way and later writes see it. On PostgreSQL this is a
    transaction-scoped advisory lock (fairly queued, unlike row share locks, which let a
    steady stream of readers starve a waiting writer); SQLite already serialises writers
    with BEGIN IMMEDIATE.
    """
    lock_survey(session, slug, lock)
    return session.scalar(select(Survey).where(Survey.slug == slug), execution_options=fresh(lock))


# Built once: every respondent page runs it (building it costs about as much as running it).
# The version's id and fingerprint only: its content is kept by fingerprint (`NewestVersion`),
# and loading the row as an object cost a page more than the rest of the survey's read.
_SURVEY_AND_NEWEST = (
    select(Survey, QuestionnaireVersion.id, QuestionnaireVersion.fingerprint)
    .outerjoin(QuestionnaireVersion, QuestionnaireVersion.survey_id == Survey.id)
    .where(Survey.slug == bindparam("slug"))
    .order_by(QuestionnaireVersion.version.desc())
    .limit(1)
)


def find_survey_and_version(
    session: Session, slug: str, *, lock: str | None = None
) -> tuple[Survey | None, NewestVersion | None]:
    """`find_survey` and its newest version in one query: every respondent page needs both."""
    lock_survey(session, slug, lock)
    row = session.execute(_SURVEY_AND_NEWEST, {"slug": slug}, execution_options=fresh(lock)).first()
    if row is None:
        return None, None
    return row[0], newest_read(session, row[0], row[1], row[2])


@dataclass(frozen=True)
class NewestVersion:
    """A survey's newest questionnaire version, as a respondent's page reads it with the
    survey: its id and fingerprint. Versions never change, and each process keeps their parsed
    content by fingerprint, so a page needs no more of the version's row than that."""

    id: int
    fingerprint: str


_NEWEST = "newest_versions"  # session.info: survey id -> NewestVersion


def newest_read(
    session: Session, survey: Survey, version_id: int | None, version_fingerprint: str | None
) -> NewestVersion | None:
    """A survey's newest version as a page read it (None: the survey has none), kept for the
    session's life: `newest_of` (a draft) and `questionnaire_of_response` (nearly every
    response is on it) then find it without a query."""
    if version_id is None or version_fingerprint is None:
        return None
    newest = NewestVersion(version_id, version_fingerprint)
    session.info.setdefault(_NEWEST, {})[survey.id] = newest
    return newest


def newest_of(session: Session, survey: Survey) -> tuple[int, Questionnaire] | None:
    """The id and content of the survey's newest version: as the page read it in this
    session if it did (one query fewer), else queried."""
    newest = session.info.get(_NEWEST, {}).get(survey.id)
    if newest is not None:
        return newest.id, questionnaire_of_newest(session, newest)
    version = latest_version(session, survey)
    if version is None:
        return None
    return version.id, questionnaire_of(version)


def questionnaire_of_response(session: Session, response: SurveyResponse) -> Questionnaire:
    """The content of the version a response was started on: the survey's newest, found as
    the page read it, or (a response started before a new version) its own, queried."""
    newest = session.info.get(_NEWEST, {}).get(response.survey_id)
    if newest is not None and newest.id == response.questionnaire_version_id:
        return questionnaire_of_newest(session, newest)
    return questionnaire_of(response.version)


def questionnaire_of_newest(session: Session, newest: NewestVersion) -> Questionnaire:
    """A newest version's content by its fingerprint, as kept by this process; the version's
    row is read only the first time the process meets it (`questionnaire_of`)."""
    found = _BY_FINGERPRINT.get(newest.fingerprint)
    if found is not None:
        return found
    # With its text, which a version read on its own leaves for a query of its own.
    version = session.get(
        QuestionnaireVersion, newest.id, options=[undefer(QuestionnaireVersion.source)]
    )
    if version is None:  # its survey deleted meanwhile
        raise LookupError(f"questionnaire version {newest.id} is gone")
    return questionnaire_of(version)


def fresh(lock: str | None) -> Mapping[str, bool]:
    """A locked read replaces what the session may hold of the survey already. Built once:
    SQLAlchemy merges a statement's options given at each run (none for most pages)."""
    return _FRESH if lock is not None else _AS_READ


_FRESH: Mapping[str, bool] = MappingProxyType({"populate_existing": True})
_AS_READ: Mapping[str, bool] = MappingProxyType({})


def lock_survey(session: Session, slug: str, lock: str | None) -> None:
    """On PostgreSQL, take the survey's lock before its row is read, so the read sees what the
    lock's last holder committed (a survey's slug never changes: the lock is keyed by it).
    Taken through psycopg itself: its result is never read, and a page's writes take it every
    time (through SQLAlchemy it cost a third more of the CPU a short write transaction takes)."""
    if lock is None or session.get_bind().dialect.name != "postgresql":
        return
    with on_the_driver(session.connection()) as driver:
        driver.execute(_LOCKS[lock], (SURVEY_LOCK_NAMESPACE, _lock_key(slug)), prepare=True)


@lru_cache(maxsize=256)
def _lock_key(slug: str) -> int:
    return int.from_bytes(hashlib.blake2b(slug.encode(), digest_size=4).digest(), signed=True)


_LOCKS = {
    "share": "SELECT pg_advisory_xact_lock_shared(%s, %s)",
    "update": "SELECT pg_advisory_xact_lock(%s, %s)",
}


def all_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.slug)))


# Parsed stored versions by fingerprint, the oldest parsed dropped first past _KEPT_VERSIONS.
_BY_FINGERPRINT: OrderedDict[str, Questionnaire] = OrderedDict()
_KEPT_VERSIONS = 64


def questionnaire_of(version: QuestionnaireVersion) -> Questionnaire:
    """The parsed content of a stored version. Versions never change, and texts with one
    fingerprint mean the same: each is parsed once per process, its text (deferred) read from
    the database only then, so a page does not fetch and hash the whole file."""
    found = _BY_FINGERPRINT.get(version.fingerprint)
    if found is None:
        found = parsed(version.source, f"{version.source_name} (stored version)")
        _BY_FINGERPRINT[version.fingerprint] = found
        while len(_BY_FINGERPRINT) > _KEPT_VERSIONS:
            _BY_FINGERPRINT.popitem(last=False)
    return found


@lru_cache(maxsize=64)
def parsed(source: str, source_name: str, places: Places | None = None) -> Questionnaire:
    """A questionnaire's text, parsed once per distinct text: parsing and checking a file takes
    a tenth of a second, and a Questionnaire never changes once made."""
    return load_text(source, source_name, places)


def schedule_of(survey: Survey) -> Schedule:
    return Schedule(
        survey.opens_at, survey.closes_at, survey.timezone, survey.grace_minutes, survey.contact
    )


def questionnaire_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.yaml") if path.is_file())
