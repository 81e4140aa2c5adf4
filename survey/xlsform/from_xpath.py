"""XLSForm expressions (the XPath of `relevant`, `constraint`, `calculation`) as conditions of the
questionnaire format (FORMAT.md, "Conditions"): `${age} >= 18 and selected(${s}, 'x')` becomes
`age >= 18 and 'x' in s`.

A tokenizer and a recursive-descent parser read the XPath subset XLSForm authors write into a
small tree; the tree is then written out in the platform's Python-like syntax, keeping XPath's
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

# Parentheses and function calls nest at most this deep (the parser recurses once per level);
# the whole tree, and the condition written from it, at most MAX_DEPTH, as the platform allows.
MAX_NESTING = 25
MAX_NUMBER_LENGTH = 15
_QUOTED = 40


class ExpressionError(ValueError):
    """An expression that cannot be carried over; the message says why."""


@dataclass(frozen=True)
class Answer:
    """What the translation needs to know of a question an expression names."""

    id: str
    kind: str  # single | multiple | date | number | text | other
    codes: Mapping[str, str] = field(default_factory=dict)  # choice name → choice code


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
    tree = _Parser(_tokens(text), own).expression_only()
    if _depth(tree) > MAX_DEPTH:
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


# -- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<ref>\$\{\s*(?P<refname>[^}]*?)\s*\})
    |(?P<number>\d+(?:\.\d*)?|\.\d+)
    |(?P<string>['‘’][^'‘’]*['‘’]|["“”][^"“”]*["“”])
    |(?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\||//|/|\.\.|\.|\[|\]|@)
    |(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # ref | number | string | op | name | end
    text: str


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {_quote(text[position:])}")
        position = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind == "ref":
            found.append(_Token("ref", match.group("refname")))
        elif kind == "string":
            found.append(_Token("string", match.group()[1:-1]))
        else:
            found.append(_Token(str(kind), match.group()))
    found.append(_Token("end", ""))
    return found


def _quote(text: str) -> str:
    return repr(text if len(text) <= _QUOTED else text[:_QUOTED] + "…")


# -- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Number:
    text: str


@dataclass(frozen=True)
class _String:
    value: str


@dataclass(frozen=True)
class _Ref:
    name: str


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[_Node, ...]


@dataclass(frozen=True)
class _Binary:
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Negative:
    operand: _Node


_Node = _Number | _String | _Ref | _Call | _Binary | _Negative


def _depth(root: _Node) -> int:
    """How deep the tree goes (counted without recursion: a long chain of `+` is deep)."""
    deepest = 0
    pending: list[tuple[_Node, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        children: tuple[_Node, ...] = ()
        if isinstance(node, _Binary):
            children = (node.left, node.right)
        elif isinstance(node, _Call):
            children = node.args
        elif isinstance(node, _Negative):
            children = (node.operand,)
        pending.extend((child, depth + 1) for child in children)
    return deepest


# XPath's binary operators from the loosest to the tightest.
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("or",),
    ("and",),
    ("=", "!="),
    ("<", "<=", ">", ">="),
    ("+", "-"),
    ("*", "div", "mod"),
)
_WORD_OPERATORS = {"or", "and", "div", "mod"}


class _Parser:
    def __init__(self, tokens: list[_Token], own: str | None):
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.own = own

    @property
    def token(self) -> _Token:
        return self.tokens[self.position]

    def advance(self) -> _Token:
        token = self.token
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        if self.token.kind == "op" and self.token.text == text:
            self.advance()
            return
        found = self.token.text or "the end"
        raise ExpressionError(f"expected {text!r} but found {found!r}")

    def expression_only(self) -> _Node:
        tree = self.expression()
        if self.token.kind != "end":
            raise ExpressionError(f"unexpected {self.token.text!r}")
        return tree

    def expression(self) -> _Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(
                f"the expression is nested too deeply (over {MAX_NESTING} levels of "
                "parentheses and functions)"
            )
        tree = self.binary(0)
        self.depth -= 1
        return tree

    def operator(self, level: int) -> str | None:
        token = self.token
        if token.kind == "op" and token.text in _LEVELS[level]:
            return token.text
        if token.kind == "name" and token.text in _WORD_OPERATORS and token.text in _LEVELS[level]:
            return token.text
        return None

    def binary(self, level: int) -> _Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (op := self.operator(level)) is not None:
            self.advance()
            left = _Binary(op, left, self.binary(level + 1))
        return left

    def unary(self) -> _Node:
        negations = 0
        while self.token.kind == "op" and self.token.text == "-":
            self.advance()
            negations += 1
        operand = self.primary()
        if self.token.kind == "op" and self.token.text in ("|", "/", "//", "["):
            raise ExpressionError(f"paths and node sets ({self.token.text!r}) are not supported")
        return _Negative(operand) if negations % 2 else operand

    def primary(self) -> _Node:
        token = self.advance()
        if token.kind == "number":
            digits = token.text.replace(".", "").lstrip("0")
            if len(digits) > MAX_NUMBER_LENGTH:
                raise ExpressionError(f"the number {_quote(token.text)} is too long")
            return _Number(token.text)
        if token.kind == "string":
            return _String(token.text)
        if token.kind == "ref":
            if not token.text:
                raise ExpressionError("${} names no question")
            return _Ref(token.text)
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text == ".":
            if self.own is None:
                raise ExpressionError("'.' (this question) only means something in a constraint")
            return _Ref(self.own)
        if token.kind == "name" and self.token.kind == "op" and self.token.text == "(":
            return self.call(token.text)
        if token.kind == "end":
            raise ExpressionError("the expression ends too early")
        if token.kind == "name":
            raise ExpressionError(
                f"{token.text!r} is a path, which is not supported; name questions as ${{name}}"
            )
        if token.kind == "op" and token.text in ("..", "/", "//", "@", "[", "|"):
            raise ExpressionError(f"paths ({token.text!r}) are not supported")
        raise ExpressionError(f"{token.text!r} is not supported here")

    def call(self, name: str) -> _Node:
        self.expect("(")
        args: list[_Node] = []
        if not (self.token.kind == "op" and self.token.text == ")"):
            args.append(self.expression())
            while self.token.kind == "op" and self.token.text == ",":
                self.advance()
                args.append(self.expression())
        self.expect(")")
        return _Call(name, tuple(args))


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
_LITERAL = _Number | _String

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

    def write(self, node: _Node) -> Written:
        match node:
            case _Number(text):
                return _number(text), _ATOM
            case _String(value):
                return repr(value), _ATOM
            case _Ref(name):
                return self.answer(name).id, _ATOM
            case _Negative(operand):
                return "-" + self.wrapped(operand, _NEGATIVE), _NEGATIVE
            case _Binary(op, left, right) if _PRECEDENCE[op] == _COMPARE:
                return self.comparison(op, left, right)
            case _Binary(op, left, right):
                level = _PRECEDENCE[op]
                symbol = _PYTHON_OPERATOR.get(op, op)
                text = f"{self.wrapped(left, level)} {symbol} {self.wrapped(right, level + 1)}"
                return text, level
            case _Call(name, args):
                return self.call(name, args)
        raise AssertionError(f"unknown node {node!r}")

    def wrapped(self, node: _Node, level: int) -> str:
        text, precedence = self.write(node)
        return text if precedence >= level else f"({text})"

    # -- comparisons ---------------------------------------------------------------------------

    def comparison(self, op: str, left: _Node, right: _Node) -> Written:
        left, right = _literal_of(left), _literal_of(right)
        if isinstance(left, _LITERAL) and isinstance(right, _Ref):
            op, left, right = _FLIPPED[op], right, left
        if isinstance(left, _Ref) and isinstance(right, _LITERAL):
            answer = self.answer(left.name)
            if op in ("=", "!=") and isinstance(right, _String) and right.value == "":
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

    def choice_comparison(self, op: str, answer: Answer, value: _Number | _String) -> Written:
        """A choice question compared with a value: compared with its codes instead."""
        name = value.value if isinstance(value, _String) else _number(value.text)
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

    def call(self, name: str, args: tuple[_Node, ...]) -> Written:
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
            answer = self.question_argument(name, args[0])
            value = _literal_of(args[1])
            if not isinstance(value, _LITERAL) or answer.kind not in ("single", "multiple"):
                raise ExpressionError("selected() takes a choice question and a choice")
            choice = value.value if isinstance(value, _String) else _number(value.text)
            code = _code(answer, choice)
            if answer.kind == "single":
                return f"{answer.id} == {code!r}", _COMPARE
            return f"{code!r} in {answer.id}", _COMPARE
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
            answer = self.question_argument(name, args[0])
            pattern = args[1]
            if not isinstance(pattern, _String):
                raise ExpressionError("regex() takes a 'pattern' in quotes")
            try:
                regex.compile(pattern.value)
            except (regex.error, OverflowError, RecursionError) as error:
                raise ExpressionError(f"regex() pattern {_quote(pattern.value)}: {error}") from None
            return f"regex({answer.id}, {pattern.value!r})", _ATOM
        if name in ("date", "format-date", "int", "number") and args:
            literal = _literal_of(_Call(name, args))
            if isinstance(literal, _String):
                return repr(literal.value), _ATOM
            if _is_current_year(_Call(name, args)):
                return "current_year", _ATOM
            if name == "number" and isinstance(args[0], _Ref):
                return self.write(args[0])
        if name in _KNOWN:
            raise ExpressionError(f"{name}() is not supported with these arguments")
        raise ExpressionError(f"the function {name}() is not supported")

    def question_argument(self, function: str, node: _Node) -> Answer:
        if not isinstance(node, _Ref):
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


def _literal_of(node: _Node) -> _Node:
    """`date('2000-01-01')` as the literal '2000-01-01' (checked); other nodes as they are."""
    if isinstance(node, _Call) and node.name == "date" and len(node.args) == 1:
        argument = node.args[0]
        if isinstance(argument, _String):
            return _String(_iso_date(argument.value))
        raise ExpressionError("date() takes a date in quotes, such as date('2000-01-01')")
    return node


def _is_current_year(node: _Node) -> bool:
    """`format-date(today(), '%Y')`, possibly inside int() or number()."""
    if not isinstance(node, _Call):
        return False
    if node.name in ("int", "number") and len(node.args) == 1:
        return _is_current_year(node.args[0])
    return (
        node.name == "format-date"
        and len(node.args) == 2
        and node.args[0] == _Call("today", ())
        and node.args[1] == _String("%Y")
    )


def _typed_literal(answer: Answer, value: _Number | _String) -> _Number | _String:
    """A literal compared with a date or number question, in the form the platform compares."""
    if answer.kind == "date":
        if not isinstance(value, _String):
            raise ExpressionError(f"{answer.id!r} is a date: compare it with date('YYYY-MM-DD')")
        return _String(_iso_date(value.value))
    if answer.kind == "number" and isinstance(value, _String):
        if _as_number(value.value) is None:
            raise ExpressionError(f"{answer.id!r} is a number: {value.value!r} is not one")
        return _Number(value.value.strip())
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
