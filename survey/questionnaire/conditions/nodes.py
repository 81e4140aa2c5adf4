"""The tree a condition is parsed into: one frozen dataclass for each kind of node, the walks
the loader's checks make over it, and its JSON form for the browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def walk_refs(node: Node) -> list[Ref]:
    """Every reference in a tree, `answered()`'s included."""
    if isinstance(node, Ref):
        return [node]
    return [ref for child in _children(node) for ref in walk_refs(child)]


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


def to_json(node: Node) -> Any:
    """A JSON form of the tree, for the browser-side helper that hides questions."""
    match node:
        case Literal(value):
            return {"lit": value}
        case Ref(name, row):
            return {"ref": name, "row": row}
        case ListOf(items):
            return {"list": [item.value for item in items]}
        case Answered(ref):
            return {"answered": to_json(ref)}
        case Not(operand):
            return {"not": to_json(operand)}
        case BoolOp(op, operands):
            return {op: [to_json(item) for item in operands]}
        case Arith(op, left, right) | Compare(op, left, right):
            return {"op": op, "left": to_json(left), "right": to_json(right)}
        case Call(name, args):
            return {"call": name, "args": [to_json(item) for item in args]}
        case IfElse(test, then, otherwise):
            return {"if": [to_json(test), to_json(then), to_json(otherwise)]}
    raise AssertionError(f"unknown node {node!r}")
