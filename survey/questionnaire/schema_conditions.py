"""Conditions in a questionnaire file, read for the loader (`survey.questionnaire.schema`): a
question's `relevant`, `constraints` and `screen_out`, and every condition, each checked against
the questions read so far (any question it names is asked before it is used, and compared only
with values it can take)."""

from __future__ import annotations

from typing import Any

from survey.questionnaire import conditions
from survey.questionnaire.conditions import Compare, Condition, ConditionError, ListOf, Literal, Ref
from survey.questionnaire.model import Constraint, Question, ScreenOut
from survey.questionnaire.types import TYPES
from survey.questionnaire.types.base import ANSWERED
from survey.questionnaire.yaml_file import FileReader, Lines, Places


class ConditionReader(FileReader):
    """A file reader that also reads conditions and references to questions, checked against
    the questions read so far: the loader fills in `order` (every question id and its position
    in the file) before it reads any condition, and `questions` as it builds each one."""

    def __init__(self, source_name: str, lines: Lines, places: Places | None = None):
        super().__init__(source_name, lines, places)
        self.order: dict[str, int] = {}
        self.questions: dict[str, Question] = {}

    def rules(self, data: dict[str, Any], path: tuple[Any, ...], position: int) -> dict[str, Any]:
        """A question's `relevant`, `constraints` and `screen_out`."""
        relevant = self.condition(
            data.get("relevant"), (*path, "relevant"), before=position, inclusive=False
        )
        constraints = []
        raw_constraints = data.get("constraints") or []
        if not isinstance(raw_constraints, list):
            self.problem((*path, "constraints"), "must be a list of {check, message}")
            raw_constraints = []
        for index, item in enumerate(raw_constraints):
            item_path = (*path, "constraints", index)
            rule = self.mapping(item, item_path, {"check", "message"})
            check = self.condition(rule.get("check"), (*item_path, "check"), before=position)
            message = self.text(rule.get("message"), (*item_path, "message"))
            if check is not None and message is not None:
                constraints.append(Constraint(check, message))
        screen_out = None
        if "screen_out" in data:
            rule = self.mapping(data["screen_out"], (*path, "screen_out"), {"when", "message"})
            when = self.condition(rule.get("when"), (*path, "screen_out", "when"), before=position)
            message = self.text(rule.get("message"), (*path, "screen_out", "message"))
            if when is not None and message is not None:
                screen_out = ScreenOut(when, message)
        return {"relevant": relevant, "constraints": tuple(constraints), "screen_out": screen_out}

    def earlier_question(
        self, question_id: Any, path: tuple[Any, ...], before: int
    ) -> Question | None:
        """The question `question_id`, which must come before position `before`."""
        position = self.order.get(question_id) if isinstance(question_id, str) else None
        if position is None:
            self.problem(path, f"unknown question id {question_id!r}")
            return None
        if position >= before:
            self.problem(path, f"{question_id!r} must be asked before this question")
            return None
        return self.questions.get(question_id)

    def condition(
        self, source: Any, path: tuple[Any, ...], before: int, inclusive: bool = True
    ) -> Condition | None:
        """Parse a condition whose questions must come before position `before`."""
        if source is None:
            return None
        try:
            condition = conditions.parse(source)
        except ConditionError as error:
            self.problem(path, str(error))
            return None
        ok = True
        for ref in condition.refs():
            if ref.name == conditions.CURRENT_YEAR:
                continue
            position = self.order.get(ref.name)
            if position is None:
                self.problem(path, f"unknown question id {ref.name!r}")
                ok = False
                continue
            if position > before or (position == before and not inclusive):
                self.problem(path, f"{ref.name!r} must be asked before this condition is used")
                ok = False
                continue
            question = self.questions.get(ref.name)
            if question is None:
                continue
            if ref.row is not None and ref.row not in {row.code for row in question.rows}:
                self.problem(path, f"{ref.name!r} has no row {ref.row!r}")
                ok = False
            if not TYPES[question.type].has_answer:
                self.problem(path, f"{ref.name!r} is a {question.type} and has no answer")
                ok = False
        for ref in dict.fromkeys(conditions.valued_refs(condition.tree)):
            question = self.questions.get(ref.name)
            if question is not None and TYPES[question.type].compares_as == ANSWERED:
                self.problem(
                    path,
                    f"{ref.name!r} is a {question.type}: a condition may only ask whether it "
                    f"is answered, answered({ref.name})",
                )
                ok = False
        for comparison in conditions.walk_comparisons(condition.tree):
            ok = self.check_codes(comparison, path) and ok
        return condition if ok else None

    def check_codes(self, comparison: Compare, path: tuple[Any, ...]) -> bool:
        """A value compared with an answer must be one it can take: one of a choice question's
        codes, a number for a number, a date for a date (each type says which)."""
        pairs = [(comparison.left, comparison.right), (comparison.right, comparison.left)]
        ok = True
        for side, other in pairs:
            if not isinstance(side, Ref) or side.name not in self.questions:
                continue
            question = self.questions[side.name]
            kind = TYPES[question.type]
            codes = kind.condition_codes(question, side.row)
            values: list[Any] = []
            if isinstance(other, Literal):
                values = [other.value]
            elif isinstance(other, ListOf):
                values = [item.value for item in other.items]
            for value in values:
                if codes is not None and value not in codes:
                    self.problem(path, f"{value!r} is not a code of {side.name!r}")
                    ok = False
                elif codes is None and side.row is None and not kind.valid_literal(value):
                    self.problem(path, f"{value!r} cannot be an answer to {side.name!r}")
                    ok = False
        return ok
