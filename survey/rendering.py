"""Pages decided inside a unit of work, rendered once it has ended.

A view works out what to show inside its transaction and returns a `Later` (a template and its
context) or a redirect; `render` builds the page after the `with get_db()...` block. So a
template never runs while a transaction is open (on SQLite a writer holds the database's one
write lock until it commits), a template can touch only what the view loaded (no query hidden
in a page), and a page that fails to render cannot half-undo a write: the write has already
been committed whole, or rolled back whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, render_template
from werkzeug.wrappers import Response

Page = str | tuple[str, int] | Response


@dataclass(frozen=True)
class Later:
    """A template to render, with its context and status, once the transaction has ended."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


Outcome = Later | Page


def later(template: str, status: int = 200, **context: Any) -> Later:
    """`template` to render with `context` (and `status`) once the transaction has ended."""
    return Later(template, context, status)


def render(outcome: Outcome) -> Page:
    """The response of a view: its page rendered now, or its redirect as it is."""
    if isinstance(outcome, Later):
        return render_template(outcome.template, **outcome.context), outcome.status
    return outcome


def compile_templates(app: Flask) -> None:
    """Compile every template of `app` now. Jinja compiles a template on the first request that
    needs it, and a served worker that had not met a page yet made that request, and the ones
    queued behind it, wait for it: on 2 busy cores a fresh worker spent its first seconds
    compiling while respondents waited. `survey serve` calls this in each worker as it starts,
    before it takes requests (about a quarter of a second)."""
    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)
