"""Reading XLSForm files into the questionnaire format: four real forms written by others, and
small hand-made ones for each rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from survey.questionnaire.schema import load_text
from survey.xlsform.reading import XLSFormError, read_xlsform, yaml_text
from tests.xlsform.workbook import BIOMASS, ETHIOPIA, HOUSEHOLD, MALI, questions, xlsform

# -- mali_health.xlsx: EN/FR by name, `list name`, a cascade, dotted names -------------------


@pytest.fixture(scope="module")
def mali():
    return read_xlsform(MALI)


def test_mali_languages_by_name_title_and_slug(mali):
    data = mali.data
    assert data["languages"] == ["en", "fr"]
    assert data["title"] == {"en": "Mali Health Facilities", "fr": "Mali Health Facilities"}
    assert data["slug"] == "mali-health"
    assert data["consent"]["version"] == "1"
    assert set(data["consent"]["label"]) == {"en", "fr"}
    assert data["schedule"]["closes_at"] is None
    assert mali.left_out == []


def test_mali_questions_keep_their_names_and_labels(mali):
    found = questions(mali.data)
    assert list(found)[:4] == ["Pcode", "region", "DISTRICT", "Code_CSREF"]
    assert found["ACCESSIBILITIE"]["label"] == {"en": "Accessibility", "fr": "Accessibilité"}
    assert found["location"]["type"] == "geopoint"
    assert found["NBRE_VILLAGE"]["constraints"][0]["check"] == "NBRE_VILLAGE >= 0"
    assert found["Pcode"]["constraints"][0]["check"] == "regex(Pcode, '[a-zA-Z0-9]{11}')"


def test_mali_dotted_names_clear_of_the_geopoint_columns(mali):
    found = questions(mali.data)
    # `location.longitude` would be `location_longitude`: the export column of geopoint
    # `location`.
    assert found["location_longitude_2"]["label"]["en"] == "Longitude"
    assert "location_latitude_2" in found
    assert any("'location.longitude' is now 'location_longitude_2'" in n for n in mali.notes)


def test_mali_cascading_choices(mali):
    district = questions(mali.data)["DISTRICT"]
    assert district["filter_by"] == "region"
    kati = next(choice for choice in district["choices"] if choice["code"] == "kati")
    assert kati["parent"] == "koulikoro"
    assert {choice["parent"] for choice in district["choices"]} <= {
        choice["code"] for choice in questions(mali.data)["region"]["choices"]
    }


def test_mali_choice_codes_made_valid_and_the_stray_list_noted(mali):
    codes = [choice["code"] for choice in questions(mali.data)["TYPE"]["choices"]]
    assert codes == ["cscom", "csref", "hospital"]
    assert any("'CSCOM' → 'cscom'" in note for note in mali.notes)
    assert any("'KIDAL'" in note and "used by no question" in note for note in mali.notes)


# -- Household Energy…: EN/Igbo, misspelt form_tittle, groups, range, metadata ----------------


@pytest.fixture(scope="module")
def household():
    return read_xlsform(HOUSEHOLD)


def test_household_settings(household):
    data = household.data
    assert data["languages"] == ["en", "ig"]
    assert data["title"]["en"] == "Household Energy Access and Usage Survey"
    assert data["slug"] == "household-energy-access-and-usage-survey"
    assert data["consent"]["version"] == "2.0.0"
    assert any("form_tittle" in note and "misspelling" in note for note in household.notes)
    assert any("English for ig" in note for note in household.notes)


def test_household_groups_become_sections(household):
    sections = household.data["sections"]
    assert [section["id"] for section in sections] == ["part_1", "a", "b", "c", "d", "e"]
    assert sections[1]["title"] == {"en": "Household & Location", "ig": "Household & Location"}
    assert sections[1]["relevant"] == "consent == 'yes'"
    assert sections[0]["title"]["en"] == "Household Energy Access and Usage Survey"


def test_household_questions(household):
    found = questions(household.data)
    assert found["device_date"] == {
        "id": "device_date",
        "type": "calculate",
        "calculation": "today()",
    }
    assert found["date_mismatch"]["calculation"] == (
        "'yes' if not (survey_date == device_date) else 'no'"
    )
    assert found["cost_rating"]["type"] == "scale"
    assert (found["cost_rating"]["min"], found["cost_rating"]["max"]) == (1, 5)
    assert found["cost_rating"]["help"]["en"].startswith("tap the star")
    assert found["household_gps"]["type"] == "geopoint"
    assert found["enum_id"]["required"] is True
    assert found["rent_own"]["relevant"] == (
        "primary_source == 'generator' or primary_source == 'solar' "
        "or secondary_source == 'generator' or secondary_source == 'solar'"
    )
    assert found["cost_solar_gen"]["constraints"][0]["check"] == "cost_solar_gen >= 0"
    assert found["consent"]["label"]["ig"] == "Ị kwenyere n’ị ga-ekere òkè n’ajụjụ a n’obi gị?"
    assert "note_35" in found


def test_household_metadata_dropped_with_notes(household):
    found = questions(household.data)
    assert not {"_start", "start", "end", "deviceid", "_deviceid"} & set(found)
    for name in ("_start", "_end", "_deviceid"):
        assert any(f"{name!r}" in note and "metadata" in note for note in household.notes)


def test_household_choice_names_with_spaces_and_capitals(household):
    found = questions(household.data)
    region = found["selected_state_region"]
    assert region["filter_by"] == "selected_country"
    brong = next(choice for choice in region["choices"] if choice["code"] == "brong_ahafo")
    assert brong == {
        "code": "brong_ahafo",
        "label": {"en": "Brong Ahafo", "ig": "Brong Ahafo"},
        "parent": "ghana",
    }
    assert [c["code"] for c in found["want_alternative"]["choices"]] == ["yes", "maybe", "no"]
    assert "solar" in [c["code"] for c in found["primary_source"]["choices"]]


# -- select_one_choices_test.xlsx: large, monolingual, `list_name`, or_other, read_only --------


@pytest.fixture(scope="module")
def ethiopia():
    return read_xlsform(ETHIOPIA)


def test_ethiopia_converts_whole(ethiopia):
    data = ethiopia.data
    assert data["languages"] == ["en"]
    assert data["title"] == {"en": "Ethiopia FSOM May 2016 final"}
    assert data["slug"] == "eth-fsom-final"
    assert ethiopia.left_out == []
    assert len(questions(data)) > 250


def test_ethiopia_or_other_is_one_more_choice(ethiopia):
    found = questions(ethiopia.data)
    sale = found["c35cerS"]
    assert sale["type"] == "multiple"
    assert sale["choices"][-1] == {"code": "other", "label": {"en": "Other"}, "other": True}
    assert "c35cerS_other" not in found
    assert found["e5cerS"]["type"] == "single"
    assert found["e5cerS"]["choices"][-1]["other"] is True


def test_ethiopia_conditions(ethiopia):
    found = questions(ethiopia.data)
    assert found["b21"]["relevant"] == "a12 == '1'"
    assert found["b21_1"]["relevant"] == "a12 == '1' and b21 == '1'"
    assert found["section3"]["relevant"] == "a12 == '1' and b2_2_4 == '2'"
    assert found["f82"]["relevant"] == "f61 == '5' or '5' in f62 and count_selected(f62) == 1"
    assert found["tnfex90"]["calculation"].endswith(") / totalhh")
    assert found["stress"]["calculation"] == "1 if d4_3 + d4_4 + d4_7 + d5_4 > 9 else 0"
    assert found["d42"]["constraints"][0] == {
        "check": "d42 >= 0 and d42 <= 7",
        "message": {"en": "Your answer must be between 0 and 7."},
    }


def test_ethiopia_read_only_calculations_become_calculate(ethiopia):
    found = questions(ethiopia.data)
    assert found["fcsg"]["type"] == "calculate"
    assert "choices" not in found["fcsg"]
    assert found["certotal"]["type"] == "calculate"
    assert "constraints" not in found["certotal"]
    assert any("'fcsg' is worked out from other answers" in note for note in ethiopia.notes)


def test_ethiopia_cascade_and_sections(ethiopia):
    found = questions(ethiopia.data)
    assert found["zone"]["filter_by"] == "region"
    assert found["wereda"]["filter_by"] == "zone"
    assert found["name_I"]["filter_by"] == "suboffice"
    sections = ethiopia.data["sections"]
    assert sections[0]["id"] == "part_1"
    assert sections[1]["id"] == "ghc1"
    grcererals = next(section for section in sections if section["id"] == "grcererals")
    assert grcererals["relevant"].endswith("c3_1_2 > 0")
    assert found["b2_2_4"]["label"] == {"en": "Assistance type"}
    assert any("'b2.2.4' is now 'b2_2_4'" in note for note in ethiopia.notes)


# -- UCL_Biomass_Plot_Form.xlsx: repeats and choices from files ------------------------------


def test_biomass_is_refused_naming_every_row():
    with pytest.raises(XLSFormError) as refused:
        read_xlsform(BIOMASS)
    problems = refused.value.problems
    text = "\n".join(problems)
    for row, name in (
        (32, "trees"),
        (43, "stems"),
        (56, "stumps"),
        (72, "subplot1"),
        (80, "subplot2"),
    ):
        assert (
            f"{BIOMASS}: sheet survey, row {row}, name {name!r}, type 'begin repeat': "
            "repeats are not supported"
        ) in problems
    for row in (16, 17, 18, 20, 35, 57, 73, 81):
        assert f"row {row}, " in text
    assert text.count("choices from a file are not supported") == 8
    assert "row 23, name 'center_image', type 'image'" in text
    assert "round() is not supported" in text
    assert isinstance(refused.value, ValueError)


def test_biomass_with_skip_unsupported_converts_the_rest():
    conversion = read_xlsform(BIOMASS, skip_unsupported=True)
    data = conversion.data
    assert data["languages"] == ["sw", "en"]
    assert data["slug"] == "ucl-biomass-plot-form"
    found = questions(data)
    assert found["leader_name"]["label"] == {"sw": "Jina Lako", "en": "Your Name"}
    assert found["leader_name_other"]["relevant"] == "leader_name == 'other'"
    assert [c["code"] for c in found["leader_name"]["choices"]] == ["aloyce", "andrea", "other"]
    assert found["disturbance"]["type"] == "multiple"
    assert not {"region_id", "trees", "tag", "slope_radius", "cbh"} & set(found)
    left = {(row.row, row.name): row for row in conversion.left_out}
    assert left[(34, "tag")].why == "inside repeat 'trees', which is left out"
    assert left[(45, "cbh")].why == "inside repeat 'stems', which is left out"
    assert left[(16, "region_id")].type == "select_one_from_file UCL_regions.csv"
    assert all(row.sheet == "survey" for row in conversion.left_out)
    assert [section["id"] for section in data["sections"]] == [
        "intro",
        "info",
        "location",
        "part_1",
    ]


# -- the converted YAML is what the loader reads (needs the format features of main) ---------


@pytest.mark.parametrize("path", [MALI, HOUSEHOLD, ETHIOPIA], ids=lambda p: p.stem)
def test_real_forms_load_as_questionnaires(path):
    conversion = read_xlsform(path)
    questionnaire = load_text(conversion.yaml_text(), str(path))
    assert questionnaire.slug == conversion.data["slug"]


def test_biomass_rest_loads_as_a_questionnaire():
    conversion = read_xlsform(BIOMASS, skip_unsupported=True)
    assert load_text(conversion.yaml_text(), str(BIOMASS)).languages == ("sw", "en")


def test_yaml_text_is_the_data_in_the_usual_order(household):
    text = yaml_text(household.data, "form.xlsx")
    assert text.startswith("# Converted from the XLSForm form.xlsx")
    assert yaml.safe_load(text) == household.data
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert keys == ["slug", "languages", "title", "schedule", "consent", "sections"]
    assert "Ị kwenyere n’ị ga-ekere òkè" in text
    assert "&id" not in text and "*id" not in text


# -- hand-made forms: one rule each ------------------------------------------------------------


def convert(tmp_path: Path, survey, choices=None, settings=None, **options):
    path = xlsform(
        tmp_path / "form.xlsx",
        survey,
        choices,
        settings,
        list_header=options.pop("list_header", "list_name"),
    )
    return read_xlsform(path, **options)


def refused(tmp_path: Path, survey, choices=None, settings=None) -> list[str]:
    with pytest.raises(XLSFormError) as error:
        convert(tmp_path, survey, choices, settings)
    return error.value.problems


COLOURS = [
    {"list_name": "colour", "name": "red", "label": "Red"},
    {"list_name": "colour", "name": "Dark Blue", "label": "Blue"},
]


@pytest.mark.parametrize("list_header", ["list_name", "list name"])
def test_both_spellings_of_the_list_column(tmp_path, list_header):
    conversion = convert(
        tmp_path,
        [{"type": "select_one colour", "name": "colour", "label": "Colour?"}],
        COLOURS,
        list_header=list_header,
    )
    choices = questions(conversion.data)["colour"]["choices"]
    assert choices == [
        {"code": "red", "label": {"en": "Red"}},
        {"code": "dark_blue", "label": {"en": "Blue"}},
    ]


def test_trailing_spaces_in_types_and_headers_and_underscore_groups(tmp_path):
    conversion = convert(
        tmp_path,
        [
            {"type": "begin_group", "name ": "g", "label": "G"},
            {"type": "note ", "name ": "hello", "label": "Hello"},
            {"type": "end_group", "name ": None, "label": None},
            {"type": "begin group", "name ": "h", "label": "H"},
            {"type": "text", "name ": "t", "label": "T"},
            {"type": "end ", "name ": "end", "label": None},
            {"type": "end group", "name ": None, "label": None},
        ],
    )
    assert [s["id"] for s in conversion.data["sections"]] == ["g", "h"]
    assert questions(conversion.data)["hello"]["type"] == "note"


def test_languages_by_code_and_by_name(tmp_path):
    conversion = convert(
        tmp_path,
        [
            {
                "type": "text",
                "name": "t",
                "label::Français (fr)": "Nom",
                "label::English": "Name",
                "hint::Spanish": "Su nombre",
            }
        ],
        settings={"form_title": "T", "default_language": "English"},
    )
    assert conversion.data["languages"] == ["en", "fr", "es"]
    question = questions(conversion.data)["t"]
    assert question["label"] == {"en": "Name", "fr": "Nom"}  # Spanish label missing: left out
    assert question["help"] == {"es": "Su nombre"}


def test_texts_the_reader_writes_come_from_the_interface_catalogs(tmp_path):
    """The consent box, "Other" and a constraint's message, in each language of the form that
    has an interface catalog; in English, with a note, in one that has none (Igbo)."""
    conversion = convert(
        tmp_path,
        [
            {
                "type": "select_one crop or_other",
                "name": "crop",
                "label::English (en)": "Crop",
                "label::French (fr)": "Culture",
                "label::Spanish (es)": "Cultivo",
                "label::Igbo (ig)": "Ihe ọkụkụ",
            },
            {
                "type": "integer",
                "name": "plots",
                "label::English (en)": "Plots",
                "constraint": ". < 10",
            },
        ],
        [{"list_name": "crop", "name": "maize", "label::English (en)": "Maize"}],
        settings={"form_title": "T", "default_language": "English (en)"},
    )
    assert conversion.data["consent"]["label"] == {
        "en": "I agree to take part in this survey.",
        "fr": "J'accepte de participer à cette enquête.",
        "es": "Acepto participar en esta encuesta.",
        "ig": "I agree to take part in this survey.",
    }
    other = questions(conversion.data)["crop"]["choices"][-1]
    assert other["label"] == {"en": "Other", "fr": "Autre", "es": "Otro", "ig": "Other"}
    [constraint] = questions(conversion.data)["plots"]["constraints"]
    assert constraint["message"]["fr"] == "Cette réponse n'est pas acceptée."
    assert constraint["message"]["es"] == "Esta respuesta no está permitida."
    assert any("are in English for ig" in note for note in conversion.notes)


def test_a_plain_label_is_in_the_default_language(tmp_path):
    conversion = convert(
        tmp_path,
        [{"type": "text", "name": "t", "label": "Nom"}],
        settings={"form_title": "T", "default_language": "French"},
    )
    assert conversion.data["languages"] == ["fr"]
    assert questions(conversion.data)["t"]["label"] == {"fr": "Nom"}


def test_an_unknown_language_refuses_the_form(tmp_path):
    problems = refused(tmp_path, [{"type": "text", "name": "t", "label::Klingonese": "x"}])
    assert len(problems) == 1
    assert "'Klingonese'" in problems[0] and "'Name (code)'" in problems[0]


def test_names_made_into_unique_ids(tmp_path):
    conversion = convert(
        tmp_path,
        [
            {"type": "integer", "name": "a.b", "label": "1"},
            {"type": "integer", "name": "a_b", "label": "2"},
            {"type": "integer", "name": "Age", "label": "3"},
            {"type": "integer", "name": "age", "label": "4"},
            {"type": "integer", "name": "if", "label": "5"},
            {"type": "integer", "name": "_x", "label": "6"},
            {"type": "integer", "name": "current_year", "label": "7"},
            {"type": "integer", "name": "total", "label": "8", "relevant": "${a_b} > ${if}"},
        ],
    )
    assert list(questions(conversion.data)) == [
        "a_b", "a_b_2", "Age", "age_2", "if_2", "x", "current_year_2", "total",
    ]  # fmt: skip
    assert questions(conversion.data)["total"]["relevant"] == "a_b_2 > if_2"
    assert any("'a_b' is now 'a_b_2'" in note for note in conversion.notes)


def test_nested_groups_are_flattened_with_their_conditions(tmp_path):
    conversion = convert(
        tmp_path,
        [
            {"type": "integer", "name": "age", "label": "Age"},
            {"type": "begin group", "name": "outer", "label": "Outer", "relevant": "${age} > 1"},
            {"type": "begin group", "name": "inner", "relevant": "${age} < 5 or ${age} > 10"},
            {"type": "text", "name": "t", "label": "T", "relevant": "${age} != 7"},
            {"type": "end group"},
            {"type": "begin group", "name": "empty", "label": "E"},
            {"type": "end group"},
            {"type": "end group"},
            {"type": "begin group", "name": "nothing", "label": "N"},
            {"type": "end group"},
        ],
    )
    sections = conversion.data["sections"]
    assert [s["id"] for s in sections] == ["part_1", "outer"]
    assert sections[1]["relevant"] == "age > 1"
    assert questions(conversion.data)["t"]["relevant"] == (
        "(age < 5 or age > 10) and not (age == 7)"
    )


def test_unsupported_rows_are_all_listed_at_once(tmp_path):
    problems = refused(
        tmp_path,
        [
            {"type": "integer", "name": "age", "label": "Age"},
            {"type": "image", "name": "photo", "label": "Photo"},
            {"type": "integer", "name": "n", "label": "N", "required": "${age} > 3"},
            {"type": "range", "name": "r", "label": "R", "parameters": "start=0 end=10 step=2"},
            {"type": "integer", "name": "later", "label": "L", "relevant": "${after} = 1"},
            {"type": "integer", "name": "after", "label": "A"},
            {
                "type": "text",
                "name": "hostile",
                "label": "H",
                "relevant": "(" * 300 + "1" + ")" * 300,
            },
            {
                "type": "text",
                "name": "pulled",
                "label": "P",
                "calculation": "pulldata('a')",
                "read_only": "yes",
            },
            {"type": "wibble", "name": "w", "label": "W"},
            {"type": "text", "name": "uses_photo", "label": "U", "relevant": "${photo} != ''"},
        ],
    )
    text = "\n".join(problems)
    assert "row 3, name 'photo', type 'image': image questions are not supported" in text
    assert "row 4, name 'n', type 'integer': required expressions" in text
    assert "row 5, name 'r', type 'range': only ranges of whole numbers" in text
    assert "row 6, name 'later'" in text and "comes later in the form" in text
    assert "row 8, name 'hostile'" in text and "nested too deeply" in text
    assert "row 9, name 'pulled'" in text and "pulldata() is not supported" in text
    assert "row 10, name 'w', type 'wibble': unknown type 'wibble'" in text
    # A row naming a row that is not supported cannot be carried over either: listed, saying so.
    assert (
        "row 11, name 'uses_photo', type 'text': relevant refers to 'photo', which is left out"
        in text
    )
    assert all(
        line.startswith(f"{tmp_path / 'form.xlsx'}: sheet survey, row ") for line in problems
    )


def test_skip_unsupported_leaves_out_rows_that_need_what_was_left_out(tmp_path):
    conversion = convert(
        tmp_path,
        [
            {"type": "integer", "name": "age", "label": "Age"},
            {"type": "image", "name": "photo", "label": "Photo"},
            {"type": "text", "name": "uses_photo", "label": "U", "relevant": "${photo} != ''"},
            {"type": "text", "name": "uses_that", "label": "V", "constraint": ". != ${uses_photo}"},
            {"type": "begin group", "name": "g", "label": "G", "relevant": "${photo} = ''"},
            {"type": "text", "name": "inside", "label": "I"},
            {"type": "end group"},
            {"type": "text", "name": "fine", "label": "F", "relevant": "${age} > 1"},
        ],
        skip_unsupported=True,
    )
    assert list(questions(conversion.data)) == ["age", "fine"]
    why = {row.name: row.why for row in conversion.left_out}
    assert why == {
        "photo": "image questions are not supported",
        "uses_photo": "relevant refers to 'photo', which is left out",
        "uses_that": "constraint refers to 'uses_photo', which is left out",
        "g": "relevant refers to 'photo', which is left out",
        "inside": "inside group 'g', which is left out",
    }


def test_range_defaults_and_required_spellings(tmp_path):
    conversion = convert(
        tmp_path,
        [
            {"type": "range", "name": "r", "label": "R"},
            {
                "type": "text",
                "name": "a",
                "label": "A",
                "required": "TRUE",
                "required_message": "Please",
            },
            {"type": "text", "name": "b", "label": "B", "required": "true()"},
            {"type": "text", "name": "c", "label": "C", "required": "no"},
        ],
    )
    found = questions(conversion.data)
    assert (found["r"]["min"], found["r"]["max"]) == (1, 10)
    assert found["a"]["required"] is True
    assert found["a"]["required_message"] == {"en": "Please"}
    assert found["b"]["required"] is True
    assert "required" not in found["c"]


def test_choice_filters_other_than_column_equals_question_are_not_supported(tmp_path):
    choices = [
        {"list_name": "c", "name": "x", "label": "X"},
        {"list_name": "d", "name": "y", "label": "Y", "c": "x"},
        {"list_name": "d", "name": "z", "label": "Z"},
    ]
    survey = [
        {"type": "select_one c", "name": "c", "label": "C"},
        {"type": "select_one d", "name": "d", "label": "D", "choice_filter": "c = ${c}"},
        {"type": "select_one d", "name": "e", "label": "E", "choice_filter": "c = ${c} or 1 = 1"},
    ]
    with pytest.raises(XLSFormError) as error:
        convert(tmp_path, survey, choices)
    assert len(error.value.problems) == 1
    assert "row 4, name 'e'" in error.value.problems[0]
    d = questions(convert(tmp_path, survey[:2], choices).data)["d"]
    assert d["filter_by"] == "c"
    assert d["choices"] == [
        {"code": "y", "label": {"en": "Y"}, "parent": "x"},
        {"code": "z", "label": {"en": "Z"}},
    ]


def test_settings_defaults_and_form_id(tmp_path):
    conversion = convert(
        tmp_path,
        [{"type": "text", "name": "t", "label": "T"}],
        settings={"form_id": "My Form_2", "version": 7},
    )
    data = conversion.data
    assert data["slug"] == "my-form-2"
    assert data["title"] == {"en": "My Form_2"}
    assert data["consent"]["version"] == "7"


def test_a_missing_or_broken_file_is_one_problem(tmp_path):
    with pytest.raises(XLSFormError) as missing:
        read_xlsform(tmp_path / "nothing.xlsx")
    assert missing.value.problems == [f"{tmp_path / 'nothing.xlsx'}: no such file"]
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    with pytest.raises(XLSFormError) as unreadable:
        read_xlsform(broken)
    assert len(unreadable.value.problems) == 1
    assert "cannot read it as an .xlsx workbook" in unreadable.value.problems[0]


def test_unmatched_groups_are_problems(tmp_path):
    problems = refused(
        tmp_path,
        [
            {"type": "end group", "name": None, "label": None},
            {"type": "begin group", "name": "g", "label": "G"},
            {"type": "text", "name": "t", "label": "T"},
        ],
    )
    assert any("row 2: 'end group' closes nothing" in line for line in problems)
    assert any("row 3, name 'g': 'begin group' has no matching end" in line for line in problems)


# -- survey_keys: what the writer adds for a round trip ---------------------------------------


def test_survey_keys_are_merged_over_the_rows(tmp_path):
    keys = json.dumps
    conversion = convert(
        tmp_path,
        [
            {
                "type": "begin group",
                "name": "about",
                "label": "About",
                "survey_keys": keys({"intro": {"en": "Some words."}}),
            },
            {
                "type": "text",
                "name": "country",
                "label": "Country",
                "survey_keys": keys({"type": "country"}),
            },
            {
                "type": "text",
                "name": "story",
                "label": "Story",
                "survey_keys": keys({"type": "long_text", "max_length": 2000, "personal": True}),
            },
            {
                "type": "select_one colour",
                "name": "colour",
                "label": "Colour",
                "survey_keys": keys({"type": "country"}),
            },
            {
                "type": "integer",
                "name": "year",
                "label": "Year",
                "survey_keys": keys({"min": 0, "max": "current_year + 2"}),
            },
            {
                "type": "select_multiple colour or_other",
                "name": "colours",
                "label": "Colours",
            },
            {
                "type": "text",
                "name": "colours_other",
                "label": "Other",
                "survey_keys": keys({"skip": True}),
            },
            {
                "type": "begin group",
                "name": "grid",
                "label": "Grid",
                "survey_keys": keys(
                    {
                        "type": "matrix",
                        "id": "grid",
                        "label": {"en": "How much?"},
                        "rows": [{"code": "a", "label": {"en": "A"}}],
                        "scale": [{"code": 1, "label": {"en": "Little"}}],
                    }
                ),
            },
            {"type": "select_one colour", "name": "grid_a", "label": "A"},
            {"type": "end group"},
            {"type": "end group"},
        ],
        [
            {
                "list_name": "colour",
                "name": "red",
                "label": "Red",
                "survey_keys": keys({"number": 3}),
            },
            {
                "list_name": "colour",
                "name": "none",
                "label": "None",
                "survey_keys": keys({"exclusive": True, "missing": True}),
            },
        ],
        {
            "form_title": "Keys",
            "survey_keys": keys(
                {
                    "slug": "kept-slug",
                    "short_title": {"en": "K"},
                    "schedule": {"timezone": "Europe/Brussels"},
                }
            ),
        },
    )
    data = conversion.data
    assert data["slug"] == "kept-slug"
    assert data["short_title"] == {"en": "K"}
    assert data["schedule"] == {"timezone": "Europe/Brussels"}
    section = data["sections"][0]
    assert section["intro"] == {"en": "Some words."}
    found = questions(data)
    assert found["country"] == {"id": "country", "type": "country", "label": {"en": "Country"}}
    assert found["story"]["type"] == "long_text" and found["story"]["personal"] is True
    assert "choices" not in found["colour"] and found["colour"]["type"] == "country"
    assert found["year"]["max"] == "current_year + 2"
    assert "colours_other" not in found
    assert found["colours"]["choices"] == [
        {"code": "red", "label": {"en": "Red"}, "number": 3},
        {"code": "none", "label": {"en": "None"}, "exclusive": True, "missing": True},
        {"code": "other", "label": {"en": "Other"}, "other": True},
    ]
    assert found["grid"]["type"] == "matrix" and found["grid"]["rows"][0]["code"] == "a"
    assert "grid_a" not in found
    assert conversion.left_out == []


def test_survey_keys_that_are_not_a_json_object(tmp_path):
    problems = refused(
        tmp_path,
        [
            {"type": "text", "name": "t", "label": "T", "survey_keys": "{not json"},
            {"type": "text", "name": "u", "label": "U", "survey_keys": "[1, 2]"},
        ],
    )
    assert "row 2, name 't'" in problems[0] and "not valid JSON" in problems[0]
    assert "row 3, name 'u'" in problems[1] and "must be a JSON object" in problems[1]


def test_household_markdown_bold_is_dropped_with_a_note(household):
    note = questions(household.data)["intro_note"]["label"]
    assert "My name is [Your Name], and I’m with [Organization Name]." in note["en"]
    assert "Aha m bụ [Your Name]," in note["ig"]
    assert "**" not in note["en"] + note["ig"]
    assert "\n  • The interview will take about 20–30 minutes." in note["en"]  # lines kept
    assert any("Markdown emphasis" in line for line in household.notes)


def test_emphasis_markers_only_around_words(tmp_path):
    conversion = convert(
        tmp_path,
        [
            {"type": "note", "name": "a", "label": "**Bold**, __also__ and *italics*"},
            {"type": "note", "name": "b", "label": "2 * 3 * 4, a*"},
        ],
    )
    found = questions(conversion.data)
    assert found["a"]["label"] == {"en": "Bold, also and italics"}
    assert found["b"]["label"] == {"en": "2 * 3 * 4, a*"}
