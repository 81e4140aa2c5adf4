"""Conditions of a questionnaire as XPath, the expression language of XLSForm and XForms.

The XPath keeps the platform's meaning, not only its look: in the platform a comparison with an
unanswered question is false, while XPath's `${x} != 'a'` is true when x is empty, so such a
comparison is written with a guard, `(${x} != '' and ${x} != 'a')`. Pure: no Flask, no files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey.questionnaire.conditions import (
    CURRENT_YEAR,
    Answered,
    Arith,
    BoolOp,
    Call,
    Compare,
    IfElse,
    ListOf,
    Literal,
    Not,
    Ref,
)
from survey.questionnaire.model import Question
from survey.questionnaire.types import TYPES
from survey.questionnaire.types.base import CODES, DATE, ROWS
from survey.questionnaire.types.matrix import row_field

# XPath's precedence levels, loosest first; a function call or a `${name}` is PRIMARY.
OR, AND, EQUALITY, RELATIONAL, ADDITIVE, MULTIPLICATIVE, UNARY, PRIMARY = range(1, 9)

CURRENT_YEAR_XPATH = "format-date(today(), '%Y')"
_OPERATORS = {
    "==": ("=", EQUALITY),
    "!=": ("!=", EQUALITY),
    "<": ("<", RELATIONAL),
    "<=": ("<=", RELATIONAL),
    ">": (">", RELATIONAL),
    ">=": (">=", RELATIONAL),
    "+": ("+", ADDITIVE),
    "-": ("-", ADDITIVE),
    "*": ("*", MULTIPLICATIVE),
    "/": ("div", MULTIPLICATIVE),
    "%": ("mod", MULTIPLICATIVE),
}
# The condition functions XLSForm spells differently.
_FUNCTIONS = {"count_selected": "count-selected", "string_length": "string-length"}
# Functions that give a value even for an unanswered question (0, or today's date).
_ALWAYS_VALUED = {"count_selected", "string_length", "today", "regex"}


class XPathError(ValueError):
    """A condition tree holding something XPath cannot say."""


def to_xpath(
    condition_tree: Any,
    *,
    self_id: str | None,
    questions: Mapping[str, Question],
    as_value: bool = False,
) -> str:
    """A parsed condition as XPath; `self_id` is the question whose answer is written `.`
    (inside its own constraint); `questions` by id give types and matrix rows. `as_value`: an
    expression whose value counts (a calculation, a bound), not whether it is true."""
    writer = _Writer(self_id, questions)
    return writer.write(condition_tree)[0] if as_value else writer.boolean(condition_tree)


def unanswered_xpath(ref: Ref, *, questions: Mapping[str, Question]) -> str:
    """XPath true when a question (or matrix row) has no answer."""
    writer = _Writer(None, questions)
    if writer.compares_as(ref) in (CODES, ROWS):
        return f"not({writer.answered(ref)[0]})"
    return f"{writer.ref(ref)} = ''"


def string_literal(value: str) -> str:
    """Text as an XPath literal (XPath 1.0 has no escapes: quotes are chosen, or concat())."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    quote = ', "\'", '
    return "concat(" + quote.join(f"'{part}'" for part in value.split("'")) + ")"


class _Writer:
    def __init__(self, self_id: str | None, questions: Mapping[str, Question]):
        self.self_id = self_id
        self.questions = questions

    def write(self, node: Any) -> tuple[str, int]:
        """The XPath of a node and its precedence level."""
        match node:
            case Literal(value):
                return self.literal(value)
            case Ref():
                return self.ref(node), PRIMARY
            case ListOf():
                raise XPathError("a [list] stands only on the right of `in`")
            case Answered(ref):
                return self.answered(ref)
            case Not(operand):
                return f"not({self.boolean(operand)})", PRIMARY
            case BoolOp(op, operands):
                level = AND if op == "and" else OR
                parts = [self.wrapped_boolean(item, level) for item in operands]
                return f" {op} ".join(parts), level
            case Arith(op, left, right):
                symbol, level = _OPERATORS[op]
                return self.binary(symbol, level, left, right)
            case Compare(op, left, right):
                return self.compare(op, left, right)
            case Call(name, args):
                return self.call(name, args)
            case IfElse(test, then, otherwise):
                branches = (self.boolean(test), self.write(then)[0], self.write(otherwise)[0])
                return f"if({', '.join(branches)})", PRIMARY
        raise XPathError(f"no XPath for {node!r}")

    # -- leaves ------------------------------------------------------------------------------

    def literal(self, value: Any) -> tuple[str, int]:
        if isinstance(value, str):
            return string_literal(value), PRIMARY
        text = repr(value)
        return text, (UNARY if text.startswith("-") else PRIMARY)

    def ref(self, ref: Ref) -> str:
        if ref.name == CURRENT_YEAR:
            return CURRENT_YEAR_XPATH
        if ref.row is not None:
            return "${" + row_field(self.questions[ref.name], ref.row) + "}"
        if ref.name == self.self_id:
            return "."
        return "${" + ref.name + "}"

    def compares_as(self, node: Any) -> str | None:
        if isinstance(node, Ref) and node.row is None and node.name in self.questions:
            kind = TYPES.get(self.questions[node.name].type)
            return kind.compares_as if kind is not None else None
        return None

    # -- answered and its guards -------------------------------------------------------------

    def answered(self, ref: Ref) -> tuple[str, int]:
        """`answered(q)`: a multiple question by its count, a matrix by any of its rows."""
        compares = self.compares_as(ref)
        if compares == CODES:
            return f"count-selected({self.ref(ref)}) > 0", RELATIONAL
        if compares == ROWS:
            rows = self.row_refs(ref)
            return "(" + " or ".join(f"{self.ref(row)} != ''" for row in rows) + ")", PRIMARY
        return f"{self.ref(ref)} != ''", EQUALITY

    def row_refs(self, ref: Ref) -> list[Ref]:
        return [Ref(ref.name, str(row.code)) for row in self.questions[ref.name].rows]

    def guarded(self, refs: list[Ref], xpath: str, level: int) -> tuple[str, int]:
        """`xpath` true only when every question in `refs` is answered, as in the platform."""
        refs = [ref for ref in refs if ref.row is not None or ref.name != self.self_id]
        if not refs:
            return xpath, level
        guards = [self.wrapped(self.answered(ref), AND) for ref in refs]
        return "(" + " and ".join([*guards, _wrap(xpath, level, AND)]) + ")", PRIMARY

    def value_refs(self, node: Any) -> list[Ref]:
        """The questions whose answer a value needs: none of them unanswered, or it has none."""
        if isinstance(node, Ref):
            return [] if node.name == CURRENT_YEAR else [node]
        if isinstance(node, Arith):
            found = self.value_refs(node.left)
            return found + [ref for ref in self.value_refs(node.right) if ref not in found]
        if isinstance(node, IfElse):
            found = self.value_refs(node.then)
            return found + [ref for ref in self.value_refs(node.otherwise) if ref not in found]
        return []

    # -- operators ---------------------------------------------------------------------------

    def binary(self, symbol: str, level: int, left: Any, right: Any) -> tuple[str, int]:
        # Left-associative: a right operand of the same level keeps its parentheses.
        left_text = self.wrapped(self.write(left), level)
        right_text = self.wrapped(self.write(right), level + 1)
        return f"{left_text} {symbol} {right_text}", level

    def compare(self, op: str, left: Any, right: Any) -> tuple[str, int]:
        if op in ("in", "not in"):
            return self.membership(op == "in", left, right)
        symbol, level = _OPERATORS[op]
        left_text = self.wrapped(self.operand(left, right), level)
        right_text = self.wrapped(self.operand(right, left), level + 1)
        xpath = f"{left_text} {symbol} {right_text}"
        if op == "!=":
            # XPath's != is true beside an empty answer; the platform's is false.
            return self.guarded(self.value_refs(left) + self.value_refs(right), xpath, level)
        if op == "==" and self.value_refs(left) and self.value_refs(right):
            # Two empty answers are equal in XPath, never in the platform.
            return self.guarded(self.value_refs(left) + self.value_refs(right), xpath, level)
        return xpath, level

    def operand(self, node: Any, other: Any) -> tuple[str, int]:
        """One side of a comparison: a quoted date compared with a date is a date()."""
        dated = self.compares_as(other) == DATE or other == Call("today", ())
        if dated and isinstance(node, Literal) and isinstance(node.value, str):
            return f"date({string_literal(node.value)})", PRIMARY
        return self.write(node)

    def membership(self, inside: bool, left: Any, right: Any) -> tuple[str, int]:
        if isinstance(right, ListOf):
            if not right.items:
                return ("false()" if inside else "true()"), PRIMARY
            value = self.wrapped(self.write(left), EQUALITY)
            if inside:
                tests = [f"{value} = {self.write(item)[0]}" for item in right.items]
                if len(tests) == 1:
                    return tests[0], EQUALITY
                return "(" + " or ".join(tests) + ")", PRIMARY
            tests = [f"{value} != {self.write(item)[0]}" for item in right.items]
            return self.guarded(self.value_refs(left), " and ".join(tests), AND)
        # 'code' in multiple_question: the code is one of the picks.
        selected = f"selected({self.write(right)[0]}, {self.write(left)[0]})"
        if inside:
            return selected, PRIMARY
        return self.guarded(
            [*self.list_refs(right), *self.value_refs(left)], f"not({selected})", PRIMARY
        )

    def list_refs(self, node: Any) -> list[Ref]:
        return [node] if isinstance(node, Ref) else []

    # -- functions ---------------------------------------------------------------------------

    def call(self, name: str, args: tuple[Any, ...]) -> tuple[str, int]:
        texts = [self.write(item)[0] for item in args]
        xpath = f"{_FUNCTIONS.get(name, name)}({', '.join(texts)})"
        if name == "regex":
            # No answer matches no pattern in the platform, while XPath tests the empty text.
            return self.guarded(self.value_refs(args[0]), xpath, PRIMARY)
        return xpath, PRIMARY

    # -- parentheses and truth ---------------------------------------------------------------

    def wrapped(self, written: tuple[str, int], level: int) -> str:
        return _wrap(written[0], written[1], level)

    def boolean(self, node: Any) -> str:
        """A node where the platform asks whether it is true: an answer is true when it is
        given and not 0 (a bare `${x}` would be true in XPath whenever the field exists)."""
        if isinstance(node, Ref) and node.name != CURRENT_YEAR:
            given = self.answered(node)[0]
            if self.compares_as(node) in (CODES, ROWS):
                return given
            return f"({given} and {self.ref(node)} != 0)"
        return self.write(node)[0]

    def wrapped_boolean(self, node: Any, level: int) -> str:
        if isinstance(node, Ref):
            return self.boolean(node)
        return self.wrapped(self.write(node), level)


def _wrap(text: str, own_level: int, needed: int) -> str:
    return f"({text})" if own_level < needed else text
