"""A survey row's expressions (relevant, constraint, calculation) as conditions of the format,
every name they use checked: a question kept, asked before the row."""

from __future__ import annotations

import ast

from survey.xlsform.from_xpath import Answer, ExpressionError, translate
from survey.xlsform.read_state import Item, ReaderState, RowError

# The kind of answer (`Answer.kind`) of each platform type, for the translation; others are "other".
KIND_OF_TYPE = {
    "integer": "number",
    "decimal": "number",
    "scale": "number",
    "date": "date",
    "text": "text",
    "single": "single",
    "multiple": "multiple",
}


def expression(state: ReaderState, item: Item, path: tuple[str, ...], what: str) -> str | None:
    """The row's cell at `path` as a condition, None when empty; RowError when it cannot be."""
    source = item.row.get(*path)
    if source is None or not str(source).strip():
        return None
    own = item.name if what == "constraint" else None
    try:
        translation = translate(str(source), lambda name: _lookup(state, name), own=own)
    except ExpressionError as error:
        raise RowError(f"{what} {_short(str(source))}: {error}") from None
    check_names(state, item, translation.names, what, inclusive=what == "constraint")
    return translation.text


def _lookup(state: ReaderState, name: str) -> Answer | None:
    if state.current is not None and name == state.current[0]:
        return state.current[1]
    if name in state.kept:
        return state.kept[name]
    if state.metadata.get(name) == "today":
        return Answer("today()", "date")
    item = state.by_name.get(name)
    if item is None:
        return None
    return Answer(state.id_of(item), KIND_OF_TYPE.get(str(item.question_type), "other"))


def check_names(
    state: ReaderState, item: Item, used: set[str] | frozenset[str], what: str, *, inclusive: bool
) -> None:
    """Every name an expression uses is a question kept, and asked before it."""
    for name in sorted(used):
        if name in state.gone:
            raise RowError(f"{what} refers to {name!r}, which is left out")
        if state.metadata.get(name) == "today":
            continue
        if name in state.metadata:
            raise RowError(
                f"{what} refers to {name!r} ({state.metadata[name]}), metadata the platform "
                "does not keep"
            )
        if name in state.kept and name != item.name:
            continue
        if inclusive and name == item.name:
            continue
        if name == item.name:
            raise RowError(f"{what} refers to the question itself")
        if name in state.by_name and state.by_name[name].kind == "begin_group":
            raise RowError(f"{what} refers to the group {name!r}")
        raise RowError(
            f"{what} refers to {name!r}, which comes later in the form (conditions may only "
            "use questions asked before)"
        )


def all_of(conditions: list[str]) -> str | None:
    """Conditions that must all hold, as one; parentheses only where `and` needs them."""
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return " and ".join(c if _binds_tighter_than_and(c) else f"({c})" for c in conditions)


def _binds_tighter_than_and(condition: str) -> bool:
    node = ast.parse(condition, mode="eval").body
    return not (
        isinstance(node, ast.IfExp)
        or (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or))
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 80 else text[:80] + "…")
