"""Loading questionnaire files: the shipped survey, and errors that name file, line and place."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from survey.questionnaire import schema
from survey.questionnaire.schema import QuestionnaireError

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires" / "we-own-it.yaml"
NAME = "mini.yaml"

MINI = """\
slug: mini
languages: [en]
title: {en: Mini}
schedule:
  opens_at: null
  closes_at: "2027-05-26T00:00"
  timezone: Europe/Brussels
  grace_minutes: 60
consent:
  version: "1"
  label: {en: I agree}
sections:
  - id: first
    title: {en: First}
    questions:
      - id: age
        type: integer
        label: {en: Age}
        min: 10
        max: 99
      - id: colour
        type: single
        label: {en: Colour}
        choices:
          - {code: red, label: {en: Red}}
          - {code: blue, label: {en: Blue}}
  - id: second
    title: {en: Second}
    questions:
      - id: pets
        type: multiple
        label: {en: Pets}
        choices:
          - {code: cat, label: {en: Cat}}
          - {code: dog, label: {en: Dog}}
      - id: grid
        type: matrix
        label: {en: Grid}
        rows:
          - {code: one, label: {en: One}}
        scale:
          - {code: 1, label: {en: Low}}
          - {code: 2, label: {en: High}}
"""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def load(text: str) -> schema.Questionnaire:
    return schema.load_text(text, NAME)


def problems_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load(text)
    problems = caught.value.problems
    assert str(caught.value) == "\n".join(problems)
    for problem in problems:
        assert "\n" not in problem, "one line per problem"
        assert problem.startswith(f"{NAME}:")
    return problems


def line_of(text: str, fragment: str) -> int:
    hits = [number for number, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(hits) == 1, f"{fragment!r} must be on exactly one line"
    return hits[0]


def only_problem(text: str) -> str:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


# -- the shipped questionnaire ---------------------------------------------------------------


def shipped() -> schema.Questionnaire:
    return schema.load_file(SHIPPED)


def test_mini_file_loads():
    questionnaire = load(MINI)
    assert questionnaire.slug == "mini"
    assert [q.id for q in questionnaire.questions()] == ["age", "colour", "pets", "grid"]


def test_shipped_file_basics():
    questionnaire = shipped()
    assert questionnaire.slug == "we-own-it"
    assert questionnaire.languages == ("en", "fr", "es", "pt_BR", "it")
    assert questionnaire.default_language == "en"
    assert questionnaire.title["en"].startswith("WE OWN IT! The future of work is ours")
    assert questionnaire.consent_version == "2027-1"
    assert questionnaire.consent_label["en"].startswith("I agree that my answers are used")


def test_shipped_sections_in_order():
    assert [section.id for section in shipped().sections] == [
        "about_you",
        "involvement",
        "cooperative",
        "starting",
        "participation",
        "future",
        "contact",
    ]


def test_shipped_questions_ids_types_and_sections():
    questionnaire = shipped()
    found = [(q.section_id, q.id, q.type) for q in questionnaire.questions()]
    assert found == [
        ("about_you", "age", "integer"),
        ("about_you", "gender", "single"),
        ("about_you", "country", "country"),
        ("about_you", "education", "single"),
        ("about_you", "situation", "multiple"),
        ("involvement", "involvement", "single"),
        ("cooperative", "coop_type", "single"),
        ("cooperative", "sector", "single"),
        ("cooperative", "founded_year", "integer"),
        ("cooperative", "members_total", "integer"),
        ("cooperative", "members_young", "integer"),
        ("cooperative", "role", "multiple"),
        ("cooperative", "federation", "single"),
        ("cooperative", "federation_name", "text"),
        ("starting", "motivations", "multiple"),
        ("starting", "obstacles", "matrix"),
        ("starting", "support_received", "multiple"),
        ("participation", "participation", "matrix"),
        ("participation", "governance_hours", "integer"),
        ("future", "help_needed", "multiple"),
        ("future", "recommend", "scale"),
        ("future", "we_own_it", "long_text"),
        ("contact", "follow_up", "single"),
        ("contact", "email", "email"),
    ]
    assert len(found) == 24


def test_shipped_required_questions():
    required = {q.id for q in shipped().questions() if q.required}
    assert required == {
        "age",
        "country",
        "situation",
        "involvement",
        "coop_type",
        "sector",
        "role",
        "motivations",
        "participation",
        "help_needed",
        "recommend",
        "email",
    }


def test_shipped_choice_codes_as_spec():
    q = shipped().question
    assert q("gender").codes() == ["woman", "man", "non_binary", "self_describe", "prefer_not"]
    assert q("education").codes() == [
        "none",
        "primary",
        "secondary",
        "vocational",
        "bachelor",
        "master_or_higher",
        "prefer_not",
    ]
    assert q("situation").codes() == [
        "worker_member",
        "employee",
        "self_employed",
        "freelancer",
        "student",
        "unemployed",
        "other",
    ]
    assert q("involvement").codes() == [
        "member",
        "worker_non_member",
        "founding",
        "former",
        "interested",
        "none",
    ]
    assert q("coop_type").codes() == [
        "worker",
        "social",
        "producers",
        "multistakeholder",
        "platform",
        "other_new",
    ]
    assert q("sector").codes() == [
        "construction",
        "manufacturing",
        "general_interest",
        "transport",
        "intellectual",
        "artisanal",
        "health",
        "social_care",
        "digital",
        "culture",
        "agrifood",
        "education",
        "other",
    ]
    assert q("role").codes() == [
        "founder",
        "worker_member",
        "board",
        "manager",
        "employee",
        "volunteer",
        "other",
    ]
    assert q("federation").codes() == ["yes", "no", "dont_know"]
    assert q("motivations").codes() == [
        "create_job",
        "democracy",
        "shared_ownership",
        "social_impact",
        "community",
        "values",
        "collective_strength",
        "support",
        "other",
    ]
    assert q("support_received").codes() == [
        "federation",
        "public",
        "incubator",
        "university",
        "bank",
        "other_coops",
        "none",
    ]
    assert q("help_needed").codes() == [
        "education",
        "finance",
        "legal",
        "mentoring",
        "digital",
        "networks",
        "procurement",
        "other",
    ]
    assert q("follow_up").codes() == ["yes", "no"]


def test_shipped_other_specify_fields():
    questionnaire = shipped()
    with_other = {
        q.other_field: [c.code for c in q.other_choices]
        for q in questionnaire.questions()
        if q.other_choices
    }
    assert with_other == {
        "gender_other": ["self_describe"],
        "situation_other": ["other"],
        "coop_type_other": ["other_new"],
        "sector_other": ["other"],
        "role_other": ["other"],
        "motivations_other": ["other"],
        "help_needed_other": ["other"],
    }


def test_shipped_matrices():
    q = shipped().question
    obstacles = q("obstacles")
    assert [row.code for row in obstacles.rows] == [
        "finance",
        "legal",
        "knowledge",
        "training",
        "market",
        "decisions",
    ]
    assert obstacles.codes() == [1, 2, 3, 4, 9]
    assert [point.code for point in obstacles.scale if point.missing] == [9]
    assert [point.number for point in obstacles.scale] == [1, 2, 3, 4, 9]
    participation = q("participation")
    assert [row.code for row in participation.rows] == [
        "voice_heard",
        "assemblies",
        "information",
        "young_leaders",
        "balance",
    ]
    assert participation.codes() == [1, 2, 3, 4, 5]
    assert participation.required


def test_shipped_rules():
    questionnaire = shipped()
    q = questionnaire.question
    assert (q("age").min, q("age").max) == (10, 99)
    assert q("age").screen_out is not None
    assert q("age").screen_out.message["en"] == (
        "Thank you. This survey is for people aged 16 and over."
    )
    assert q("motivations").max_choices == 3
    assert [c.code for c in q("support_received").choices if c.exclusive] == ["none"]
    assert (q("recommend").min, q("recommend").max) == (0, 10)
    assert q("we_own_it").max_length == 2000
    assert q("federation_name").max_length == 200
    assert q("email").personal
    assert [item.id for item in questionnaire.questions() if item.personal] == ["email"]
    assert q("members_young").constraints[0].message["en"] == (
        "Cannot be more than the total number of members."
    )
    assert q("founded_year").max.value({}, date(2027, 3, 15)) == 2029


def test_shipped_schedule():
    schedule = shipped().schedule
    assert schedule.opens_at is None
    assert schedule.closes_at == datetime(2027, 5, 25, 22, 0, tzinfo=UTC)
    assert schedule.grace_minutes == 60
    assert schedule.timezone == "Europe/Brussels"
    assert schedule.contact == "CICOPA (www.cicopa.coop)"


def test_a_schedule_may_name_whom_respondents_write_to():
    assert load(MINI).schedule.contact is None
    with_contact = edit(
        MINI, "  grace_minutes: 60\n", "  grace_minutes: 60\n  contact: ' a@b.org '\n"
    )
    assert load(with_contact).schedule.contact == "a@b.org"


@pytest.mark.parametrize(
    ("contact", "problem"),
    [
        ("''", "must be text: an email address or whom to write to"),
        ("[a@b.org]", "must be text: an email address or whom to write to"),
        ("x" * 201, "can have at most 200 characters"),
    ],
)
def test_a_contact_that_cannot_be_shown_is_a_problem(contact, problem):
    text = edit(MINI, "  grace_minutes: 60\n", f"  grace_minutes: 60\n  contact: {contact}\n")
    assert only_problem(text) == f"{NAME}:{line_of(text, 'contact:')}: schedule.contact: {problem}"


# -- problems name the file, the line and the place -------------------------------------------


def test_unknown_question_id_in_condition():
    text = edit(
        MINI,
        "        label: {en: Colour}\n",
        '        label: {en: Colour}\n        relevant: "nope == 1"\n',
    )
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'nope == 1')}: sections[0].questions[1].relevant: "
        "unknown question id 'nope'"
    )


def test_attribute_of_unknown_name_in_condition_is_refused():
    text = edit(
        MINI,
        "        label: {en: Colour}\n",
        '        label: {en: Colour}\n        relevant: "os.path == 1"\n',
    )
    assert "unknown question id 'os'" in only_problem(text)


def test_unknown_matrix_row_in_condition():
    text = edit(
        MINI,
        "        label: {en: Grid}\n",
        "        label: {en: Grid}\n        constraints:\n"
        '          - {check: "grid.two >= 1", message: {en: Nope}}\n',
    )
    problem = only_problem(text)
    assert problem.startswith(
        f"{NAME}:{line_of(text, 'grid.two')}: sections[1].questions[1].constraints[0].check: "
    )
    assert "'grid' has no row 'two'" in problem


def test_unknown_choice_code_in_condition():
    text = edit(
        MINI,
        "        label: {en: Pets}\n",
        "        label: {en: Pets}\n        relevant: \"colour == 'green'\"\n",
    )
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'green')}: sections[1].questions[0].relevant: "
        "'green' is not a code of 'colour'"
    )


def test_unknown_choice_code_in_list_and_in_multiple():
    text = edit(
        MINI,
        "        label: {en: Grid}\n",
        "        label: {en: Grid}\n"
        "        relevant: \"colour in ['red', 'green'] or 'fish' in pets\"\n",
    )
    problems = problems_of(text)
    assert len(problems) == 2, problems
    prefix = f"{NAME}:{line_of(text, 'fish')}: sections[1].questions[1].relevant: "
    assert set(problems) == {
        prefix + "'green' is not a code of 'colour'",
        prefix + "'fish' is not a code of 'pets'",
    }


def test_known_codes_in_conditions_load():
    text = edit(
        MINI,
        "        label: {en: Grid}\n",
        "        label: {en: Grid}\n"
        "        relevant: \"colour in ['red', 'blue'] or 'cat' in pets or age < 16\"\n",
    )
    assert load(text).question("grid").relevant is not None


def test_unknown_type():
    text = edit(MINI, "type: integer", "type: number")
    problem = only_problem(text)
    assert problem.startswith(
        f"{NAME}:{line_of(text, 'type: number')}: sections[0].questions[0].type: "
        "unknown question type 'number'"
    )


def test_unknown_key_in_question():
    text = edit(MINI, "        min: 10\n", "        min: 10\n        maximum: 99\n")
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'maximum')}: sections[0].questions[0].maximum: "
        "unknown key 'maximum'"
    )


def test_key_of_another_type_is_unknown():
    text = edit(MINI, "        min: 10\n", "        min: 10\n        max_choices: 2\n")
    assert "sections[0].questions[0].max_choices: unknown key 'max_choices'" in only_problem(text)


def test_unknown_key_at_top_level():
    text = MINI + "author: someone\n"
    assert only_problem(text) == f"{NAME}:{line_of(text, 'author')}: author: unknown key 'author'"


def test_duplicate_question_id():
    text = edit(MINI, "      - id: pets\n", "      - id: age\n")
    problem = only_problem(text)
    lines = [n for n, line in enumerate(text.splitlines(), 1) if "- id: age" in line]
    assert problem == (
        f"{NAME}:{lines[1]}: sections[1].questions[0].id: duplicate question id 'age'"
    )


def test_condition_referring_to_later_question():
    text = edit(
        MINI,
        "        label: {en: Age}\n",
        "        label: {en: Age}\n        relevant: \"'cat' in pets\"\n",
    )
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'in pets')}: sections[0].questions[0].relevant: "
        "'pets' must be asked before this condition is used"
    )


def test_condition_referring_to_next_question_in_same_section():
    text = edit(
        MINI,
        "        label: {en: Age}\n",
        "        label: {en: Age}\n        relevant: \"colour == 'red'\"\n",
    )
    assert "'colour' must be asked before this condition is used" in only_problem(text)


def test_question_cannot_be_relevant_on_itself_but_may_constrain_itself():
    text = edit(
        MINI,
        "        label: {en: Age}\n",
        '        label: {en: Age}\n        relevant: "age > 1"\n',
    )
    assert "'age' must be asked before" in only_problem(text)
    text = edit(
        MINI,
        "        label: {en: Age}\n",
        "        label: {en: Age}\n        constraints:\n"
        '          - {check: "age != 50", message: {en: Not fifty}}\n',
    )
    assert load(text).question("age").constraints[0].check.source == "age != 50"


def test_section_relevance_cannot_use_its_own_questions():
    text = edit(
        MINI,
        "    title: {en: Second}\n",
        "    title: {en: Second}\n    relevant: \"'cat' in pets\"\n",
    )
    assert only_problem(text).startswith(
        f"{NAME}:{line_of(text, 'in pets')}: sections[1].relevant: 'pets' must be asked before"
    )
    text = edit(
        MINI,
        "    title: {en: Second}\n",
        "    title: {en: Second}\n    relevant: \"colour == 'red'\"\n",
    )
    assert load(text).section("second").relevant is not None


def test_unsafe_condition_in_file_is_reported():
    text = edit(
        MINI,
        "        label: {en: Colour}\n",
        "        label: {en: Colour}\n        relevant: \"__import__('os')\"\n",
    )
    problem = only_problem(text)
    assert problem.startswith(
        f"{NAME}:{line_of(text, '__import__')}: sections[0].questions[1].relevant: "
    )
    assert "unknown function __import__()" in problem


def test_bare_string_instead_of_language_map():
    text = edit(MINI, "label: {en: Age}", "label: How old are you?")
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'How old')}: sections[0].questions[0].label: "
        "must be a map of language to text, e.g. {en: ...}"
    )


BILINGUAL = """\
slug: bi
languages: [en, fr]
title: {en: Two, fr: Deux}
schedule:
  closes_at: null
  timezone: Europe/Paris
consent:
  version: "1"
  label: {en: I agree, fr: J'accepte}
sections:
  - id: only
    title: {en: Only, fr: Seule}
    questions:
      - id: age
        type: integer
        label: {en: Age, fr: Âge}
"""


def test_bilingual_file_loads():
    questionnaire = load(BILINGUAL)
    assert questionnaire.languages == ("en", "fr")
    assert questionnaire.question("age").label == {"en": "Age", "fr": "Âge"}
    assert questionnaire.schedule.closes_at is None
    assert questionnaire.schedule.grace_minutes == 0


def test_text_missing_in_a_declared_language():
    text = edit(BILINGUAL, "label: {en: Age, fr: Âge}", "label: {en: Age}")
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'label: {en: Age}')}: sections[0].questions[0].label: "
        "text missing in language 'fr'"
    )


def test_text_in_an_undeclared_language():
    text = edit(BILINGUAL, "title: {en: Only, fr: Seule}", "title: {en: Only, fr: Seule, es: Sola}")
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'Sola')}: sections[0].title.es: language 'es' is not in `languages`"
    )


def test_bad_yaml_syntax():
    text = edit(MINI, "title: {en: Mini}", "title: {en: Mini")
    problem = only_problem(text)
    assert re.match(rf"^{re.escape(NAME)}:\d+: not valid YAML: ", problem), problem


def test_bad_yaml_indentation_names_the_line():
    text = edit(MINI, "        min: 10\n", "        min: 10\n       badly: indented\n")
    problem = only_problem(text)
    match = re.match(rf"^{re.escape(NAME)}:(\d+): not valid YAML: ", problem)
    assert match, problem
    assert int(match.group(1)) == line_of(text, "badly: indented")


def test_invalid_time_zone():
    text = edit(MINI, "timezone: Europe/Brussels", "timezone: Europe/Brusels")
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'timezone')}: schedule.timezone: unknown time zone 'Europe/Brusels'"
    )


def test_closing_time_that_does_not_exist_in_the_time_zone():
    text = edit(MINI, '"2027-05-26T00:00"', '"2027-03-28T02:30"')
    problem = only_problem(text)
    assert problem.startswith(f"{NAME}:{line_of(text, 'closes_at')}: schedule.closes_at: ")
    assert "does not exist in Europe/Brussels" in problem


def test_closing_time_that_happens_twice_in_the_time_zone():
    text = edit(MINI, '"2027-05-26T00:00"', '"2027-10-31T02:30"')
    problem = only_problem(text)
    assert problem.startswith(f"{NAME}:{line_of(text, 'closes_at')}: schedule.closes_at: ")
    assert "happens twice in Europe/Brussels" in problem


def test_ambiguous_time_with_explicit_offset_loads():
    text = edit(MINI, '"2027-05-26T00:00"', '"2027-10-31T02:30+01:00"')
    assert load(text).schedule.closes_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_opening_time_is_read_in_the_time_zone():
    text = edit(MINI, "opens_at: null", 'opens_at: "2027-01-15T09:00"')
    assert load(text).schedule.opens_at == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def test_closing_before_opening_is_refused():
    text = edit(MINI, "opens_at: null", 'opens_at: "2027-06-01T00:00"')
    assert "schedule.closes_at: must be after opens_at" in only_problem(text)


def test_not_a_date():
    text = edit(MINI, '"2027-05-26T00:00"', '"26 May 2027"')
    assert "schedule.closes_at: not a date and time" in only_problem(text)


def test_several_problems_are_all_reported():
    text = MINI
    text = edit(text, "timezone: Europe/Brussels", "timezone: Nowhere/City")
    text = edit(text, "type: integer", "type: number")
    text = edit(text, "label: {en: Colour}", "label: Colour")
    text = edit(
        text,
        "        label: {en: Pets}\n",
        "        label: {en: Pets}\n        relevant: \"colour == 'green'\"\n        colours: 3\n",
    )
    problems = problems_of(text)
    expected = {
        f"{NAME}:{line_of(text, 'Nowhere')}: schedule.timezone: unknown time zone 'Nowhere/City'",
        f"{NAME}:{line_of(text, 'label: Colour')}: sections[0].questions[1].label: "
        "must be a map of language to text, e.g. {en: ...}",
        f"{NAME}:{line_of(text, 'green')}: sections[1].questions[0].relevant: "
        "'green' is not a code of 'colour'",
        f"{NAME}:{line_of(text, 'colours: 3')}: sections[1].questions[0].colours: "
        "unknown key 'colours'",
    }
    assert expected <= set(problems)
    assert any(
        item.startswith(f"{NAME}:{line_of(text, 'type: number')}: sections[0].questions[0].type:")
        for item in problems
    )
    assert len(problems) == 5, problems


def test_load_file_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(edit(MINI, "type: integer", "type: number"), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as caught:
        schema.load_file(path)
    assert caught.value.problems[0].startswith(f"{path}:17: sections[0].questions[0].type:")


def test_load_file_missing_file(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(QuestionnaireError) as caught:
        schema.load_file(path)
    assert caught.value.problems[0].startswith(f"{path}: cannot read the file")


# -- fingerprint -------------------------------------------------------------------------------


def test_fingerprint_ignores_layout_comments_and_key_order():
    reformatted = """\
# A comment at the top
languages:
  - en
slug: mini   # same slug
title:
  en: Mini
schedule: {timezone: Europe/Brussels, grace_minutes: 60, closes_at: "2027-05-26T00:00",
           opens_at: null}
consent: {label: {en: I agree}, version: "1"}
sections:
  - title: {en: First}
    id: first
    questions:
      - {id: age, type: integer, label: {en: Age}, min: 10, max: 99}
      - id: colour
        type: single
        label: {en: 'Colour'}
        choices: [{code: red, label: {en: Red}}, {code: blue, label: {en: Blue}}]
  - id: second
    title: {en: Second}
    questions:
      - id: pets
        type: multiple
        label: {en: "Pets"}
        choices:
          - {code: cat, label: {en: Cat}}
          - {code: dog, label: {en: Dog}}
      - id: grid
        type: matrix
        label: {en: Grid}
        rows:
          - {code: one, label: {en: One}}
        scale:
          - {code: 1, label: {en: Low}}
          - {code: 2, label: {en: High}}
"""
    assert schema.fingerprint(reformatted) == schema.fingerprint(MINI)
    assert schema.fingerprint(MINI + "\n# trailing comment\n") == schema.fingerprint(MINI)


def test_fingerprint_changes_with_content():
    changed_text = edit(MINI, "label: {en: Age}", "label: {en: 'How old are you?'}")
    changed_code = edit(MINI, "code: cat", "code: bird")
    changed_schedule = edit(MINI, "grace_minutes: 60", "grace_minutes: 30")
    prints = {
        schema.fingerprint(item) for item in (MINI, changed_text, changed_code, changed_schedule)
    }
    assert len(prints) == 4


def test_fingerprint_of_shipped_file_is_stable():
    text = SHIPPED.read_text(encoding="utf-8")
    assert schema.fingerprint(text) == schema.fingerprint(text)
    assert re.fullmatch(r"[0-9a-f]{64}", schema.fingerprint(text))


# -- problems do not hide or invent other problems --------------------------------------------


def test_broken_question_does_not_cause_false_order_errors():
    # `colour` comes before section `second`; only the broken type of `age` is wrong.
    text = edit(MINI, "type: integer", "type: bogus")
    text = edit(
        text,
        "    title: {en: Second}\n",
        "    title: {en: Second}\n    relevant: \"colour == 'red'\"\n",
    )
    problems = problems_of(text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        f"{NAME}:{line_of(text, 'type: bogus')}: sections[0].questions[0].type: "
        "unknown question type 'bogus'"
    )


def test_unknown_key_with_a_block_value_names_the_line_of_the_key():
    text = edit(MINI, "        min: 10\n", "        min: 10\n        extra:\n          a: 1\n")
    assert only_problem(text) == (
        f"{NAME}:{line_of(text, 'extra:')}: sections[0].questions[0].extra: unknown key 'extra'"
    )


def test_analysis_names_the_country_and_the_breakdowns():
    from survey.questionnaire.schema import load_file

    shipped = load_file("questionnaires/we-own-it.yaml")
    assert shipped.country_question == "country"
    assert shipped.breakdowns == ("coop_type",)


def test_analysis_refuses_unknown_and_unfit_questions(tmp_path):
    from pathlib import Path

    import pytest as _pytest

    from survey.questionnaire.schema import QuestionnaireError, load_text

    text = Path("questionnaires/we-own-it.yaml").read_text(encoding="utf-8")
    broken = text.replace("  country: country\n", "  country: nowhere\n", 1).replace(
        "breakdowns: [coop_type]", "breakdowns: [age, missing_one]", 1
    )
    with _pytest.raises(QuestionnaireError) as caught:
        load_text(broken, "broken.yaml")
    problems = "\n".join(caught.value.problems)
    assert "analysis.country: unknown question id 'nowhere'" in problems
    assert "'age' must be a single or multiple question" in problems
    assert "unknown question id 'missing_one'" in problems


def test_the_speeder_share_is_the_questionnaires_own_or_four_tenths():
    assert load(MINI).speeder_fraction == 0.4
    assert load(MINI + "analysis:\n  speeder_fraction: 0.25\n").speeder_fraction == 0.25


@pytest.mark.parametrize("bad", ["0", "1", "1.5", "-0.2", "fast", "true", "[0.4]"])
def test_a_speeder_share_that_is_no_share_of_the_median_is_refused(bad):
    text = MINI + f"analysis:\n  speeder_fraction: {bad}\n"
    problem = only_problem(text)
    assert problem.startswith(f"{NAME}:{line_of(text, 'speeder_fraction')}: ")
    assert "analysis.speeder_fraction: must be a number between 0 and 1" in problem


def test_a_scale_point_coded_zero_keeps_zero_as_its_number():
    text = edit(
        MINI,
        "          - {code: 1, label: {en: Low}}\n",
        "          - {code: 0, label: {en: Never}}\n          - {code: 1, label: {en: Low}}\n",
    )
    grid = load(text).question("grid")
    assert [(point.code, point.number) for point in grid.scale] == [(0, 0), (1, 1), (2, 2)]
