"""Conditions in questionnaire files: parsed into a small tree, checked, evaluated safely.

The text is parsed with Python's own expression grammar (`ast.parse`), then only a short list of
node kinds is accepted and turned into our own tree. Nothing from a file is ever executed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

CURRENT_YEAR = "current_year"
# Conditions people write are short and shallow; longer or deeper text is refused before it
# is parsed or walked (Python's parser and our own walks recurse once per level).
MAX_LENGTH = 2000
MAX_DEPTH = 40
# How much of a refused condition a message quotes.
QUOTED_LENGTH = 60


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
    op: str  # "+" | "-"
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare:
    op: str  # "==" "!=" "<" "<=" ">" ">=" "in" "not in"
    left: Node
    right: Node


Node = Literal | Ref | ListOf | Answered | Not | BoolOp | Arith | Compare

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

    def evaluate(self, answers: Mapping[str, Any], current_year: int) -> bool:
        return bool(_evaluate(self.tree, answers, current_year))

    def value(self, answers: Mapping[str, Any], current_year: int) -> Any:
        """The value of an arithmetic expression such as `current_year + 2`."""
        return _evaluate(self.tree, answers, current_year)

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
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        op = "+" if isinstance(node.op, ast.Add) else "-"
        return Arith(op, _convert(node.left, source), _convert(node.right, source))
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        parts: list[Node] = []
        for comparison, left, right in zip(node.ops, operands, operands[1:], strict=False):
            name = _COMPARE_OPS.get(type(comparison))
            if name is None:
                raise ConditionError(f"unsupported comparison in {source!r}")
            parts.append(Compare(name, _convert(left, source), _convert(right, source)))
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "answered"
        and len(node.args) == 1
        and not node.keywords
    ):
        argument = _convert(node.args[0], source)
        if not isinstance(argument, Ref):
            raise ConditionError(f"answered() takes a question id: {source!r}")
        return Answered(argument)
    fragment = ast.get_source_segment(source.strip(), node) or type(node).__name__
    raise ConditionError(f"{fragment!r} is not allowed in a condition ({source!r})")


def _walk_refs(node: Node) -> list[Ref]:
    match node:
        case Ref():
            return [node]
        case Answered(ref):
            return [ref]
        case Not(operand):
            return _walk_refs(operand)
        case BoolOp(_, operands):
            return [ref for operand in operands for ref in _walk_refs(operand)]
        case Arith(_, left, right) | Compare(_, left, right):
            return _walk_refs(left) + _walk_refs(right)
    return []


def valued_refs(node: Node) -> list[Ref]:
    """The references whose value the condition reads: all but those inside `answered()`."""
    match node:
        case Ref():
            return [node]
        case Not(operand):
            return valued_refs(operand)
        case BoolOp(_, operands):
            return [ref for operand in operands for ref in valued_refs(operand)]
        case Arith(_, left, right) | Compare(_, left, right):
            return valued_refs(left) + valued_refs(right)
    return []


def walk_comparisons(node: Node) -> list[Compare]:
    """Every comparison in a tree, for load-time checks of codes."""
    match node:
        case Compare():
            return [node]
        case Not(operand):
            return walk_comparisons(operand)
        case BoolOp(_, operands):
            return [item for operand in operands for item in walk_comparisons(operand)]
    return []


_MISSING = object()
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _lookup(ref: Ref, answers: Mapping[str, Any], current_year: int) -> Any:
    if ref.name == CURRENT_YEAR:
        return current_year
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
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op in ("in", "not in"):
        if not isinstance(right, list | tuple):
            return False
        inside = left in right
        return inside if op == "in" else not inside
    if (_is_number(left) and _is_number(right)) or (_is_date(left) and _is_date(right)):
        return _ordered(op)(left, right)
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_date(value: Any) -> bool:
    """An ISO date ("2001-03-28"): dates are ordered as their text is."""
    return isinstance(value, str) and _ISO_DATE.fullmatch(value) is not None


def _evaluate(node: Node, answers: Mapping[str, Any], current_year: int) -> Any:
    match node:
        case Literal(value):
            return value
        case Ref():
            return _lookup(node, answers, current_year)
        case ListOf(items):
            return [item.value for item in items]
        case Answered(ref):
            return _lookup(ref, answers, current_year) is not _MISSING
        case Not(operand):
            return not _truthy(_evaluate(operand, answers, current_year))
        case BoolOp("and", operands):
            return all(_truthy(_evaluate(item, answers, current_year)) for item in operands)
        case BoolOp(_, operands):
            return any(_truthy(_evaluate(item, answers, current_year)) for item in operands)
        case Arith(op, left, right):
            a = _evaluate(left, answers, current_year)
            b = _evaluate(right, answers, current_year)
            if not (_is_number(a) and _is_number(b)):
                return _MISSING
            return a + b if op == "+" else a - b
        case Compare(op, left, right):
            return _compare(
                op,
                _evaluate(left, answers, current_year),
                _evaluate(right, answers, current_year),
            )
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
    raise AssertionError(f"unknown node {node!r}")
