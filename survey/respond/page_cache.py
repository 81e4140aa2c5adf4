"""What a section page needs besides the stored answers, kept by each process for the moment
the database does not answer.

A section posted while the database is down is shown again with everything typed
(`survey.respond.unsaved`); the database cannot be read then, so the survey's display
attributes and schedule, and the parsed questionnaire versions, come from here. They are filled
whenever a page of the survey is served: parsed questionnaires never change once stored (a new
file is a new version), and a schedule a little out of date only changes the deadline shown on
a page that saves nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from threading import Lock

from flask import Flask, current_app
from flask.sansio.app import App

from survey.models import Survey
from survey.questionnaire.answers import is_field_of
from survey.questionnaire.schema import Questionnaire, Section

# Enough for every survey a server runs, and every version still being answered of each.
MOST_SURVEYS = 32
MOST_VERSIONS = 8
_EXTENSION = "survey_page_cache"


@dataclass(frozen=True)
class SurveyFacts:
    """A survey's attributes as its pages show them (its row, read when a page was served)."""

    id: int
    slug: str
    default_language: str
    opens_at: datetime | None
    closes_at: datetime | None
    timezone: str
    grace_minutes: int
    contact: str | None

    @classmethod
    def of(cls, survey: Survey) -> SurveyFacts:
        return cls(
            survey.id,
            survey.slug,
            survey.default_language,
            survey.opens_at,
            survey.closes_at,
            survey.timezone,
            survey.grace_minutes,
            survey.contact,
        )

    def survey(self) -> Survey:
        """A survey object pages can be built from; in no database session, it never queries."""
        return Survey(
            id=self.id,
            slug=self.slug,
            default_language=self.default_language,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            timezone=self.timezone,
            grace_minutes=self.grace_minutes,
            contact=self.contact,
        )


@dataclass(frozen=True)
class Served:
    """What was last served of one survey: its facts, and the questionnaires its pages showed
    (the one served last first)."""

    facts: SurveyFacts
    questionnaires: tuple[Questionnaire, ...]

    def section_for(
        self, section_id: str, fields: Iterable[str]
    ) -> tuple[Questionnaire, Section] | None:
        """The questionnaire and section a form with `fields` was posted from: the newest
        served one whose section has a place for every field, so no typed value is dropped."""
        names = list(fields)
        for questionnaire in self.questionnaires:
            section = questionnaire.section(section_id)
            if section is not None and all(is_field_of(section, name) for name in names):
                return questionnaire, section
        return None


class PageCache:
    """The per-process cache: slug -> Served, the surveys served longest ago dropped first."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._served: OrderedDict[str, Served] = OrderedDict()

    def remember(self, survey: Survey, questionnaire: Questionnaire) -> None:
        facts = SurveyFacts.of(survey)
        with self._lock:
            known = self._served.pop(survey.slug, None)
            if known is None:
                served = Served(facts, (questionnaire,))
            else:
                others = tuple(item for item in known.questionnaires if item is not questionnaire)
                served = replace(
                    known, facts=facts, questionnaires=(questionnaire, *others)[:MOST_VERSIONS]
                )
            self._served[survey.slug] = served
            while len(self._served) > MOST_SURVEYS:
                self._served.popitem(last=False)

    def recall(self, slug: str) -> Served | None:
        with self._lock:
            return self._served.get(slug)

    def clear(self) -> None:
        """Forget everything, as a freshly started process knows nothing."""
        with self._lock:
            self._served.clear()


def install(app: App) -> None:
    app.extensions.setdefault(_EXTENSION, PageCache())


def page_cache(app: Flask | None = None) -> PageCache:
    """The cache of `app` (the current app's when none is given)."""
    cache: PageCache = (app or current_app).extensions[_EXTENSION]
    return cache
