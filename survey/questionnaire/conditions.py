"""Conditions in questionnaire files: parsed into a small tree, checked, evaluated safely.

The text is parsed with Python's own expression grammar (`ast.parse`), then only a short list of
node kinds is accepted and turned into our own tree. Nothing from a file is ever executed.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import regex

CURRENT_YEAR = "current_year"
# Conditions people write are short and shallow; longer or deeper text is refused before it
# is parsed or walked (Python's parser and our own walks recurse once per level).
MAX_LENGTH = 2000
MAX_DEPTH = 40
# How much of a refused condition a message quotes.
QUOTED_LENGTH = 60
# Numbers beyond this size are refused in the text and give no value when worked out.
LARGEST_NUMBER = 1e15
# A pattern of regex() is short, and may take this long to match one answer; a pattern that
# backtracks for longer (a hostile one) counts as no match.
MAX_PATTERN_LENGTH = 500
PATTERN_SECONDS = 0.05
# Functions and how many arguments each takes.
FUNCTIONS = {"answered": 1, "count_selected": 1, "string_length": 1, "regex": 2, "today": 0}


class ConditionError(ValueError):
    """A condition that cannot be parsed or refers to something that does not exist."""


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Ref:
    """A question's answer (`row` set: one row of a matrix), or `current_year`."""

    name: str
    row: str | None = None


@dataclass(frozen=True)
class ListOf:
    items: tuple[Literal, ...]


@dataclass(frozen=True)
class Answered:
    ref: Ref


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Arith:
    op: str  # "+" "-" "*" "/" "%"
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    """count_selected(q), string_length(q), regex(q, 'pattern') or today()."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class IfElse:
    """`then if test else otherwise`."""

    test: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Compare:
    op: str  # "==" "!=" "<" "<=" ">" ">=" "in" "not in"
    left: Node
    right: Node


Node = Literal | Ref | ListOf | Answered | Not | BoolOp | Arith | Compare | Call | IfElse

_ARITH_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
}

_COMPARE_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


@dataclass(frozen=True)
class Condition:
    """A parsed condition with its source text."""

    source: str
    tree: Node

    def refs(self) -> set[Ref]:
        return set(_walk_refs(self.tree))

    def question_ids(self) -> set[str]:
        return {ref.name for ref in self.refs() if ref.name != CURRENT_YEAR}

    def evaluate(self, answers: Mapping[str, Any], today: date) -> bool:
        return _truthy(_evaluate(self.tree, answers, today))

    def value(self, answers: Mapping[str, Any], today: date) -> Any:
        """The value of an expression such as `current_year + 2`; None when it has none (a
        question it needs is unanswered, a division by zero)."""
        result = _evaluate(self.tree, answers, today)
        return None if result is _MISSING else result

    def to_json(self) -> Any:
        """A JSON form of the tree, for the browser-side helper that hides questions."""
        return _to_json(self.tree)


def parse(source: str) -> Condition:
    """Parse condition text; raise ConditionError with a readable reason."""
    if not isinstance(source, str) or not source.strip():
        raise ConditionError("a condition must be non-empty text")
    text = source.strip()
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"condition is too long ({len(text)} characters, at most {MAX_LENGTH}): {_quoted(text)}"
        )
    try:
        expression = ast.parse(text, mode="eval")
    except SyntaxError as error:
        if "too many nested" in (error.msg or ""):
            raise _too_deep(text) from None
        raise ConditionError(f"cannot read condition {_quoted(source)}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise _too_deep(text) from None
    if _depth(expression.body) > MAX_DEPTH:
        raise _too_deep(text)
    return Condition(source, _convert(expression.body, source))


def _quoted(source: str) -> str:
    """The condition as a message quotes it: whole when short, its start when long."""
    if len(source) <= QUOTED_LENGTH:
        return repr(source)
    return f"{source[:QUOTED_LENGTH]!r}…"


def _too_deep(text: str) -> ConditionError:
    return ConditionError(
        f"condition is nested too deeply (more than {MAX_DEPTH} levels): {_quoted(text)}"
    )


def _depth(root: ast.AST) -> int:
    """How many expressions deep the tree goes (counted without recursion: the tree may be far
    deeper than Python's recursion limit)."""
    deepest = 0
    pending = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                pending.append((child, depth + 1))
    return deepest


def _convert(node: ast.AST, source: str) -> Node:
    if isinstance(node, ast.Constant) and (
        isinstance(node.value, str | int | float) and not isinstance(node.value, bool)
    ):
        if isinstance(node.value, int | float) and not abs(node.value) <= LARGEST_NUMBER:
            raise ConditionError(f"number too large in a condition: {_quoted(source)}")
        return Literal(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = _convert(node.operand, source)
        if isinstance(operand, Literal) and isinstance(operand.value, int | float):
            return Literal(-operand.value)
        return Arith("-", Literal(0), operand)
    if isinstance(node, ast.Name):
        return Ref(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return Ref(node.value.id, node.attr)
    if isinstance(node, ast.List | ast.Tuple):
        items = tuple(_convert(item, source) for item in node.elts)
        if not all(isinstance(item, Literal) for item in items):
            raise ConditionError(f"only codes and numbers may stand in a list: {source!r}")
        return ListOf(items)  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Not(_convert(node.operand, source))
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(op, tuple(_convert(value, source) for value in node.values))
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH_OPS:
        op = _ARITH_OPS[type(node.op)]
        return Arith(op, _convert(node.left, source), _convert(node.right, source))
    if isinstance(node, ast.IfExp):
        return IfElse(
            _convert(node.test, source), _convert(node.body, source), _convert(node.orelse, source)
        )
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        parts: list[Node] = []
        for comparison, left, right in zip(node.ops, operands, operands[1:], strict=False):
            name = _COMPARE_OPS.get(type(comparison))
            if name is None:
                raise ConditionError(f"unsupported comparison in {source!r}")
            parts.append(Compare(name, _convert(left, source), _convert(right, source)))
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _call(node, node.func.id, source)
    fragment = ast.get_source_segment(source.strip(), node) or type(node).__name__
    raise ConditionError(f"{fragment!r} is not allowed in a condition ({source!r})")


def _call(node: ast.Call, name: str, source: str) -> Node:
    if name not in FUNCTIONS:
        known = ", ".join(f"{item}()" for item in FUNCTIONS)
        raise ConditionError(f"unknown function {name}() in {_quoted(source)} (known: {known})")
    if node.keywords or len(node.args) != FUNCTIONS[name]:
        count = FUNCTIONS[name]
        raise ConditionError(
            f"{name}() takes {count} argument{'s' if count != 1 else ''}: {_quoted(source)}"
        )
    args = tuple(_convert(item, source) for item in node.args)
    if name in ("answered", "count_selected") and not isinstance(args[0], Ref):
        raise ConditionError(f"{name}() takes a question id: {_quoted(source)}")
    if name == "answered":
        return Answered(args[0])  # type: ignore[arg-type]
    if name == "regex":
        _check_pattern(args[1], source)
    return Call(name, args)


def _check_pattern(node: Node, source: str) -> None:
    if not (isinstance(node, Literal) and isinstance(node.value, str)):
        raise ConditionError(f"regex() takes a 'quoted' pattern: {_quoted(source)}")
    if len(node.value) > MAX_PATTERN_LENGTH:
        raise ConditionError(
            f"pattern too long (at most {MAX_PATTERN_LENGTH} characters): {_quoted(source)}"
        )
    try:
        _compiled(node.value)
    except regex.error as error:
        raise ConditionError(
            f"regex() pattern cannot be read ({error}): {_quoted(source)}"
        ) from None


_PATTERNS: dict[str, Any] = {}


def _compiled(pattern: str) -> Any:
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        compiled = _PATTERNS[pattern] = regex.compile(pattern)
    return compiled


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Answered(ref):
            return (ref,)
        case Not(operand):
            return (operand,)
        case BoolOp(_, operands):
            return operands
        case Arith(_, left, right) | Compare(_, left, right):
            return (left, right)
        case Call(_, args):
            return args
        case IfElse(test, then, otherwise):
            return (test, then, otherwise)
    return ()


def _walk_refs(node: Node) -> list[Ref]:
    if isinstance(node, Ref):
        return [node]
    return [ref for child in _children(node) for ref in _walk_refs(child)]


def valued_refs(node: Node) -> list[Ref]:
    """The references whose value the condition reads: all but those inside `answered()`."""
    if isinstance(node, Ref):
        return [node]
    if isinstance(node, Answered):
        return []
    return [ref for child in _children(node) for ref in valued_refs(child)]


def walk_comparisons(node: Node) -> list[Compare]:
    """Every comparison in a tree, for load-time checks of codes."""
    found = [node] if isinstance(node, Compare) else []
    return found + [item for child in _children(node) for item in walk_comparisons(child)]


_MISSING = object()
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _lookup(ref: Ref, answers: Mapping[str, Any], today: date) -> Any:
    if ref.name == CURRENT_YEAR:
        return today.year
    value = answers.get(ref.name)
    if ref.row is not None:
        value = value.get(ref.row) if isinstance(value, dict) else None
    if value is None or value == [] or value == "":
        return _MISSING
    return value


def _ordered(op: str) -> Callable[[Any, Any], bool]:
    return {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op]


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is _MISSING or right is _MISSING:
        return False
    if op in ("in", "not in"):
        if not isinstance(right, list | tuple):
            return False
        inside = left in right
        return inside if op == "in" else not inside
    if _is_number(left) or _is_number(right):
        # Text holding a number (a calculation's "3") compares as that number.
        left, right = _number(left), _number(right)
        if left is _MISSING or right is _MISSING:
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
    """A number, or text that holds one ("3", " 2.5 "); anything else is _MISSING."""
    if _is_number(value):
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value)
        except ValueError:
            return _MISSING
        if math.isfinite(number):
            return int(number) if number.is_integer() and "." not in value else number
    return _MISSING


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
    if a is _MISSING or b is _MISSING:
        return _MISSING
    if op in ("/", "%") and b == 0:
        return _MISSING
    result = _OPERATIONS[op](a, b)
    if not abs(result) <= LARGEST_NUMBER * LARGEST_NUMBER:
        return _MISSING
    return result


def _function(name: str, values: list[Any], today: date) -> Any:
    if name == "today":
        return today.isoformat()
    value = values[0]
    if name == "count_selected":
        return len(value) if isinstance(value, list) else 0
    if value is _MISSING:
        return 0 if name == "string_length" else False
    text = value if isinstance(value, str) else _text(value)
    if name == "string_length":
        return len(text)
    try:  # regex
        return _compiled(values[1]).search(text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        return False


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _evaluate(node: Node, answers: Mapping[str, Any], today: date) -> Any:
    match node:
        case Literal(value):
            return value
        case Ref():
            return _lookup(node, answers, today)
        case ListOf(items):
            return [item.value for item in items]
        case Answered(ref):
            return _lookup(ref, answers, today) is not _MISSING
        case Not(operand):
            return not _truthy(_evaluate(operand, answers, today))
        case BoolOp("and", operands):
            return all(_truthy(_evaluate(item, answers, today)) for item in operands)
        case BoolOp(_, operands):
            return any(_truthy(_evaluate(item, answers, today)) for item in operands)
        case Arith(op, left, right):
            return _arithmetic(
                op, _evaluate(left, answers, today), _evaluate(right, answers, today)
            )
        case Compare(op, left, right):
            return _compare(op, _evaluate(left, answers, today), _evaluate(right, answers, today))
        case Call(name, args):
            return _function(name, [_evaluate(item, answers, today) for item in args], today)
        case IfElse(test, then, otherwise):
            chosen = then if _truthy(_evaluate(test, answers, today)) else otherwise
            return _evaluate(chosen, answers, today)
    raise AssertionError(f"unknown node {node!r}")


def _truthy(value: Any) -> bool:
    return value is not _MISSING and bool(value)


def _to_json(node: Node) -> Any:
    match node:
        case Literal(value):
            return {"lit": value}
        case Ref(name, row):
            return {"ref": name, "row": row}
        case ListOf(items):
            return {"list": [item.value for item in items]}
        case Answered(ref):
            return {"answered": _to_json(ref)}
        case Not(operand):
            return {"not": _to_json(operand)}
        case BoolOp(op, operands):
            return {op: [_to_json(item) for item in operands]}
        case Arith(op, left, right) | Compare(op, left, right):
            return {"op": op, "left": _to_json(left), "right": _to_json(right)}
        case Call(name, args):
            return {"call": name, "args": [_to_json(item) for item in args]}
        case IfElse(test, then, otherwise):
            return {"if": [_to_json(test), _to_json(then), _to_json(otherwise)]}
    raise AssertionError(f"unknown node {node!r}")
