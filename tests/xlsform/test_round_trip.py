"""YAML → XLSForm → YAML gives the same questionnaire: the same ids, codes, types, labels in
every language and keys, and conditions, constraints and calculations that decide the same way
on the same answers (checked on many random sets of answers)."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyxform.xls2xform import convert

from survey.questionnaire import flow
from survey.questionnaire.conditions import Condition
from survey.questionnaire.model import Question, Questionnaire
from survey.questionnaire.schema import load_file, load_text
from survey.xlsform.reading import read_xlsform
from survey.xlsform.writing import write_xlsform
from tests.xlsform.workbook import ETHIOPIA, HOUSEHOLD, MALI

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    ROOT / "questionnaires" / "we-own-it.yaml",
    Path(__file__).with_name("every-kind.yaml"),
    *sorted((ROOT / "tests" / "questionnaires").glob("*.yaml")),
]
TODAY = date(2027, 3, 15)
SAMPLES = 400


def round_trip(path: Path, tmp_path: Path) -> tuple[Questionnaire, Questionnaire]:
    original = load_file(path)
    workbook = tmp_path / f"{original.slug}.xlsx"
    write_xlsform(original, workbook)
    conversion = read_xlsform(workbook)
    assert conversion.left_out == []
    assert conversion.warnings == []  # the rows made again from their questions: as written
    return original, load_text(conversion.yaml_text(), f"{original.slug}.yaml")


@pytest.fixture(scope="module", params=FILES, ids=lambda path: path.stem)
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    return round_trip(request.param, tmp_path_factory.mktemp("round-trip"))


def without_conditions(value: Any) -> Any:
    """A model object as plain data, each condition replaced by a marker (conditions are
    compared by what they decide, below)."""
    if isinstance(value, Condition):
        return "<condition>"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: without_conditions(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if item.compare
        }
    if isinstance(value, tuple | list):
        return [without_conditions(item) for item in value]
    if isinstance(value, dict):
        return {key: without_conditions(item) for key, item in value.items()}
    return value


def test_the_same_questionnaire_comes_back(pair: tuple[Questionnaire, Questionnaire]):
    original, back = pair
    assert without_conditions(back) == without_conditions(original)


def test_every_condition_is_still_there(pair: tuple[Questionnaire, Questionnaire]):
    original, back = pair
    assert conditions_of(back).keys() == conditions_of(original).keys()


def test_conditions_decide_the_same_way_on_the_same_answers(
    pair: tuple[Questionnaire, Questionnaire],
):
    original, back = pair
    chance = random.Random(original.slug)
    mine, theirs = conditions_of(original), conditions_of(back)
    for _ in range(SAMPLES):
        answers = random_answers(original, chance)
        assert flow.prune(back, answers, TODAY) == flow.prune(original, answers, TODAY)
        for place, condition in mine.items():
            expected = condition.value(answers, TODAY)
            got = theirs[place].value(answers, TODAY)
            assert same(got, expected), (place, condition.source, theirs[place].source, answers)


def same(got: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return bool(got) == bool(expected)
    if isinstance(expected, float) or isinstance(got, float):
        return got is not None and expected is not None and abs(got - expected) < 1e-9
    return bool(got == expected)


def conditions_of(questionnaire: Questionnaire) -> dict[str, Condition]:
    """Every condition of a questionnaire, named by where it stands."""
    found: dict[str, Condition] = {}
    for section in questionnaire.sections:
        if section.relevant is not None:
            found[f"{section.id}.relevant"] = section.relevant
        for question in section.questions:
            for key in ("relevant", "calculation", "min", "max"):
                value = getattr(question, key)
                if isinstance(value, Condition):
                    found[f"{question.id}.{key}"] = value
            for index, constraint in enumerate(question.constraints):
                found[f"{question.id}.constraints.{index}"] = constraint.check
            if question.screen_out is not None:
                found[f"{question.id}.screen_out"] = question.screen_out.when
    return found


def random_answers(questionnaire: Questionnaire, chance: random.Random) -> dict[str, Any]:
    """Answers of the right kind to a random part of the questions (the rest unanswered)."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions():
        if chance.random() < 0.2:
            continue
        value = random_value(question, chance)
        if value is not None:
            answers[question.id] = value
    return answers


def random_value(question: Question, chance: random.Random) -> Any:
    codes = [choice.code for choice in question.choices]
    low = question.min if isinstance(question.min, int | float) else 0
    high = question.max if isinstance(question.max, int | float) else 3000
    match question.type:
        case "single" | "country":
            return chance.choice(codes) if codes else "FR"
        case "multiple":
            return [code for code in codes if chance.random() < 0.4]
        case "matrix":
            points = [point.code for point in question.scale]
            return {row.code: chance.choice(points) for row in question.rows}
        case "integer" | "scale":
            return chance.randint(int(low), int(high))
        case "decimal":
            return round(chance.uniform(low, high), question.decimals or 2)
        case "date":
            return (date(1990, 1, 1) + timedelta(days=chance.randint(0, 15000))).isoformat()
        case "text" | "long_text":
            return chance.choice(["", "a", "Ana", "ML12345", "12"])
        case "email":
            return "someone@example.org"
        case "acknowledge":
            return 1
        case "geopoint":
            return {"latitude": chance.uniform(-90, 90), "longitude": chance.uniform(-180, 180)}
    return None


# -- real forms written by others: XLSForm → YAML → XLSForm → YAML -----------------------------


@pytest.mark.parametrize("form", [MALI, HOUSEHOLD, ETHIOPIA], ids=lambda path: path.stem)
def test_an_imported_form_goes_out_again_as_an_xlsform_pyxform_accepts(form: Path, tmp_path: Path):
    imported = load_text(read_xlsform(form).yaml_text(), "imported.yaml")
    workbook = tmp_path / "again.xlsx"
    write_xlsform(imported, workbook)
    result = convert(xlsform=str(workbook), validate=False)
    assert "<h:html" in result.xform
    assert [line for line in result.warnings if "label" in line.lower()] == []
    again = load_text(read_xlsform(workbook).yaml_text(), "imported.yaml")
    assert without_conditions(again) == without_conditions(imported)
    chance = random.Random(form.stem)
    for _ in range(100):
        answers = random_answers(imported, chance)
        assert flow.prune(again, answers, TODAY) == flow.prune(imported, answers, TODAY)
