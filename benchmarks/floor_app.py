"""The least page the survey's stack can serve: the floor under a respondent's page.

benchmarks/respond_bench.py serves it beside the survey and "hello", under the same gunicorn
settings. Where "hello" is the limit of the web server and Flask alone, this is the limit of a
page built the way every respondent page is built, with nothing of the survey in it: Flask with
its signed session cookie, Flask-WTF's CSRF token in the form and its check of a POST, the app's
database layer (`survey.db.Database`: the same engine settings, pools and sessions, SQLAlchemy's
ORM) reading one row for every page and writing one row for every save, and a Jinja template of
one question. A *save* is what the survey's is: a POST (checked, written, redirected) and the GET
of the page it leads to.

What the survey does beyond it (its questionnaire's rules, the deadline, the response with its
answers and sections, the pages' texts in five languages) is the difference between the two.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, redirect, render_template, request, session
from flask_wtf import CSRFProtect
from jinja2 import DictLoader
from sqlalchemy import String, create_engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.wrappers import Response

from survey.db import Database

PATH = "/page"
# The page of one question: what every respondent page has at the least (a title, a form with
# its CSRF token, a labelled field with the answer saved last, a button).
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title></head>
<body><main>
<h1>{{ title }}</h1>
<form method="post" action="{{ url_for('save') }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<label for="answer">Your answer</label>
<input id="answer" name="answer" value="{{ answer }}">
<button>Next</button>
</form>
</main></body>
</html>
"""


class FloorBase(DeclarativeBase):
    pass


class FloorAnswer(FloorBase):
    """One answer a respondent: its own table, beside the survey's in the benchmark's database."""

    __tablename__ = "bench_floor_answers"

    respondent: Mapped[str] = mapped_column(String(32), primary_key=True)
    answer: Mapped[str] = mapped_column(String(200))


def floor_database(database_url: str, folder: Path) -> str:
    """The floor's database beside the survey's `database_url`: the same PostgreSQL database
    (a table of its own), or on SQLite a file of its own in `folder`."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{folder / 'floor.db'}"
    return database_url


def create_floor_table(database_url: str) -> None:
    """The floor's table, made by the benchmark before the floor is served (the benchmark
    empties its PostgreSQL database at the start of each run, this table with the rest)."""
    engine = create_engine(database_url)
    try:
        FloorBase.metadata.create_all(engine)
    finally:
        engine.dispose()


def floor_app(database_url: str, secret_key: str) -> Flask:
    """The floor's app; `secret_key` signs its cookies (one for every worker process)."""
    app = Flask("floor")
    app.config.update(SECRET_KEY=secret_key, WTF_CSRF_TIME_LIMIT=None)
    app.jinja_loader = DictLoader({"page.html": PAGE})
    CSRFProtect(app)
    database = Database(database_url)
    app.extensions["floor_db"] = database  # a test disposes of its connections
    dialect = database.engine.dialect.name
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FloorAnswer)
    save_answer = upsert.on_conflict_do_update(
        index_elements=[FloorAnswer.respondent], set_={"answer": upsert.excluded.answer}
    )

    @app.get(PATH)
    def page() -> str:
        with database.reading() as db_session:
            found = db_session.get(FloorAnswer, session.get("respondent", ""))
            answer = found.answer if found is not None else ""
        return render_template("page.html", title="A question", answer=answer)

    @app.post(PATH)
    def save() -> Response:
        respondent = session.get("respondent") or secrets.token_hex(16)
        row = {"respondent": respondent, "answer": request.form.get("answer", "")[:200]}
        with database.writing() as db_session:
            db_session.execute(save_answer, row)
        session["respondent"] = respondent
        return redirect(PATH)

    return app
