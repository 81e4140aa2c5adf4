"""The survey platform: create_app() wires settings, database, extensions, blueprints and CLI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask import Flask
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from survey.assets import register_static_versions
from survey.db import Database
from survey.error_pages import register_error_pages
from survey.extensions import babel, csrf, limiter, login_manager
from survey.i18n import (
    current_language,
    install_template_gettext,
    language_links,
    language_name,
    locale_of_page,
    text,
)
from survey.links import public_url_for
from survey.message_catalogs import language_tag
from survey.models import utcnow
from survey.questionnaire.types import type_of
from survey.request_body import SurveyRequest
from survey.security import register_security_headers
from survey.sessions import LONGEST, SurveySessionInterface
from survey.settings import Settings

MAX_REQUEST_BYTES = 1024 * 1024


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], Any] = utcnow,
    overrides: Mapping[str, Any] | None = None,
) -> Flask:
    """Build the app; tests pass their own settings, clock and config overrides."""
    settings = settings or Settings.from_environment()
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.request_class = SurveyRequest
    app.config.update(flask_config(settings, clock))
    app.config.update(overrides or {})
    app.session_interface = SurveySessionInterface()
    app.extensions["survey_db"] = Database(settings.database_url)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    register_extensions(app)
    register_static_versions(app)
    register_blueprints(app)
    register_error_pages(app)
    register_security_headers(app)
    register_cli(app)
    skip_unused_limit_check(app)
    return app


def flask_config(settings: Settings, clock: Callable[[], Any]) -> dict[str, Any]:
    """Flask's and its extensions' configuration for these settings."""
    return {
        "SECRET_KEY": settings.secret_key,
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BYTES,
        "MAX_FORM_MEMORY_SIZE": MAX_REQUEST_BYTES,
        # Behind HTTPS the cookie is Secure and, by its __Host- name, bound to this host and
        # path (no subdomain can set or read it).
        "SESSION_COOKIE_NAME": "__Host-survey" if settings.secure_cookies else "survey",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        # Each part of the cookie ends at its own time (survey.sessions); this only caps it.
        "PERMANENT_SESSION_LIFETIME": LONGEST,
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # Over HTTPS a form must come from this site (its Referer, which our same-origin
        # Referrer-Policy lets the browser send to us and to nobody else).
        "WTF_CSRF_SSL_STRICT": settings.secure_cookies,
        "TRUSTED_HOSTS": settings.allowed_hosts,
        "BABEL_DEFAULT_LOCALE": "en",
        "RATELIMIT_STORAGE_URI": settings.ratelimit_storage_url,
        "RATELIMIT_STORAGE_OPTIONS": settings.ratelimit_storage_options,
        # Redis down: each process keeps counting the same limits in its own memory until
        # Redis answers again, instead of not counting at all (README, "More than one server").
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "SURVEY_SETTINGS": settings,
        "SURVEY_CLOCK": clock,
    }


def register_extensions(app: Flask) -> None:
    csrf.init_app(app)
    limiter.init_app(app)
    # Templates get the signed-in user as a proxy, read only by a page that shows it: Flask-Login's
    # own context processor loads the user (session checks, a query) for every page rendered, and
    # its strong protection then rewrote a respondent's cookie on each page (no one signs in there).
    login_manager.init_app(app, add_context_processor=False)
    babel.init_app(app, locale_selector=locale_of_page)
    install_template_gettext(app.jinja_env)
    app.jinja_env.globals.update(
        text=text,
        current_language=current_language,
        language_name=language_name,
        language_tag=language_tag,
        language_links=language_links,
        question_type=type_of,
        public_url_for=public_url_for,
        current_user=current_user,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def skip_unused_limit_check(app: Flask) -> None:
    """Flask-Limiter checks, before every request, the limits set for the whole app or a
    blueprint, and each view's own limits when the view is called. This app sets none of the
    first kind (every limit is on its view): the check before each request found nothing to
    count and cost a few percent of every request's time. Dropped only while there are none."""
    manager = limiter.limit_manager
    whole_app = manager.default_limits or manager.application_limits
    if whole_app or any(manager.blueprint_limits(app, name) for name in app.blueprints):
        return
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:  # as Flask-Limiter 4 registers it
        checks.remove(limiter._check_request_limit)


def register_blueprints(app: Flask) -> None:
    from survey.admin.views import bp as admin_bp
    from survey.health import bp as health_bp
    from survey.respond.views import bp as respond_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(respond_bp)
    app.register_blueprint(admin_bp)


def register_cli(app: Flask) -> None:
    from survey.cli import register_commands

    register_commands(app)


def get_db(app: Flask | None = None) -> Database:
    """The app's database (the current app's when none is given)."""
    from flask import current_app

    return (app or current_app).extensions["survey_db"]


def current_time() -> datetime:
    """Now, by the app's clock (tests move it; otherwise UTC now)."""
    from flask import current_app

    return current_app.config["SURVEY_CLOCK"]()
