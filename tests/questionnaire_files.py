"""Questionnaire files as the tests load them: an XLSForm is converted once per test process.

Converting a workbook (pyxform and openpyxl) takes about a tenth of a second, and the same few
forms are loaded again by every test that answers them; what is stored is the same text as
`load_questionnaire` stores.
"""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy.orm import Session

from survey.questionnaire_store import (
    LoadResult,
    QuestionnaireSource,
    questionnaire_source,
    store_questionnaire,
)


@functools.cache
def _converted(path: Path, modified_ns: int) -> QuestionnaireSource:
    return questionnaire_source(path)


def load_questionnaire_file(session: Session, path: Path) -> LoadResult:
    """`load_questionnaire`, with the file's conversion made once (per version of the file)."""
    source = _converted(path, path.stat().st_mtime_ns)
    return store_questionnaire(session, source.text, path.name, source.name)
