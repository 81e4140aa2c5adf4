"""The Share page: the survey's link for a channel (its `?via=` tag), in each language of the
survey, with a QR code drawn on the server (segno) for posters and events, downloadable as SVG
and PNG. Admins make links for any channel (or none); a partner for its own channels only, and
each of its views of the page is audited.

The link is the public one (SURVEY_PUBLIC_URL, see `survey.links`), so a code printed from a
console reached on an internal address still leads respondents to the survey.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Response, abort, request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.utils import secure_filename

from survey import get_db
from survey.admin.auth import role_required
from survey.admin.blueprint import (
    audit_partner_view,
    bp,
    my_channels,
    survey_or_404,
    survey_page,
)
from survey.admin.forms import PartnerShareForm, ShareForm
from survey.channels import is_tag
from survey.i18n import language_name
from survey.links import public_url_for
from survey.models import PARTNER, Survey
from survey.questionnaire_store import latest_version, questionnaire_of
from survey.rendering import Page, render

if TYPE_CHECKING:
    import segno

# Modules (squares) of the code: the PNG is drawn at this many pixels a module, with the
# quiet zone of four modules that scanners need around it. A short link makes a code of about
# 33 modules: 820 pixels square, about 7 cm at 300 dots per inch on a poster.
PNG_SCALE = 20
# The lowest error correction asked for; segno raises it as far as the code's size allows
# (a poster gets creased, a screen reflects light).
ERROR = "m"
KINDS = {"svg": "image/svg+xml", "png": "image/png"}


@dataclass(frozen=True)
class SharedLink:
    """The survey's link for a channel in one language, and its QR code as inline SVG."""

    language: str
    name: str  # the language's own name
    url: str
    svg: Markup


def survey_link(survey: Survey, language: str, via: str | None) -> str:
    """The public link to the survey's welcome page in `language`, tagged with channel `via`."""
    tag = {"via": via} if via else {}
    return public_url_for("respond.welcome", slug=survey.slug, **tag, lang=language)


def qr_code(link: str) -> segno.QRCode:
    import segno  # only where a code is drawn, not at every process's start

    return segno.make(link, error=ERROR, micro=False)


def inline_svg(link: str, title: str) -> Markup:
    """The code as an <svg> element for the page: sized by the page's CSS (viewBox only), dark
    on white whatever the page's colours, named by its <title>."""
    svg = qr_code(link).svg_inline(
        scale=1, omitsize=True, dark="#000", light="#fff", title=title, svgclass="qr-code"
    )
    return Markup(svg)


@dataclass(frozen=True)
class _Shared:
    """The survey of the URL, the languages of its newest version, and the channels the
    signed-in account may share (None: any channel, or none)."""

    survey: Survey
    languages: tuple[str, ...]
    channels: tuple[str, ...] | None


def _shared(slug: str) -> _Shared:
    with get_db().reading() as db_session:
        survey = survey_or_404(db_session, slug)
        version = latest_version(db_session, survey)
        languages = questionnaire_of(version).languages if version is not None else ("en",)
        return _Shared(survey, languages, my_channels(db_session))


def _may_share(via: str, channels: tuple[str, ...] | None) -> bool:
    """An admin shares any tag, or none; a partner one of its channels."""
    return via in channels if channels is not None else (not via or is_tag(via))


share_required = role_required("admin", PARTNER)


@bp.get("/surveys/<slug>/share")
@share_required
def share(slug: str) -> Page:
    shared = _shared(slug)
    survey, languages = shared.survey, shared.languages
    form: ShareForm | PartnerShareForm
    if shared.channels is None:
        form = ShareForm(request.args)
        asked = "via" in request.args
    else:  # a partner: its first channel until it picks another
        picked = "via" in request.args
        form = PartnerShareForm(
            request.args if picked else None,
            data=None if picked else {"via": shared.channels[0]},
            channels=shared.channels,
        )
        asked = True
    links: list[SharedLink] = []
    if asked and form.validate():
        via = form.via.data or None
        for language in languages:
            url = survey_link(survey, language, via)
            name = language_name(language)
            title = _("QR code of the link in %(language)s", language=name)
            links.append(SharedLink(language, name, url, inline_svg(url, title)))
    audit_partner_view(survey, shared.channels, "share")
    return render(
        survey_page(
            "admin/share.html",
            survey,
            400 if form.errors else 200,
            form=form,
            links=links,
            via=form.via.data if links else None,
        )
    )


@bp.get("/surveys/<slug>/share/qr.<kind>")
@share_required
def share_qr(slug: str, kind: str) -> Response:
    """The QR code of one link, as a file to download (`kind`: svg or png)."""
    shared = _shared(slug)
    survey = shared.survey
    via = request.args.get("via", "")
    language = request.args.get("lang", "")
    # The page links only to codes of tags the account may share and of the survey's
    # languages: anything else is an address typed by hand, and no such code exists.
    if (
        kind not in KINDS
        or not _may_share(via, shared.channels)
        or language not in shared.languages
    ):
        abort(404)
    link = survey_link(survey, language, via or None)
    output = io.BytesIO()
    if kind == "svg":
        qr_code(link).save(output, kind="svg", scale=10, dark="#000", light="#fff", title=link)
    else:
        qr_code(link).save(output, kind="png", scale=PNG_SCALE, dark="#000", light="#fff")
    name = secure_filename(f"{survey.slug}-{via or 'link'}-{language}.{kind}")
    return Response(
        output.getvalue(),
        mimetype=KINDS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
