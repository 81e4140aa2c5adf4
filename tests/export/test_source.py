"""Reading responses for an export: batches in order, every response once, the next batch read
in the background without ever outliving the export."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC

import pytest
from flask import Flask

from survey.export import source
from survey.export.source import ExportOptions, read_ahead
from survey.questionnaire_store import find_survey
from tests.export.conftest import Population

EVERYONE = ExportOptions(include_partial=True, include_screened_out=True)


def _records(app: Flask, options: ExportOptions, batch_size: int) -> list[source.ResponseRecord]:
    with app.extensions["survey_db"].reading() as session:
        survey = find_survey(session, "we-own-it")
        assert survey is not None
        versions = source.versions_of(session, survey)
        return [
            record for record, _ in source.records(session, survey, options, versions, batch_size)
        ]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
def test_every_response_once_in_start_order_whatever_the_batch_size(
    app: Flask, population: Population, batch_size: int
):
    records = _records(app, EVERYONE, batch_size)

    people = sorted(population.people.values(), key=lambda person: person.started_at)
    assert [record.response_id for record in records] == [person.response_id for person in people]
    for record, person in zip(records, people, strict=True):
        assert record.started_at == person.started_at
        assert record.started_at.tzinfo is UTC
        assert record.status == {"partial": "in_progress"}.get(person.status, person.status)
        assert record.late is person.late
        assert record.channel == person.channel


def test_batches_carry_answers_sections_and_submission_times(app: Flask, population: Population):
    by_id = {record.response_id: record for record in _records(app, EVERYONE, 2)}

    member = by_id[population["member"].response_id]
    assert member.answers["country"] == "AR"
    assert member.answers["situation"] == ["worker_member", "other"]
    assert member.answers["obstacles"]["finance"] == 4
    assert "email" not in member.answers  # personal data only when asked for
    assert set(member.completed_sections) >= {"about_you", "involvement", "future"}
    assert member.submitted_at is not None and member.submitted_at.tzinfo is UTC
    assert member.submitted_at > member.started_at

    partial = by_id[population["partial"].response_id]
    assert partial.submitted_at is None
    assert sorted(partial.completed_sections) == ["about_you", "involvement"]


def test_personal_answers_join_the_answers_only_when_asked(app: Flask, population: Population):
    options = ExportOptions(include_partial=True, with_personal_data=True)
    by_id = {record.response_id: record for record in _records(app, options, 2)}

    assert by_id[population["member"].response_id].answers["email"] == "ana@example.org"
    assert "email" not in by_id[population["not_involved"].response_id].answers


def test_read_ahead_gives_every_item_in_order():
    assert list(read_ahead(iter(range(50)))) == list(range(50))
    assert list(read_ahead(iter([]))) == []


def test_read_ahead_raises_the_producers_error_in_the_consumer():
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("the database went away")

    items = read_ahead(failing())
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="went away"):
        next(items)


def test_read_ahead_stops_reading_when_the_consumer_stops():
    produced: list[int] = []

    def counting() -> Iterator[int]:
        for number in range(1000):
            produced.append(number)
            yield number

    before = threading.active_count()
    items = read_ahead(counting())
    assert next(items) == 0
    items.close()  # the writer failed, or the export was abandoned
    time.sleep(0.3)

    assert len(produced) <= 3  # the item in hand, one waiting, one being read: never the rest
    assert threading.active_count() == before
