"""Condition text to a tree of nodes. The text is parsed with Python's own expression grammar
(`ast.parse`), then only a short list of node kinds is accepted and turned into our own tree.
Nothing from a file is ever executed."""

from __future__ import annotations

import ast

import regex

from survey.questionnaire.conditions.evaluation import compiled_pattern
from survey.questionnaire.conditions.language import (
    FUNCTIONS,
    LARGEST_NUMBER,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_PATTERN_LENGTH,
    QUOTED_LENGTH,
    ConditionError,
)
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


def parse_tree(source: str) -> Node:
    """The tree of condition text; raise ConditionError with a readable reason."""
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
    return _convert(expression.body, source)


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
        compiled_pattern(node.value)
    except regex.error as error:
        raise ConditionError(
            f"regex() pattern cannot be read ({error}): {_quoted(source)}"
        ) from None
