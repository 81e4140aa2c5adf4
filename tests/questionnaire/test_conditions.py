"""Conditions: parsed into a small tree and evaluated without ever running file text as code."""

from __future__ import annotations

import ast
import builtins
import re
import time
from datetime import date
from typing import Any

import pytest

from survey.questionnaire import conditions
from survey.questionnaire.conditions import ConditionError

TODAY = date(2027, 3, 15)


def holds(source: str, today: date = TODAY, **answers: Any) -> bool:
    return conditions.parse(source).evaluate(answers, today)


# -- comparisons ---------------------------------------------------------------------------


def test_number_comparisons():
    assert holds("age < 16", age=15)
    assert not holds("age < 16", age=16)
    assert holds("age <= 16", age=16)
    assert holds("age > 16", age=17)
    assert holds("age >= 16", age=16)
    assert holds("age == 30", age=30)
    assert holds("age != 30", age=31)
    assert not holds("age != 30", age=30)


def test_code_equality():
    assert holds("federation == 'yes'", federation="yes")
    assert not holds("federation == 'yes'", federation="no")
    assert holds("federation != 'yes'", federation="no")


def test_chained_comparison_means_both():
    assert holds("16 <= age < 35", age=20)
    assert not holds("16 <= age < 35", age=35)
    assert not holds("16 <= age < 35", age=15)


def test_comparing_two_answers():
    assert holds("members_young <= members_total", members_young=3, members_total=5)
    assert not holds("members_young <= members_total", members_young=6, members_total=5)


def test_negative_numbers():
    assert holds("x > -1", x=0)
    assert not holds("x > -1", x=-2)


def test_in_list_of_codes():
    source = "involvement in ['member', 'worker_non_member', 'founding']"
    assert holds(source, involvement="founding")
    assert not holds(source, involvement="interested")
    assert holds("involvement not in ['member', 'founding']", involvement="none")
    assert not holds("involvement not in ['member', 'founding']", involvement="member")


def test_code_in_multiple_answer():
    assert holds("'other' in situation", situation=["student", "other"])
    assert not holds("'other' in situation", situation=["student"])
    assert holds("'other' not in situation", situation=["student"])


# -- and / or / not ------------------------------------------------------------------------


def test_and_or_not():
    assert holds("a == 'x' and b == 'y'", a="x", b="y")
    assert not holds("a == 'x' and b == 'y'", a="x", b="z")
    assert holds("a == 'x' or b == 'y'", a="q", b="y")
    assert not holds("a == 'x' or b == 'y'", a="q", b="z")
    assert holds("not a == 'x'", a="q")
    assert not holds("not (a == 'x')", a="x")


def test_parentheses_group():
    source = "(a == 'x' or b == 'y') and c == 'z'"
    assert holds(source, a="x", b="n", c="z")
    assert not holds(source, a="x", b="n", c="n")
    assert holds("a == 'x' or (b == 'y' and c == 'z')", a="x", b="n", c="n")


# -- arithmetic and current_year -----------------------------------------------------------


def test_current_year_arithmetic():
    assert conditions.parse("current_year + 2").value({}, date(2027, 3, 15)) == 2029
    assert conditions.parse("current_year - 1").value({}, date(2030, 1, 1)) == 2029
    assert holds("founded_year <= current_year", founded_year=2027)
    assert not holds("founded_year <= current_year", founded_year=2028)
    assert holds("founded_year <= current_year", today=date(2028, 1, 1), founded_year=2028)


def test_arithmetic_on_answers():
    assert holds("members_young + 1 <= members_total - 1", members_young=3, members_total=5)
    assert not holds("members_young + 1 <= members_total - 1", members_young=4, members_total=5)


def test_spec_example_founded_year():
    source = "founded_year <= current_year or involvement == 'founding'"
    assert holds(source, founded_year=2020, involvement="member")
    assert not holds(source, founded_year=2028, involvement="member")
    assert holds(source, founded_year=2028, involvement="founding")


def test_current_year_is_not_a_question():
    condition = conditions.parse("founded_year <= current_year + 2")
    assert condition.question_ids() == {"founded_year"}


# -- matrix rows and answered() ------------------------------------------------------------


def test_matrix_row_reference():
    answers = {"participation": {"voice_heard": 4, "assemblies": 1}}
    assert conditions.parse("participation.voice_heard >= 4").evaluate(answers, TODAY)
    assert not conditions.parse("participation.assemblies >= 4").evaluate(answers, TODAY)
    # A row with no answer compares false.
    assert not conditions.parse("participation.balance >= 1").evaluate(answers, TODAY)
    assert not conditions.parse("participation.balance < 1").evaluate(answers, TODAY)


def test_matrix_row_names_its_question():
    condition = conditions.parse("participation.voice_heard == 5")
    assert condition.question_ids() == {"participation"}


def test_answered():
    assert holds("answered(age)", age=30)
    assert holds("answered(age)", age=0)
    assert not holds("answered(age)")
    assert not holds("answered(name)", name="")
    assert not holds("answered(situation)", situation=[])
    assert holds("not answered(age)")


def test_answered_matrix_row():
    answers = {"obstacles": {"finance": 9}}
    assert conditions.parse("answered(obstacles.finance)").evaluate(answers, TODAY)
    assert not conditions.parse("answered(obstacles.legal)").evaluate(answers, TODAY)


# -- unanswered questions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "age < 16",
        "age >= 16",
        "age == 16",
        "age != 16",
        "x == 'a'",
        "x != 'a'",
        "x in ['a', 'b']",
        "x not in ['a', 'b']",
        "'a' in multi",
        "'a' not in multi",
        "age + 1 > 0",
        "current_year > age",
    ],
)
def test_unanswered_compares_false(source):
    assert not holds(source)


def test_not_of_unanswered_comparison_is_true():
    assert holds("not (x == 'a')")
    assert holds("not x == 'a' and not x != 'a'")


def test_empty_answers_count_as_unanswered():
    assert not holds("x == ''", x="")
    assert not holds("'a' not in multi", multi=[])


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "os.path.exists('x')",
        "age.__class__.__bases__",
        "len(situation) > 2",
        "print('hi')",
        "answered(age, country)",
        "answered(x=age)",
        "answered('age')",
        "answered(age + 1)",
        "situation.count('a')",
        "(lambda: 1)()",
        "lambda: 1",
        "situation[0] == 'a'",
        "participation['voice_heard'] == 1",
        "age ** 2 > 3",
        "age // 2 > 3",
        "age @ 2 > 3",
        "age << 2 > 3",
        "lambda: 1",
        "[a for a in situation]",
        "(x := 1)",
        "f'{age}'",
        "{'a', 'b'}",
        "{'a': 1}",
        "x == None",
        "x == True",
        "x in [y]",
        "x is None",
        "~age",
        "age & 1",
        "...",
    ],
)
def test_unsafe_or_unsupported_is_refused(source):
    with pytest.raises(ConditionError):
        conditions.parse(source)


@pytest.mark.parametrize("source", ["", "   ", "age <", "age == 'a", "and", "x = 1"])
def test_unreadable_text_is_refused(source):
    with pytest.raises(ConditionError):
        conditions.parse(source)


def test_non_text_is_refused():
    with pytest.raises(ConditionError):
        conditions.parse(16)  # type: ignore[arg-type]
    with pytest.raises(ConditionError):
        conditions.parse(None)  # type: ignore[arg-type]


def test_statements_are_refused():
    with pytest.raises(ConditionError):
        conditions.parse("import os")
    with pytest.raises(ConditionError):
        conditions.parse("age = 3")
    with pytest.raises(ConditionError):
        conditions.parse("age < 16; __import__('os')")


def test_refusal_names_the_offending_part():
    with pytest.raises(ConditionError) as caught:
        conditions.parse("len(situation) > 2")
    assert "len(situation)" in str(caught.value)


def test_side_effect_condition_is_refused_not_run(tmp_path):
    target = tmp_path / "pwned"
    source = f"__import__('pathlib').Path({str(target)!r}).touch() or age < 16"
    with pytest.raises(ConditionError):
        conditions.parse(source)
    assert not target.exists()


def test_side_effect_through_open_is_refused_not_run(tmp_path):
    target = tmp_path / "written"
    source = f"open({str(target)!r}, 'w') and age < 16"
    with pytest.raises(ConditionError):
        conditions.parse(source)
    assert not target.exists()


def test_parse_and_evaluate_never_call_eval_exec_or_compile(monkeypatch):
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("eval/exec/compile must not be used for conditions")

    real_compile = builtins.compile

    def compile_to_tree_only(
        source: Any, filename: Any, mode: str, flags: int = 0, *a: Any, **k: Any
    ) -> Any:
        # ast.parse goes through compile() with PyCF_ONLY_AST: a tree, never runnable code.
        if not flags & ast.PyCF_ONLY_AST:
            forbidden()
        return real_compile(source, filename, mode, flags, *a, **k)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", compile_to_tree_only)
    condition = conditions.parse(
        "(age >= 16 and 'other' in situation) or participation.voice_heard == 5"
        " or answered(email) or founded_year <= current_year + 2"
    )
    assert condition.evaluate({"age": 20, "situation": ["other"]}, TODAY)
    assert not condition.evaluate({"age": 15}, TODAY)


def test_attribute_lookup_is_not_python_attribute_access():
    # `q.row` reads a row of a matrix answer, never a Python attribute of the value.
    condition = conditions.parse("age.real == 30")
    assert not condition.evaluate({"age": 30}, TODAY)
    assert not conditions.parse("answered(age.__class__)").evaluate({"age": 30}, TODAY)


def test_to_json_describes_the_tree():
    tree = conditions.parse("involvement in ['member', 'founding'] and not answered(age)").to_json()
    assert tree == {
        "and": [
            {
                "op": "in",
                "left": {"ref": "involvement", "row": None},
                "right": {"list": ["member", "founding"]},
            },
            {"not": {"answered": {"ref": "age", "row": None}}},
        ]
    }


# -- size limits ---------------------------------------------------------------------------


def test_an_over_long_condition_is_refused_with_its_length():
    source = " or ".join(["age == 20"] * 5000)
    with pytest.raises(ConditionError) as caught:
        conditions.parse(source)
    message = str(caught.value)
    assert "too long" in message and str(conditions.MAX_LENGTH) in message
    assert len(message) < 200, "the message quotes the start of the text, not all of it"


def test_length_is_allowed_up_to_the_limit_and_no_further():
    longest = "age == 20 or name == '" + "x" * (2000 - 23) + "'"
    assert len(longest) == 2000
    assert holds(longest, age=20, name="y")
    with pytest.raises(ConditionError, match="too long"):
        conditions.parse(longest + "1")


@pytest.mark.parametrize(
    "source",
    [
        "(" * 500 + "age == 20" + ")" * 500,
        "-" * 1990 + "age > 1",
        "age + " * 300 + "1 > 2",
        "not " * 100 + "age == 20",
        "[" * 150 + "1" + "]" * 150,
    ],
    ids=["parentheses", "minus signs", "additions", "nots", "lists"],
)
def test_an_over_deep_condition_is_refused_not_a_recursion_error(source):
    with pytest.raises(ConditionError) as caught:
        conditions.parse(source)
    message = str(caught.value)
    assert "nested too deeply" in message and str(conditions.MAX_DEPTH) in message
    assert len(message) < 200


def test_nesting_is_allowed_up_to_the_limit_and_no_further():
    def nested(levels: int) -> str:
        # Each "not" is one level; the comparison and its two sides two more.
        return "not (" * (levels - 2) + "age == 20" + ")" * (levels - 2)

    assert holds(nested(40), age=20)  # an even number of "not"
    with pytest.raises(ConditionError, match="nested too deeply"):
        conditions.parse(nested(41))


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("income > 1.5", {"income": 2.25}, True),
        ("income > 1.5", {"income": 1.5}, False),
        ("income >= -0.5", {"income": -0.25}, True),
        ("income + 1 > 3", {"income": 2.5}, True),
        ("born < '2000-01-01'", {"born": "1999-12-31"}, True),
        ("born < '2000-01-01'", {"born": "2000-01-01"}, False),
        ("born >= since", {"born": "2010-05-02", "since": "2010-05-01"}, True),
        # A date and a number, or two texts that are not dates, are never ordered.
        ("born < 2000", {"born": "1999-12-31"}, False),
        ("name < 'b'", {"name": "a"}, False),
    ],
)
def test_decimals_and_dates_are_ordered(source, answers, expected):
    assert conditions.parse(source).evaluate(answers, date(2027, 3, 15)) is expected


# -- functions and arithmetic that XLSForm forms use --------------------------------------------


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("count_selected(situation) >= 2", {"situation": ["a", "b"]}, True),
        ("count_selected(situation) >= 2", {"situation": ["a"]}, False),
        ("count_selected(situation) == 0", {}, True),
        ("string_length(name) <= 3", {"name": "Ana"}, True),
        ("string_length(name) <= 3", {"name": "Anabel"}, False),
        ("string_length(name) == 0", {}, True),
        ("regex(code, '^[A-Z]{2}[0-9]{3}$')", {"code": "ML123"}, True),
        ("regex(code, '^[A-Z]{2}[0-9]{3}$')", {"code": "ml123"}, False),
        ("regex(code, '[0-9]{3}')", {}, False),
        ("not regex(code, '[0-9]{3}')", {}, True),
        ("joined <= today()", {"joined": "2027-03-15"}, True),
        ("joined <= today()", {"joined": "2027-03-16"}, False),
        ("hours * 2 > 16", {"hours": 8.5}, True),
        ("(a + b) / 2 == 2.5", {"a": 2, "b": 3}, True),
        ("a % 2 == 1", {"a": 7}, True),
        ("a / b > 0", {"a": 1, "b": 0}, False),
        ("not (a / b > 0)", {"a": 1, "b": 0}, True),
        ("(7 if a + b > 7 else a + b) == 7", {"a": 5, "b": 4}, True),
        ("(7 if a + b > 7 else a + b) == 6", {"a": 5, "b": 1}, True),
        ("('yes' if a > 1 else 'no') == 'no'", {"a": 1}, True),
        # Text holding a number, as a calculation may give, counts as the number.
        ("level + 1 == 3", {"level": "2"}, True),
        ("level > 1.5", {"level": "2"}, True),
        ("level == 2", {"level": "2"}, True),
        ("level != 2", {"level": "two"}, True),
    ],
)
def test_functions_and_arithmetic(source: str, answers: dict[str, Any], expected: bool):
    assert conditions.parse(source).evaluate(answers, TODAY) is expected


def test_an_expression_has_a_value_or_none():
    assert conditions.parse("a * 2 + 0.5").value({"a": 3}, TODAY) == 6.5
    assert conditions.parse("today()").value({}, TODAY) == "2027-03-15"
    assert conditions.parse("a / b").value({"a": 1, "b": 0}, TODAY) is None
    assert conditions.parse("a + 1").value({}, TODAY) is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("eval('1')", "unknown function eval()"),
        ("count-selected(x) > 1", "unknown function selected()"),
        ("count_selected('a') > 1", "takes a question id"),
        ("string_length(a, b) > 1", "takes 1 argument"),
        ("today(1)", "takes 0 arguments"),
        ("regex(a, b)", "'quoted' pattern"),
        ("regex(a, '(')", "cannot be read"),
        ("regex(a, '" + "a" * 501 + "')", "pattern too long"),
        ("a > 10000000000000000", "number too large"),
        ("a > 1e400", "number too large"),
    ],
)
def test_bad_functions_and_numbers_are_refused_with_a_reason(source: str, message: str):
    with pytest.raises(ConditionError, match=re.escape(message)):
        conditions.parse(source)


def test_a_pattern_that_backtracks_for_ever_counts_as_no_match():
    condition = conditions.parse("regex(code, '^(a+)+$')")
    started = time.monotonic()
    assert not condition.evaluate({"code": "a" * 60 + "!"}, TODAY)
    assert time.monotonic() - started < 2


def test_huge_results_have_no_value():
    source = "a" + " * a" * 30 + " > 1"
    assert not conditions.parse(source).evaluate({"a": 999999999}, TODAY)
