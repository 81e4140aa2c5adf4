"""Flat columns over questionnaire versions: a column never disappears, moves or changes meaning,
and choice numbers (SPSS/Stata values) never change once published."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyreadstat

from survey.export import flatten, rows
from survey.export.rows import ResponseRecord
from survey.questionnaire.schema import Questionnaire, load_text
from tests.conftest import WE_OWN_IT
from tests.respondent import MEMBER_ANSWERS, Respondent


def row(
    record: ResponseRecord, questionnaire: Questionnaire, columns: list[flatten.Column]
) -> list[Any]:
    """One response as the export writes it."""
    return rows.row_maker(columns)(record, questionnaire)


V1 = """\
slug: mini
languages: [en, fr]
title: {en: Mini, fr: Mini}
schedule:
  opens_at: null
  closes_at: "2027-05-26T00:00"
  timezone: Europe/Brussels
  grace_minutes: 60
consent:
  version: "1"
  label: {en: I agree, fr: J'accepte}
sections:
  - id: first
    title: {en: First, fr: Premier}
    questions:
      - id: age
        type: integer
        label: {en: Age, fr: Âge}
        min: 10
        max: 99
      - id: colour
        type: single
        label: {en: Colour, fr: Couleur}
        choices:
          - {code: red, label: {en: Red, fr: Rouge}}
          - {code: blue, label: {en: Blue, fr: Bleu}}
          - {code: green, label: {en: Green, fr: Vert}}
      - id: note
        type: text
        label: {en: Note, fr: Note}
  - id: second
    title: {en: Second, fr: Second}
    relevant: "age >= 18"
    questions:
      - id: pets
        type: multiple
        label: {en: Pets, fr: Animaux}
        choices:
          - {code: cat, label: {en: Cat, fr: Chat}}
          - {code: dog, label: {en: Dog, fr: Chien}}
          - {code: other, label: {en: Other, fr: Autre}, other: true}
      - id: grid
        type: matrix
        label: {en: Grid, fr: Grille}
        rows:
          - {code: one, label: {en: One, fr: Un}}
          - {code: two, label: {en: Two, fr: Deux}}
        scale:
          - {code: 1, label: {en: Low, fr: Bas}}
          - {code: 2, label: {en: High, fr: Haut}}
          - {code: 9, label: {en: "I don't know", fr: Je ne sais pas}, missing: true}
"""

# v2: `note` removed, `green` removed from colour, `yellow` added; a new question `hobby` after
# age; pets gains `fish`; the wording of colour changes.
V2 = (
    V1.replace("      - id: note\n        type: text\n        label: {en: Note, fr: Note}\n", "")
    .replace("          - {code: green, label: {en: Green, fr: Vert}}\n", "")
    .replace(
        "          - {code: blue, label: {en: Blue, fr: Bleu}}\n",
        "          - {code: blue, label: {en: Blue, fr: Bleu}}\n"
        "          - {code: yellow, label: {en: Yellow, fr: Jaune}}\n",
    )
    .replace(
        "        max: 99\n",
        "        max: 99\n"
        "      - id: hobby\n        type: text\n        label: {en: Hobby, fr: Loisir}\n",
    )
    .replace(
        "          - {code: dog, label: {en: Dog, fr: Chien}}\n",
        "          - {code: dog, label: {en: Dog, fr: Chien}}\n"
        "          - {code: fish, label: {en: Fish, fr: Poisson}}\n",
    )
    .replace("label: {en: Colour, fr: Couleur}", "label: {en: Favourite colour, fr: Couleur}")
)

# The metadata, then the quality flags: before the questions in every export.
META = [column.name for column in flatten.METADATA] + ["flag_speeder", "flag_straightlining"]
STARTED = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def versions() -> tuple[Questionnaire, Questionnaire]:
    return load_text(V1, "v1.yaml"), load_text(V2, "v2.yaml")


def names(columns) -> list[str]:
    return [column.name for column in columns]


def by_name(columns) -> dict[str, flatten.Column]:
    return {column.name: column for column in columns}


def record(answers: dict[str, Any], *, sections=("first", "second"), **changes) -> ResponseRecord:
    values = {
        "response_id": "r1",
        "status": "complete",
        "late": False,
        "language": "en",
        "channel": None,
        "questionnaire_version": 1,
        "consent_version": "1",
        "started_at": STARTED,
        "submitted_at": STARTED + timedelta(minutes=5),
        "last_section": "second",
        "answers": answers,
        "completed_sections": frozenset(sections),
    }
    values.update(changes)
    return ResponseRecord(**values)


def test_v2_really_differs_from_v1():
    v1, v2 = versions()
    assert not v2.has_question("note") and v2.has_question("hobby")
    assert [choice.code for choice in v2.question("colour").choices] == ["red", "blue", "yellow"]


def test_columns_of_one_version():
    v1, _ = versions()
    assert names(flatten.columns([v1])) == META + [
        "age",
        "colour",
        "note",
        "pets__cat",
        "pets__dog",
        "pets__other",
        "pets_other",
        "grid__one",
        "grid__two",
    ]


def test_merged_columns_keep_removed_questions_and_choices_in_place():
    v1, v2 = versions()
    merged = flatten.columns([v1, v2])
    assert names(merged) == META + [
        "age",
        "hobby",
        "colour",
        "note",
        "pets__cat",
        "pets__dog",
        "pets__other",
        "pets__fish",
        "pets_other",
        "grid__one",
        "grid__two",
    ]
    colour = by_name(merged)["colour"]
    assert [code for code, _ in colour.value_labels] == ["red", "blue", "green", "yellow"]
    assert colour.label["en"] == "Favourite colour"  # the newest wording


def test_columns_are_the_same_whatever_the_newest_version():
    v1, v2 = versions()
    v3 = load_text(
        V2.replace(
            "{code: fish, label: {en: Fish, fr: Poisson}}",
            "{code: fish, label: {en: Fishes, fr: Poissons}}",
        ),
        "v3.yaml",
    )
    assert names(flatten.columns([v1, v2])) == names(flatten.columns([v1, v2, v3]))


def test_choice_numbers_are_never_reused_or_changed():
    v1, v2 = versions()
    numbers_v1 = dict(by_name(flatten.columns([v1]))["colour"].numbers)
    merged = by_name(flatten.columns([v1, v2]))["colour"].numbers
    assert numbers_v1 == {"red": 1, "blue": 2, "green": 3}
    assert {code: merged[code] for code in numbers_v1} == numbers_v1
    # yellow is third in v2, but 3 belongs to green: it gets a number of its own.
    assert merged["yellow"] not in numbers_v1.values()
    assert len(set(merged.values())) == len(merged)


def test_reordered_choices_keep_their_numbers():
    v1, _ = versions()
    swapped = V1.replace(
        "          - {code: red, label: {en: Red, fr: Rouge}}\n"
        "          - {code: blue, label: {en: Blue, fr: Bleu}}\n",
        "          - {code: blue, label: {en: Blue, fr: Bleu}}\n"
        "          - {code: red, label: {en: Red, fr: Rouge}}\n",
    )
    v2 = load_text(swapped, "v2.yaml")
    assert v2.question("colour").choices[0].code == "blue"
    merged = by_name(flatten.columns([v1, v2]))["colour"]
    assert merged.numbers == {"red": 1, "blue": 2, "green": 3}


def test_rows_of_both_versions_fill_the_merged_columns():
    v1, v2 = versions()
    merged = flatten.columns([v1, v2])
    old = row(
        record({"age": 30, "colour": "green", "note": "Ñandú 合作社", "pets": ["cat"]}),
        v1,
        merged,
    )
    new = row(
        record(
            {"age": 30, "hobby": "chess", "colour": "yellow", "pets": ["fish"], "grid": {"one": 9}},
            questionnaire_version=2,
        ),
        v2,
        merged,
    )
    old_row = dict(zip(names(merged), old, strict=True))
    new_row = dict(zip(names(merged), new, strict=True))
    assert old_row["note"] == "Ñandú 合作社" and new_row["note"] is None
    assert old_row["hobby"] is None and new_row["hobby"] == "chess"
    assert old_row["colour"] == "green" and new_row["colour"] == "yellow"
    assert (old_row["pets__cat"], old_row["pets__dog"]) == (1, 0)
    # v1 did not offer `fish`: its column is empty for v1 answers, not a "no".
    assert old_row["pets__fish"] is None
    assert (new_row["pets__cat"], new_row["pets__fish"]) == (0, 1)
    assert new_row["grid__one"] == 9 and new_row["grid__two"] is None
    assert old_row["questionnaire_version"] == 1 and new_row["questionnaire_version"] == 2


def test_a_question_that_did_not_apply_is_empty_in_every_column():
    v1, _ = versions()
    columns = flatten.columns([v1])
    values = dict(zip(names(columns), row(record({"age": 16}), v1, columns), strict=True))
    for name in ("pets__cat", "pets__dog", "pets__other", "pets_other", "grid__one"):
        assert values[name] is None
    assert values["age"] == 16


def test_dummies_are_empty_until_their_section_is_saved():
    v1, _ = versions()
    columns = flatten.columns([v1])
    before = dict(
        zip(
            names(columns),
            row(record({"age": 30}, sections=("first",), status="in_progress"), v1, columns),
            strict=True,
        )
    )
    assert before["pets__cat"] is None
    assert before["last_section"] == "second"
    assert before["submitted_at"] == "2027-01-15T12:05:00Z"
    after = dict(zip(names(columns), row(record({"age": 30}), v1, columns), strict=True))
    assert (after["pets__cat"], after["pets__dog"]) == (0, 0)
    assert after["last_section"] is None  # complete


# v1 with a screen-out rule on age, between two multiple-choice questions of the same section.
SCREENING = V1.replace(
    "        max: 99\n",
    """        max: 99
        screen_out:
          when: "age < 16"
          message: {en: Too young, fr: Trop jeune}
      - id: hobbies
        type: multiple
        label: {en: Hobbies, fr: Loisirs}
        choices:
          - {code: music, label: {en: Music, fr: Musique}}
          - {code: other, label: {en: Other, fr: Autre}, other: true}
""",
).replace(
    "      - id: age\n",
    """      - id: tools
        type: multiple
        label: {en: Tools, fr: Outils}
        choices:
          - {code: pen, label: {en: Pen, fr: Stylo}}
          - {code: phone, label: {en: Phone, fr: Téléphone}}
      - id: age
""",
)


def test_a_screened_out_response_is_empty_after_the_question_that_screened_it_out():
    questionnaire = load_text(SCREENING, "screening.yaml")
    columns = flatten.columns([questionnaire])
    make_row = rows.row_maker(columns)

    def values(status: str) -> dict[str, Any]:
        # The save that screened the person out kept only the answers up to age (nothing was
        # ticked for tools) and marked the section saved.
        answers = {"age": 14}
        made = make_row(record(answers, sections=("first",), status=status), questionnaire)
        return dict(zip(names(columns), made, strict=True))

    screened = values("screened_out")
    assert screened["age"] == 14
    assert (screened["tools__pen"], screened["tools__phone"]) == (0, 0)  # asked before age
    for name in ("hobbies__music", "hobbies__other", "hobbies_other", "colour", "note"):
        assert screened[name] is None, name
    for name in ("pets__cat", "pets__dog", "pets__other", "pets_other", "grid__one"):
        assert screened[name] is None, name
    # The same answers in a section saved without a screen-out: the rule for a question that
    # applied and was left unticked is unchanged (and the two rows do not share a cached row).
    saved = values("in_progress")
    assert (saved["hobbies__music"], saved["hobbies__other"]) == (0, 0)
    assert (saved["tools__pen"], saved["tools__phone"]) == (0, 0)
    assert saved["hobbies_other"] is None and saved["pets__cat"] is None
    assert values("screened_out") == screened


def test_codebook_lists_numbers_labels_missing_and_relevance_in_the_chosen_language():
    v1, v2 = versions()
    entries = {
        entry["variable"]: entry
        for entry in flatten.codebook(flatten.columns([v1, v2]), "fr", "en")
    }
    colour = entries["colour"]
    assert colour["question"] == "Couleur"
    assert colour["type"] == "single"
    assert [(code["code"], code["label"]) for code in colour["codes"]][:3] == [
        ("red", "Rouge"),
        ("blue", "Bleu"),
        ("green", "Vert"),
    ]
    grid = entries["grid__two"]
    assert grid["question"] == "Grille: Deux"
    assert grid["missing"] == [9]
    assert grid["measure"] == "ordinal"
    assert grid["relevance"] == "age >= 18"
    assert {code["number"]: code["label"] for code in grid["codes"]}[9] == "Je ne sais pas"
    assert entries["age"]["measure"] == "scale"


def test_labels_and_numbers_of_values():
    v1, _ = versions()
    columns = by_name(flatten.columns([v1]))
    assert flatten.label_of(columns["colour"], "blue", "fr", "en") == "Bleu"
    assert flatten.label_of(columns["grid__one"], 9, "en", "en") == "I don't know"
    assert flatten.label_of(columns["pets__cat"], 1, "en", "en") == 1
    assert flatten.label_of(columns["colour"], None, "en", "en") is None
    assert flatten.number_of(columns["colour"], "green") == 3
    assert flatten.number_of(columns["grid__one"], 9) == 9
    assert flatten.number_of(columns["age"], 40) == 40


# -- two versions in the database ------------------------------------------------------------------


def test_export_over_two_loaded_versions(app, clock, make_export, load_version, tmp_path: Path):
    """A response to v1 and one to v2 of the shipped survey in one export: v2 drops `education`
    and the `prefer_not` gender choice and adds a question; every v1 column is still there."""
    first = Respondent(app.test_client())
    first.start()
    first.answer_all(MEMBER_ANSWERS)
    first.submit()

    text = WE_OWN_IT.read_text(encoding="utf-8")
    start = text.index("      - id: education")
    end = text.index("      - id: situation")
    text = text[:start] + text[end:]
    # gender's only (education's went with it)
    [removed_choice] = re.findall(
        r'          - code: prefer_not\n            label: \{en: "Prefer not to say".*\n', text
    )
    text = text.replace(removed_choice, "", 1)
    text = text.replace(
        "      - id: country\n",
        "      - id: city\n        type: text\n"
        '        label: {en: "Your city", fr: "Votre ville", es: "Tu ciudad", '
        'pt_BR: "Sua cidade", it: "La tua città"}\n'
        "      - id: country\n",
        1,
    )
    v2 = tmp_path / "we-own-it.yaml"
    v2.write_text(text, encoding="utf-8")
    load_version(v2)

    clock.now += timedelta(hours=1)
    second = Respondent(app.test_client())
    second.start()
    answers = {section: dict(values) for section, values in MEMBER_ANSWERS.items()}
    del answers["about_you"]["education"]
    answers["about_you"]["city"] = "Rosario"
    second.answer_all(answers)
    second.submit()

    export, path = make_export("csv")
    header = names(export.columns)
    assert header.index("gender") < header.index("city") < header.index("country")
    assert (
        header.index("country")
        < header.index("education")
        < header.index("situation__worker_member")
    )
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["questionnaire_version"] for row in rows] == ["1", "2"]
    assert [row["education"] for row in rows] == ["bachelor", ""]
    assert [row["city"] for row in rows] == ["", "Rosario"]
    gender = by_name(export.columns)["gender"]
    assert "prefer_not" in [code for code, _ in gender.value_labels]

    _, sav = make_export("sav")
    frame, meta = pyreadstat.read_sav(str(sav))
    assert "education" in frame.columns
    assert meta.variable_value_labels["education"][5] == "University, first degree"
    assert frame["education"].tolist()[0] == 5.0
