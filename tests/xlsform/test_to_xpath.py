"""Conditions as XPath: every node kind, precedence, and the guards that keep the platform's
meaning for unanswered questions."""

from __future__ import annotations

import pytest

from survey.questionnaire import conditions
from survey.questionnaire.conditions import Answered, Ref
from survey.questionnaire.model import Choice, Question
from survey.xlsform.to_xpath import XPathError, string_literal, to_xpath, unanswered_xpath


def _question(question_id: str, kind: str, **keys: object) -> Question:
    return Question(id=question_id, type=kind, label={"en": question_id}, section_id="s", **keys)  # type: ignore[arg-type]


def _choices(*codes: str) -> tuple[Choice, ...]:
    return tuple(Choice(code, {"en": code}, number) for number, code in enumerate(codes, 1))


QUESTIONS = {
    "age": _question("age", "integer"),
    "hours": _question("hours", "decimal"),
    "joined": _question("joined", "date"),
    "colour": _question("colour", "single", choices=_choices("red", "blue")),
    "pets": _question("pets", "multiple", choices=_choices("cat", "dog")),
    "name": _question("name", "text"),
    "grid": _question(
        "grid",
        "matrix",
        rows=_choices("food", "rest"),
        scale=(Choice(1, {"en": "Bad"}, 1), Choice(2, {"en": "Good"}, 2)),
    ),
}


def xpath(source: str, self_id: str | None = None) -> str:
    return to_xpath(conditions.parse(source).tree, self_id=self_id, questions=QUESTIONS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Literals and references
        ("age", "(${age} != '' and ${age} != 0)"),
        ("8.5 < hours", "8.5 < ${hours}"),
        ("age > -3", "${age} > -3"),
        ("current_year", "format-date(today(), '%Y')"),
        ("grid.food == 1", "${grid__food} = 1"),
        # Comparisons: == and the ordered ones are false beside an empty answer in XPath too
        ("colour == 'red'", "${colour} = 'red'"),
        ("age < 16", "${age} < 16"),
        ("age <= 16", "${age} <= 16"),
        ("age >= 16", "${age} >= 16"),
        # != is guarded: XPath's is true beside an empty answer, the platform's false
        ("colour != 'red'", "(${colour} != '' and ${colour} != 'red')"),
        ("age != hours", "(${age} != '' and ${hours} != '' and ${age} != ${hours})"),
        # Two answers that may both be empty are equal in XPath, never in the platform
        ("age == hours", "(${age} != '' and ${hours} != '' and ${age} = ${hours})"),
        # A quoted date beside a date question or today() is a date
        ("joined < '2000-01-01'", "${joined} < date('2000-01-01')"),
        ("'2000-01-01' <= joined", "date('2000-01-01') <= ${joined}"),
        ("joined < today()", "${joined} < today()"),
        ("today() > '2027-01-01'", "today() > date('2027-01-01')"),
        # Membership
        ("colour in ['red', 'blue']", "(${colour} = 'red' or ${colour} = 'blue')"),
        ("colour in ['red']", "${colour} = 'red'"),
        (
            "colour not in ['red', 'blue']",
            "(${colour} != '' and ${colour} != 'red' and ${colour} != 'blue')",
        ),
        ("'cat' in pets", "selected(${pets}, 'cat')"),
        ("'cat' not in pets", "(count-selected(${pets}) > 0 and not(selected(${pets}, 'cat')))"),
        # answered()
        ("answered(age)", "${age} != ''"),
        ("answered(pets)", "count-selected(${pets}) > 0"),
        ("answered(grid)", "(${grid__food} != '' or ${grid__rest} != '')"),
        ("answered(grid.rest)", "${grid__rest} != ''"),
        # not, and, or, parentheses by precedence
        ("not (colour == 'red')", "not(${colour} = 'red')"),
        ("not answered(pets)", "not(count-selected(${pets}) > 0)"),
        ("age > 1 and age < 9 or age == 20", "${age} > 1 and ${age} < 9 or ${age} = 20"),
        ("age > 1 and (age < 9 or age == 20)", "${age} > 1 and (${age} < 9 or ${age} = 20)"),
        # Arithmetic
        ("age + 2 > 3", "${age} + 2 > 3"),
        ("age - (hours - 1) > 0", "${age} - (${hours} - 1) > 0"),
        ("(age + 1) * 2 > 3", "(${age} + 1) * 2 > 3"),
        ("age * 2 + 1 > 3", "${age} * 2 + 1 > 3"),
        ("age / 2 > 3", "${age} div 2 > 3"),
        ("age % 2 == 0", "${age} mod 2 = 0"),
        ("age / (hours * 2) > 1", "${age} div (${hours} * 2) > 1"),
        ("current_year - age > 16", "format-date(today(), '%Y') - ${age} > 16"),
        ("-age < 0", "0 - ${age} < 0"),
        # Arithmetic on answers beside != is guarded by every answer it needs
        ("age + hours != 3", "(${age} != '' and ${hours} != '' and ${age} + ${hours} != 3)"),
        # Functions
        ("count_selected(pets) >= 2", "count-selected(${pets}) >= 2"),
        ("string_length(name) > 3", "string-length(${name}) > 3"),
        ("count_selected(pets) != 1", "count-selected(${pets}) != 1"),
        ("regex(name, '^[A-Z]+$')", "(${name} != '' and regex(${name}, '^[A-Z]+$'))"),
        # a if test else b
        ("(1 if colour == 'red' else 2) > 1", "if(${colour} = 'red', 1, 2) > 1"),
        ("(age if pets else 0) > 1", "if(count-selected(${pets}) > 0, ${age}, 0) > 1"),
    ],
)
def test_condition_as_xpath(source: str, expected: str) -> None:
    assert xpath(source) == expected


def test_or_inside_and_keeps_its_parentheses():
    assert xpath("(age > 1 or age < 9) and answered(pets)") == (
        "(${age} > 1 or ${age} < 9) and count-selected(${pets}) > 0"
    )


def test_own_answer_is_a_dot_inside_its_constraint():
    assert xpath("age >= 16 and age != 20", self_id="age") == ". >= 16 and . != 20"
    assert xpath("regex(name, '^a')", self_id="name") == "regex(., '^a')"


def test_current_year_in_arithmetic():
    assert xpath("age <= current_year + 2") == "${age} <= format-date(today(), '%Y') + 2"
    assert xpath("age > current_year - 16") == "${age} > format-date(today(), '%Y') - 16"


def test_today_beside_a_date_or_a_condition():
    assert xpath("today() > '2027-01-01' or age > 3") == (
        "today() > date('2027-01-01') or ${age} > 3"
    )


def test_a_calculation_gives_a_value():
    tree = conditions.parse("count_selected(pets) * 2 if answered(pets) else 0").tree
    assert to_xpath(tree, self_id=None, questions=QUESTIONS, as_value=True) == (
        "if(count-selected(${pets}) > 0, count-selected(${pets}) * 2, 0)"
    )
    value = conditions.parse("age").tree
    assert to_xpath(value, self_id=None, questions=QUESTIONS, as_value=True) == "${age}"


def test_a_list_stands_only_right_of_in():
    with pytest.raises(XPathError):
        to_xpath(conditions.parse("['a', 'b']").tree, self_id=None, questions=QUESTIONS)


def test_quotes_in_codes_and_patterns():
    assert string_literal("plain") == "'plain'"
    assert string_literal("it's") == '"it\'s"'
    assert string_literal('it\'s "so"') == "concat('it', \"'\", 's \"so\"')"
    assert xpath('regex(name, "^o\'")') == "(${name} != '' and regex(${name}, \"^o'\"))"


def test_unanswered():
    assert unanswered_xpath(Ref("age"), questions=QUESTIONS) == "${age} = ''"
    assert unanswered_xpath(Ref("grid", "food"), questions=QUESTIONS) == "${grid__food} = ''"
    assert unanswered_xpath(Ref("pets"), questions=QUESTIONS) == (
        "not(count-selected(${pets}) > 0)"
    )


def test_answered_node_of_a_question_of_unknown_type_is_a_test_of_its_text():
    tree = Answered(Ref("somewhere"))
    assert to_xpath(tree, self_id=None, questions=QUESTIONS) == "${somewhere} != ''"
