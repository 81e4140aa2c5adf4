"""How long does converting an XLSForm take? Our reader and writer against pyxform's own work.

    .venv/bin/python benchmarks/xlsform_bench.py [--file FORM.xlsx] [--runs 5]

Converts a real form (by default the largest one in the shared test data,
select_one_choices_test.xlsx: 309 questions, 372 choices) and times, best and median of
several runs:
  * read: XLSForm → our questionnaire as YAML text, checked by the YAML loader;
  * write: that questionnaire → XLSForm again;
  * baseline, in the same process: pyxform turning the same file into its JSON form
    (`parse_file_to_json`), which our reader builds on, and into an XForm (`xls2xform`).
It prints the figures and the ratios read / pyxform-json and write / pyxform-xform.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyxform import xls2xform
from pyxform.xls2json import parse_file_to_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey.questionnaire.schema import load_text  # noqa: E402
from survey.xlsform.reading import read_xlsform, yaml_text  # noqa: E402
from survey.xlsform.writing import write_xlsform  # noqa: E402

DEFAULT_FILE = (
    Path(__file__).resolve().parents[2] / "shared/data/xlsform/select_one_choices_test.xlsx"
)


def timed(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Best and median seconds of `runs` runs."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return min(seconds), statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    form: Path = options.file
    if not form.is_file():
        sys.exit(f"{form}: no such file")

    def read() -> str:
        text = yaml_text(read_xlsform(form).data)
        load_text(text, form.with_suffix(".yaml").name)
        return text

    questionnaire = load_text(read(), form.with_suffix(".yaml").name)
    count = sum(1 for _ in questionnaire.questions())
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "written.xlsx"
        figures = {
            "read (xlsx → yaml, loaded)": timed(read, options.runs),
            "write (questionnaire → xlsx)": timed(
                lambda: write_xlsform(questionnaire, written), options.runs
            ),
            "pyxform json (baseline)": timed(lambda: parse_file_to_json(str(form)), options.runs),
            "pyxform xform (baseline)": timed(
                lambda: xls2xform.convert(xlsform=str(form), validate=False), options.runs
            ),
        }
    print(f"{form.name}: {count} questions, {options.runs} runs")
    for name, (best, median) in figures.items():
        print(f"{name:32} best {best:6.3f} s  median {median:6.3f} s")
    read_best = figures["read (xlsx → yaml, loaded)"][0]
    write_best = figures["write (questionnaire → xlsx)"][0]
    print(
        f"ratios: read/pyxform_json={read_best / figures['pyxform json (baseline)'][0]:.2f} "
        f"write/pyxform_xform={write_best / figures['pyxform xform (baseline)'][0]:.2f}"
    )


if __name__ == "__main__":
    main()
