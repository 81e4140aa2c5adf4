"""How fast and how light are the exports? Each format against the naive pandas + openpyxl way.

    .venv/bin/python benchmarks/export_bench.py [--rows 100000] [--smaller-rows N]
                                                [--database-url URL]

Fills a fresh database (a temporary SQLite file by default; an empty database given by
--database-url otherwise) with N synthetic responses to the shipped questionnaire, made with
the app's own models: valid answers for the sections that apply, a mix of complete, partial and
screened-out responses. Then each format is exported in a process of its own (so its peak memory
is its own), and so is the baseline: every row in one pandas DataFrame, then
DataFrame.to_excel(engine="openpyxl"). Prints time, rows per second and peak memory (maximum
resident set size) of each. SPSS and Stata, which hold the whole table, are also exported when
the database holds only --smaller-rows responses (a tenth by default): a second table gives
their peak memory at both sizes and its growth per 10,000 responses. As its last line, for
scripts:

    ratios: xlsx_speed=<baseline time / xlsx time> xlsx_memory=<xlsx peak / baseline peak>
            csv_speed=<baseline time / csv time>            (on one line)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from survey import create_app  # noqa: E402
from survey.cli import migrate  # noqa: E402
from survey.models import Answer, PersonalAnswer, SectionProgress, SurveyResponse  # noqa: E402
from survey.questionnaire import flow  # noqa: E402
from survey.questionnaire.conditions import Condition  # noqa: E402
from survey.questionnaire.countries import COUNTRY_CODES  # noqa: E402
from survey.questionnaire.schema import Question, Questionnaire  # noqa: E402
from survey.questionnaire_store import find_survey, latest_version, load_questionnaire  # noqa: E402
from survey.settings import PROJECT_ROOT, Settings  # noqa: E402

SLUG = "we-own-it"
QUESTIONNAIRE = PROJECT_ROOT / "questionnaires" / "we-own-it.yaml"
FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")
WHOLE_TABLE_FORMATS = ("sav", "dta")  # pyreadstat writes them from one DataFrame
CHUNK = 5_000
WORDS = "we own it the future of work is ours cooperative young people decide together".split()
COUNTRIES = sorted(COUNTRY_CODES)


def settings_for(database_url: str, instance: Path) -> Settings:
    return Settings.for_folder(instance, database_url, "benchmark")


# -- synthetic data ----------------------------------------------------------------------------


def _bound(
    limit: int | Condition | None, answers: dict[str, Any], today: date, default: int
) -> int:
    if isinstance(limit, Condition):
        value = limit.value(answers, today)
        return value if isinstance(value, int) else default
    return default if limit is None else limit


def _value(question: Question, answers: dict[str, Any], chance: random.Random, today: date) -> Any:
    kind = question.type
    if kind in ("integer", "scale"):
        low = _bound(question.min, answers, today, 0)
        high = _bound(question.max, answers, today, low + 100)
        if question.id == "age":
            low = max(low, 16)
        if question.id == "members_young" and isinstance(answers.get("members_total"), int):
            high = min(high, answers["members_total"])
        return chance.randint(low, min(high, low + 200))
    if kind == "single":
        return chance.choice(question.choices).code
    if kind == "multiple":
        exclusive = [choice.code for choice in question.choices if choice.exclusive]
        if exclusive and chance.random() < 0.1:
            return exclusive[:1]
        plain = [choice.code for choice in question.choices if not choice.exclusive]
        most = min(question.max_choices or len(plain), len(plain))
        picked = set(chance.sample(plain, chance.randint(1, most)))
        return [code for code in plain if code in picked]
    if kind == "country":
        return chance.choice(COUNTRIES)
    if kind == "matrix":
        return {str(row.code): chance.choice(question.scale).code for row in question.rows}
    if kind == "email":
        return f"person{chance.randint(1, 10**9)}@example.org"
    length = chance.randint(2, 30 if kind == "long_text" else 6)
    return " ".join(chance.choice(WORDS) for _ in range(length)).capitalize()


def synthetic_response(
    questionnaire: Questionnaire, chance: random.Random, today: date
) -> tuple[str, dict[str, Any], list[str]]:
    """(status, answers, completed sections) of one plausible response."""
    roll = chance.random()
    if roll < 0.1:
        return "screened_out", {"age": chance.randint(10, 15)}, ["about_you"]
    status = "complete" if roll < 0.75 else "in_progress"
    answers: dict[str, Any] = {}
    completed: list[str] = []
    sections = questionnaire.sections
    stop_after = len(sections) if status == "complete" else chance.randint(1, len(sections) - 1)
    for section in sections[:stop_after]:
        if not flow.section_applies(section, answers, today):
            continue
        for question in section.questions:
            if not flow.question_applies(question, answers, today):
                continue
            if not question.required and chance.random() < 0.15:
                continue
            answers[question.id] = _value(question, answers, chance, today)
            if question.other_choices and flow.other_selected(question, answers[question.id]):
                answers[question.other_field] = "Something else " + chance.choice(WORDS)
        completed.append(section.id)
    return status, answers, completed


def fill(app: Any, rows: int, seed: int = 7) -> None:
    """Insert `rows` responses with the app's models, in chunks."""
    from survey.questionnaire_store import questionnaire_of

    chance = random.Random(seed)
    db = app.extensions["survey_db"]
    with db.reading() as session:
        survey = find_survey(session, SLUG)
        version = latest_version(session, survey)
        questionnaire = questionnaire_of(version)
        survey_id, version_id = survey.id, version.id
    personal = {question.id for question in questionnaire.questions() if question.personal}
    section_of = {}
    for question in questionnaire.questions():
        section_of[question.id] = section_of[question.other_field] = question.section_id
    start = datetime(2027, 1, 4, tzinfo=UTC)
    made = 0
    while made < rows:
        batch = {"responses": [], "answers": [], "personal": [], "progress": []}
        for _ in range(min(CHUNK, rows - made)):
            response_id = secrets.token_hex(16)
            started = start + timedelta(seconds=chance.randint(0, 60 * 86400))
            status, answers, completed = synthetic_response(questionnaire, chance, started.date())
            submitted = started + timedelta(seconds=chance.randint(180, 3600))
            batch["responses"].append(
                {
                    "id": response_id,
                    "survey_id": survey_id,
                    "questionnaire_version_id": version_id,
                    "resume_code_hash": secrets.token_hex(32),
                    "status": status,
                    "late": False,
                    "language": "en",
                    "channel": chance.choice([None, "newsletter", "facebook", "federation"]),
                    "consent_version": "2027-1",
                    "started_at": started,
                    "updated_at": submitted,
                    "submitted_at": submitted if status == "complete" else None,
                    "last_section": completed[-1] if completed else None,
                }
            )
            for key, value in answers.items():
                target = "personal" if key in personal else "answers"
                batch[target].append(
                    {
                        "response_id": response_id,
                        "question_id": key,
                        "section_id": section_of[key],
                        "value": value,
                    }
                )
            for section_id in completed:
                batch["progress"].append(
                    {
                        "response_id": response_id,
                        "section_id": section_id,
                        "reached_at": started,
                        "completed_at": submitted,
                    }
                )
        with db.writing() as session:
            session.execute(insert(SurveyResponse), batch["responses"])
            session.execute(insert(Answer), batch["answers"])
            if batch["personal"]:
                session.execute(insert(PersonalAnswer), batch["personal"])
            session.execute(insert(SectionProgress), batch["progress"])
        made += len(batch["responses"])
        print(f"  filled {made:,} of {rows:,}", file=sys.stderr, flush=True)


# -- one measured export, in its own process ---------------------------------------------------


def measure(database_url: str, instance: Path, fmt: str, out: Path) -> dict[str, Any]:
    """Run in a child process: export once, report seconds, rows and peak memory."""
    from survey.export import build
    from survey.export.source import ExportOptions

    app = create_app(settings_for(database_url, instance))
    db = app.extensions["survey_db"]
    began = time.perf_counter()
    with db.reading() as session:
        survey = find_survey(session, SLUG)
        options = ExportOptions(
            format="xlsx" if fmt == "baseline" else fmt,
            include_partial=True,
            include_screened_out=True,
        )
        export = build.prepare(session, survey, options, now=datetime.now(UTC))
        if fmt == "baseline":
            import pandas

            frame = pandas.DataFrame(
                list(export.cells()), columns=[column.name for column in export.columns]
            )
            frame.to_excel(out, engine="openpyxl", index=False)
        else:
            build.write(export, out)
        rows = export.total
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "format": fmt,
        "seconds": seconds,
        "rows": rows,
        "peak_mib": peak_kib / 1024,
        "bytes": out.stat().st_size,
    }


def run_child(database_url: str, instance: Path, fmt: str, folder: Path) -> dict[str, Any]:
    extension = "xlsx" if fmt == "baseline" else fmt
    out = folder / f"{fmt}.{extension}"
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            fmt,
            "--database-url",
            database_url,
            "--instance",
            str(instance),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{fmt} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def print_growth(smaller: dict[str, dict[str, Any]], larger: dict[str, dict[str, Any]]) -> None:
    """Peak memory of the formats that hold the whole table, at both sizes, and how much it
    grows per 10,000 responses."""
    print(f"{'format':<10}{'rows':>10}{'peak MiB':>11}{'rows':>10}{'peak MiB':>11}{'MiB/10k':>10}")
    for fmt in WHOLE_TABLE_FORMATS:
        small, large = smaller[fmt], larger[fmt]
        growth = (large["peak_mib"] - small["peak_mib"]) / (large["rows"] - small["rows"]) * 10_000
        print(
            f"{fmt:<10}{small['rows']:>10,}{small['peak_mib']:>11.0f}"
            f"{large['rows']:>10,}{large['peak_mib']:>11.0f}{growth:>10.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--smaller-rows",
        type=int,
        help="sav and dta are also measured at this size, for their growth (default: a tenth)",
    )
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = measure(args.database_url, Path(args.instance), args.measure, Path(args.out))
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
        work = Path(folder)
        instance = work / "instance"
        database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        app = create_app(settings_for(database_url, instance))
        migrate(app)
        with app.extensions["survey_db"].writing() as session:
            load_questionnaire(session, QUESTIONNAIRE)
        smaller = args.rows // 10 if args.smaller_rows is None else args.smaller_rows
        if not 0 < smaller < args.rows:
            raise SystemExit("--smaller-rows must be more than 0 and fewer than --rows")
        print(f"filling {smaller:,} synthetic responses …", file=sys.stderr)
        began = time.perf_counter()
        fill(app, smaller)
        app.extensions["survey_db"].dispose()
        at_smaller = {}
        for fmt in WHOLE_TABLE_FORMATS:
            print(f"exporting {fmt} of {smaller:,} …", file=sys.stderr, flush=True)
            at_smaller[fmt] = run_child(database_url, instance, fmt, work)
        print(f"filling {args.rows - smaller:,} more …", file=sys.stderr)
        fill(app, args.rows - smaller, seed=8)
        print(f"filled in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        app.extensions["survey_db"].dispose()
        results = {}
        for fmt in (*FORMATS, "baseline"):
            print(f"exporting {fmt} …", file=sys.stderr, flush=True)
            results[fmt] = run_child(database_url, instance, fmt, work)
        print(f"{'format':<10}{'seconds':>10}{'rows/s':>12}{'peak MiB':>11}{'file MiB':>11}")
        for fmt, result in results.items():
            name = "baseline" if fmt == "baseline" else fmt
            print(
                f"{name:<10}{result['seconds']:>10.1f}"
                f"{result['rows'] / max(result['seconds'], 1e-9):>12,.0f}"
                f"{result['peak_mib']:>11.0f}{result['bytes'] / 2**20:>11.1f}"
            )
        print("baseline = pandas DataFrame of all rows + to_excel(engine='openpyxl')")
        print_growth(at_smaller, results)
        base, xlsx, csv = results["baseline"], results["xlsx"], results["csv"]
        print(
            f"ratios: xlsx_speed={base['seconds'] / xlsx['seconds']:.2f} "
            f"xlsx_memory={xlsx['peak_mib'] / base['peak_mib']:.2f} "
            f"csv_speed={base['seconds'] / csv['seconds']:.2f}"
        )


if __name__ == "__main__":
    main()
