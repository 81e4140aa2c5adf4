"""XLSForm expressions (the XPath of `relevant`, `constraint`, `calculation`) as conditions of the
questionnaire format (FORMAT.md, "Conditions"): `${age} >= 18 and selected(${s}, 'x')` becomes
`age >= 18 and 'x' in s`.

`survey.xlsform.xpath` reads the XPath subset XLSForm authors write into a small tree; the
tree is written out here in the platform's Python-like syntax, keeping XPath's
meaning where the two differ (an unanswered question is "" in XPath, so `${x} != 'a'` is true
for it: it becomes `not (x == 'a')`). Anything else (paths, unknown functions, too long or too
deep) is an ExpressionError naming what is not supported, never a crash.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import regex

from survey.questionnaire.conditions import MAX_DEPTH, MAX_LENGTH
from survey.xlsform.xpath import (
    MAX_NUMBER_LENGTH,
    Binary,
    Call,
    ExpressionError,
    Negative,
    Node,
    Number,
    Ref,
    String,
    depth,
    parse,
    quote,
)


@dataclass(frozen=True)
class Answer:
    """What the translation needs to know of a question an expression names."""

    id: str
    kind: str  # single | multiple | date | number | text | other
    codes: Mapping[str, str] = field(default_factory=dict)  # choice name → choice code


__all__ = ["Answer", "ExpressionError", "Lookup", "Translation", "translate"]

Lookup = Callable[[str], Answer | None]


@dataclass(frozen=True)
class Translation:
    text: str
    names: frozenset[str]  # the XLSForm names the expression refers to


def translate(source: str, lookup: Lookup, *, own: str | None = None) -> Translation:
    """The platform's condition for an XPath expression; `own` is the XLSForm name `.` means
    (a constraint's own question). Raises ExpressionError."""
    text = source.strip()
    if not text:
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters)")
    tree = parse(text, own)
    if depth(tree) > MAX_DEPTH:
        raise _too_deep()
    writer = _Writer(lookup)
    result, _ = writer.write(tree)
    if len(result) > MAX_LENGTH:
        raise ExpressionError("the expression is too long once translated")
    _check_written(result)
    return Translation(result, frozenset(writer.names))


def _too_deep() -> ExpressionError:
    return ExpressionError(f"the expression is nested too deeply (over {MAX_DEPTH} levels)")


def _check_written(text: str) -> None:
    """The written condition is one expression the platform's parser reads, within its depth."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError):
        raise ExpressionError("the expression cannot be written as a condition") from None
    pending = [(tree.body, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        pending.extend(
            (child, depth + 1)
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.expr)
        )


# -- writing the platform's condition ----------------------------------------------------------

# Python's precedence, loosest first: the written text gets parentheses where it needs them.
_IF, _OR, _AND, _NOT, _COMPARE, _ADD, _MULTIPLY, _NEGATIVE, _ATOM = range(1, 10)
_PRECEDENCE = {
    "or": _OR,
    "and": _AND,
    "=": _COMPARE,
    "!=": _COMPARE,
    "<": _COMPARE,
    "<=": _COMPARE,
    ">": _COMPARE,
    ">=": _COMPARE,
    "+": _ADD,
    "-": _ADD,
    "*": _MULTIPLY,
    "div": _MULTIPLY,
    "mod": _MULTIPLY,
}
_PYTHON_OPERATOR = {"=": "==", "div": "/", "mod": "%"}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LITERAL = Number | String

Written = tuple[str, int]


class _Writer:
    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        self.names: set[str] = set()

    def answer(self, name: str) -> Answer:
        found = self.lookup(name)
        if found is None:
            raise ExpressionError(f"no question is named {name!r}")
        self.names.add(name)
        return found

    def write(self, node: Node) -> Written:
        match node:
            case Number(text):
                return _number(text), _ATOM
            case String(value):
                return repr(value), _ATOM
            case Ref(name):
                return self.answer(name).id, _ATOM
            case Negative(operand):
                return "-" + self.wrapped(operand, _NEGATIVE), _NEGATIVE
            case Binary(op, left, right) if _PRECEDENCE[op] == _COMPARE:
                return self.comparison(op, left, right)
            case Binary(op, left, right):
                level = _PRECEDENCE[op]
                symbol = _PYTHON_OPERATOR.get(op, op)
                text = f"{self.wrapped(left, level)} {symbol} {self.wrapped(right, level + 1)}"
                return text, level
            case Call(name, args):
                return self.call(name, args)
        raise AssertionError(f"unknown node {node!r}")

    def wrapped(self, node: Node, level: int) -> str:
        text, precedence = self.write(node)
        return text if precedence >= level else f"({text})"

    # -- comparisons ---------------------------------------------------------------------------

    def comparison(self, op: str, left: Node, right: Node) -> Written:
        left, right = _literal_of(left), _literal_of(right)
        if isinstance(left, _LITERAL) and isinstance(right, Ref):
            op, left, right = _FLIPPED[op], right, left
        if isinstance(left, Ref) and isinstance(right, _LITERAL):
            answer = self.answer(left.name)
            if op in ("=", "!=") and isinstance(right, String) and right.value == "":
                text = f"answered({answer.id})"
                return (f"not {text}", _NOT) if op == "=" else (text, _ATOM)
            if answer.kind in ("single", "multiple"):
                return self.choice_comparison(op, answer, right)
            right = _typed_literal(answer, right)
        if op == "!=":
            equal, _ = self.comparison("=", left, right)
            return f"not ({equal})", _NOT
        symbol = _PYTHON_OPERATOR.get(op, op)
        text = f"{self.wrapped(left, _COMPARE + 1)} {symbol} {self.wrapped(right, _COMPARE + 1)}"
        return text, _COMPARE

    def choice_comparison(self, op: str, answer: Answer, value: Number | String) -> Written:
        """A choice question compared with a value: compared with its codes instead."""
        name = value.value if isinstance(value, String) else _number(value.text)
        if op in ("=", "!="):
            code = _code(answer, name)
            if answer.kind == "multiple":
                # XPath compares the space-separated picks: equal only when that one is picked.
                text = f"{code!r} in {answer.id} and count_selected({answer.id}) == 1"
                return (f"not ({text})", _NOT) if op == "!=" else (text, _AND)
            text = f"{answer.id} == {code!r}"
            return (f"not ({text})", _NOT) if op == "!=" else (text, _COMPARE)
        if answer.kind == "multiple":
            raise ExpressionError(f"{answer.id!r} has several answers: it cannot be ordered")
        limit = _as_number(name)
        if limit is None:
            raise ExpressionError(f"choices of {answer.id!r} cannot be ordered against {name!r}")
        matching = [
            code
            for choice, code in answer.codes.items()
            if (number := _as_number(choice)) is not None and _ORDER[op](number, limit)
        ]
        if not matching:
            raise ExpressionError(f"no choice of {answer.id!r} is {op} {name}")
        return f"{answer.id} in [{', '.join(repr(code) for code in matching)}]", _COMPARE

    # -- functions -----------------------------------------------------------------------------

    def call(self, name: str, args: tuple[Node, ...]) -> Written:
        if name == "today" and not args:
            return "today()", _ATOM
        if name == "not" and len(args) == 1:
            return f"not ({self.write(args[0])[0]})", _NOT
        if name == "if" and len(args) == 3:
            test, then, otherwise = args
            text = (
                f"{self.wrapped(then, _OR)} if {self.wrapped(test, _OR)} "
                f"else {self.wrapped(otherwise, _IF)}"
            )
            return text, _IF
        if name == "selected" and len(args) == 2:
            return self.selected(*args)
        if name == "count-selected" and len(args) == 1:
            answer = self.question_argument(name, args[0])
            if answer.kind == "multiple":
                return f"count_selected({answer.id})", _ATOM
            if answer.kind == "single":
                return f"1 if answered({answer.id}) else 0", _IF
            raise ExpressionError("count-selected() takes a choice question")
        if name == "string-length" and len(args) == 1:
            return f"string_length({self.question_argument(name, args[0]).id})", _ATOM
        if name == "regex" and len(args) == 2:
            return self.regex_match(*args)
        if name in ("date", "format-date", "int", "number") and args:
            literal = _literal_of(Call(name, args))
            if isinstance(literal, String):
                return repr(literal.value), _ATOM
            if _is_current_year(Call(name, args)):
                return "current_year", _ATOM
            if name == "number" and isinstance(args[0], Ref):
                return self.write(args[0])
        if name in _KNOWN:
            raise ExpressionError(f"{name}() is not supported with these arguments")
        raise ExpressionError(f"the function {name}() is not supported")

    def selected(self, question: Node, choice: Node) -> Written:
        """`selected(${q}, 'x')`: the choice's code is the answer, or one of the answers."""
        answer = self.question_argument("selected", question)
        value = _literal_of(choice)
        if not isinstance(value, _LITERAL) or answer.kind not in ("single", "multiple"):
            raise ExpressionError("selected() takes a choice question and a choice")
        code = _code(answer, value.value if isinstance(value, String) else _number(value.text))
        if answer.kind == "single":
            return f"{answer.id} == {code!r}", _COMPARE
        return f"{code!r} in {answer.id}", _COMPARE

    def regex_match(self, question: Node, pattern: Node) -> Written:
        """`regex(${q}, 'pattern')`, with a pattern that compiles."""
        answer = self.question_argument("regex", question)
        if not isinstance(pattern, String):
            raise ExpressionError("regex() takes a 'pattern' in quotes")
        try:
            regex.compile(pattern.value)
        except (regex.error, OverflowError, RecursionError) as error:
            raise ExpressionError(f"regex() pattern {quote(pattern.value)}: {error}") from None
        return f"regex({answer.id}, {pattern.value!r})", _ATOM

    def question_argument(self, function: str, node: Node) -> Answer:
        if not isinstance(node, Ref):
            raise ExpressionError(f"{function}() takes a question, such as ${{name}} or '.'")
        return self.answer(node.name)


# Functions translated above (with other arguments they are refused as such).
_KNOWN = {
    "today",
    "not",
    "if",
    "selected",
    "count-selected",
    "string-length",
    "regex",
    "date",
    "format-date",
    "int",
    "number",
}


def _literal_of(node: Node) -> Node:
    """`date('2000-01-01')` as the literal '2000-01-01' (checked); other nodes as they are."""
    if isinstance(node, Call) and node.name == "date" and len(node.args) == 1:
        argument = node.args[0]
        if isinstance(argument, String):
            return String(_iso_date(argument.value))
        raise ExpressionError("date() takes a date in quotes, such as date('2000-01-01')")
    return node


def _is_current_year(node: Node) -> bool:
    """`format-date(today(), '%Y')`, possibly inside int() or number()."""
    if not isinstance(node, Call):
        return False
    if node.name in ("int", "number") and len(node.args) == 1:
        return _is_current_year(node.args[0])
    return (
        node.name == "format-date"
        and len(node.args) == 2
        and node.args[0] == Call("today", ())
        and node.args[1] == String("%Y")
    )


def _typed_literal(answer: Answer, value: Number | String) -> Number | String:
    """A literal compared with a date or number question, in the form the platform compares."""
    if answer.kind == "date":
        if not isinstance(value, String):
            raise ExpressionError(f"{answer.id!r} is a date: compare it with date('YYYY-MM-DD')")
        return String(_iso_date(value.value))
    if answer.kind == "number" and isinstance(value, String):
        if _as_number(value.value) is None:
            raise ExpressionError(f"{answer.id!r} is a number: {value.value!r} is not one")
        return Number(value.value.strip())
    return value


def _code(answer: Answer, choice: str) -> str:
    code = answer.codes.get(choice)
    if code is None:
        raise ExpressionError(f"{choice!r} is not a choice of {answer.id!r}")
    return code


def _iso_date(text: str) -> str:
    text = text.strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        raise ExpressionError(f"{text!r} is not a date written YYYY-MM-DD") from None
    return text


def _as_number(text: str) -> float | None:
    text = text.strip()
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", text) or len(text) > MAX_NUMBER_LENGTH + 2:
        return None
    return float(text)


def _number(text: str) -> str:
    """A number as Python reads it: no leading zeros (`007` is not valid Python), `.5` → `0.5`."""
    whole, _, fraction = text.strip().partition(".")
    written = str(int(whole or "0"))
    return f"{written}.{fraction}" if fraction else written
