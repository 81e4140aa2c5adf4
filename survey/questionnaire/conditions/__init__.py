"""Conditions in questionnaire files: parsed into a small tree, checked, evaluated safely.

`parse` reads the text with Python's own expression grammar and keeps only a short list of node
kinds (`parsing`), as a tree of our own `nodes`; `evaluation` works the tree out against answers.
Nothing from a file is ever executed. The names, functions and limits the text may use, and the
error for text that breaks them, are in `language`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from survey.questionnaire.conditions import evaluation, nodes
from survey.questionnaire.conditions.language import (
    CURRENT_YEAR,
    FUNCTIONS,
    LARGEST_NUMBER,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_PATTERN_LENGTH,
    PATTERN_SECONDS,
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
    valued_refs,
    walk_comparisons,
)
from survey.questionnaire.conditions.parsing import parse_tree

__all__ = [
    "CURRENT_YEAR",
    "FUNCTIONS",
    "LARGEST_NUMBER",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_PATTERN_LENGTH",
    "PATTERN_SECONDS",
    "QUOTED_LENGTH",
    "Answered",
    "Arith",
    "BoolOp",
    "Call",
    "Compare",
    "Condition",
    "ConditionError",
    "IfElse",
    "ListOf",
    "Literal",
    "Node",
    "Not",
    "Ref",
    "parse",
    "valued_refs",
    "walk_comparisons",
]


@dataclass(frozen=True)
class Condition:
    """A parsed condition with its source text."""

    source: str
    tree: Node

    def refs(self) -> set[Ref]:
        return set(nodes.walk_refs(self.tree))

    def question_ids(self) -> set[str]:
        return {ref.name for ref in self.refs() if ref.name != CURRENT_YEAR}

    def evaluate(self, answers: Mapping[str, Any], today: date) -> bool:
        return evaluation.truthy(evaluation.evaluate(self.tree, answers, today))

    def value(self, answers: Mapping[str, Any], today: date) -> Any:
        """The value of an expression such as `current_year + 2`; None when it has none (a
        question it needs is unanswered, a division by zero)."""
        result = evaluation.evaluate(self.tree, answers, today)
        return None if result is evaluation.MISSING else result

    def to_json(self) -> Any:
        """A JSON form of the tree, for the browser-side helper that hides questions."""
        return nodes.to_json(self.tree)


def parse(source: str) -> Condition:
    """Parse condition text; raise ConditionError with a readable reason."""
    return Condition(source, parse_tree(source))
