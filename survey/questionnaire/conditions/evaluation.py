"""A condition worked out against answers, never raising: an unanswered question is MISSING,
which makes a comparison false and arithmetic give no value; text that holds a number counts
as that number; a regex() that runs too long counts as no match."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import regex

from survey.questionnaire.conditions.language import CURRENT_YEAR, LARGEST_NUMBER, PATTERN_SECONDS
from survey.questionnaire.conditions.nodes import (
    Answered,
    Arith,
    BoolOp,
    Call,
    Compare,
    IfElse,
    ListOf,
    Literal,
    Node,
    Not,
    Ref,
)

# The value of an unanswered question, and of arithmetic that has none.
MISSING = object()
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_PATTERNS: dict[str, Any] = {}


def compiled_pattern(pattern: str) -> Any:
    """A regex() pattern compiled once (raises regex.error if it cannot be read)."""
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        compiled = _PATTERNS[pattern] = regex.compile(pattern)
    return compiled


def _lookup(ref: Ref, answers: Mapping[str, Any], today: date) -> Any:
    if ref.name == CURRENT_YEAR:
        return today.year
    value = answers.get(ref.name)
    if ref.row is not None:
        value = value.get(ref.row) if isinstance(value, dict) else None
    if value is None or value == [] or value == "":
        return MISSING
    return value


def _ordered(op: str) -> Callable[[Any, Any], bool]:
    return {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op]


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is MISSING or right is MISSING:
        return False
    if op in ("in", "not in"):
        if not isinstance(right, list | tuple):
            return False
        inside = left in right
        return inside if op == "in" else not inside
    if _is_number(left) or _is_number(right):
        # Text holding a number (a calculation's "3") compares as that number.
        left, right = _number(left), _number(right)
        if left is MISSING or right is MISSING:
            return op == "!="
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if (_is_number(left) and _is_number(right)) or (_is_date(left) and _is_date(right)):
        return _ordered(op)(left, right)
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> Any:
    """A number, or text that holds one ("3", " 2.5 "); anything else is MISSING."""
    if _is_number(value):
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value)
        except ValueError:
            return MISSING
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in value else number
    return MISSING


def _is_date(value: Any) -> bool:
    """An ISO date ("2001-03-28"): dates are ordered as their text is."""
    return isinstance(value, str) and _ISO_DATE.fullmatch(value) is not None


_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else a % b,
}


def _arithmetic(op: str, a: Any, b: Any) -> Any:
    a, b = _number(a), _number(b)
    if a is MISSING or b is MISSING:
        return MISSING
    if op in ("/", "%") and b == 0:
        return MISSING
    result = _OPERATIONS[op](a, b)
    if not abs(result) <= LARGEST_NUMBER * LARGEST_NUMBER:
        return MISSING
    return result


def _function(name: str, values: list[Any], today: date) -> Any:
    if name == "today":
        return today.isoformat()
    value = values[0]
    if name == "count_selected":
        return len(value) if isinstance(value, list) else 0
    if value is MISSING:
        return 0 if name == "string_length" else False
    text = value if isinstance(value, str) else _text(value)
    if name == "string_length":
        return len(text)
    try:  # regex
        return compiled_pattern(values[1]).search(text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        return False


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def evaluate(node: Node, answers: Mapping[str, Any], today: date) -> Any:
    """The value of a tree for these answers; MISSING when it has none."""
    match node:
        case Literal(value):
            return value
        case Ref():
            return _lookup(node, answers, today)
        case ListOf(items):
            return [item.value for item in items]
        case Answered(ref):
            return _lookup(ref, answers, today) is not MISSING
        case Not(operand):
            return not truthy(evaluate(operand, answers, today))
        case BoolOp("and", operands):
            return all(truthy(evaluate(item, answers, today)) for item in operands)
        case BoolOp(_, operands):
            return any(truthy(evaluate(item, answers, today)) for item in operands)
        case Arith(op, left, right):
            return _arithmetic(op, evaluate(left, answers, today), evaluate(right, answers, today))
        case Compare(op, left, right):
            return _compare(op, evaluate(left, answers, today), evaluate(right, answers, today))
        case Call(name, args):
            return _function(name, [evaluate(item, answers, today) for item in args], today)
        case IfElse(test, then, otherwise):
            chosen = then if truthy(evaluate(test, answers, today)) else otherwise
            return evaluate(chosen, answers, today)
    raise AssertionError(f"unknown node {node!r}")


def truthy(value: Any) -> bool:
    """A value as a condition's answer: MISSING is false."""
    return value is not MISSING and bool(value)
