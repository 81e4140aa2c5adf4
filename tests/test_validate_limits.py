"""`survey questionnaire validate` on a condition too long or too deep to read: one line, no
traceback (the real console script, as an author runs it)."""

from __future__ import annotations

import json

import pytest

from tests import console
from tests.conftest import WE_OWN_IT

RELEVANT = "relevant: \"federation == 'yes'\""


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        (" or ".join(["age == 20"] * 5000), "condition is too long"),
        ("(" * 500 + "age == 20" + ")" * 500, "condition is nested too deeply"),
        ("not " * 300 + "age == 20", "condition is nested too deeply"),
    ],
    ids=["long", "parentheses", "nots"],
)
def test_validate_names_an_unreadable_condition_in_one_line(tmp_path, condition, reason):
    source = WE_OWN_IT.read_text(encoding="utf-8")
    assert source.count(RELEVANT) == 1
    path = tmp_path / "huge.yaml"
    path.write_text(source.replace(RELEVANT, f"relevant: {json.dumps(condition)}"), "utf-8")

    result = console.run(
        "questionnaire", "validate", str(path), env=console.environment(tmp_path), cwd=tmp_path
    )

    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "RecursionError" not in output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:") and "relevant" in lines[0], lines[0]
    assert reason in lines[0], lines[0]
    assert len(lines[0]) < 300, "the line quotes the start of the condition, not all of it"
