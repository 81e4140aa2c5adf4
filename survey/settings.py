"""One typed settings object, read from the environment (names are in the product spec)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PACKAGE_ROOT = Path(__file__).resolve().parent
# The source checkout (in an installed package: the folder the package was installed into).
PROJECT_ROOT = PACKAGE_ROOT.parent
# A built package carries the checkout's migrations/, alembic.ini and questionnaires/ here
# (setup.py copies them); a source checkout has no such folder.
BUNDLED = PACKAGE_ROOT / "_bundled"


def resources_root() -> Path:
    """Where migrations/, alembic.ini and questionnaires/ are: the copy bundled in an installed
    package, else the source checkout (editable installs, `make run`, the tests)."""
    return BUNDLED if BUNDLED.is_dir() else PROJECT_ROOT


def _default_instance() -> Path:
    # An installed package's instance folder follows Flask's convention (prefix/var/NAME-instance).
    if BUNDLED.is_dir():
        return Path(sys.prefix) / "var" / "survey-instance"
    return PROJECT_ROOT / "instance"


def _default_exports(instance: Path) -> Path:
    return instance / "exports" if BUNDLED.is_dir() else PROJECT_ROOT / "exports"


# Rate-limit storage URLs that name a Redis server (limits passes them to redis-py).
_REDIS_SCHEMES = ("redis", "rediss", "redis+unix")


class SettingsError(ValueError):
    """A setting with a value the app cannot use."""


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str
    ratelimit_storage_url: str
    trusted_proxies: int
    questionnaires_path: Path
    exports_path: Path
    secure_cookies: bool
    # Key of the keyed hash under which resume codes are stored (not the secret key: rotating
    # that one must not make every code stop working). Several servers share it.
    resume_key: str = "test-resume-key"
    # The address people reach the survey at (e.g. https://survey.example.org): absolute links
    # are made from it, never from a request's Host header.
    public_url: str | None = None
    # Host names a request may name (Host header); empty: any (a local trial).
    trusted_hosts: tuple[str, ...] = ()

    @classmethod
    def for_folder(cls, instance: Path, database_url: str, secret_key: str) -> Settings:
        """Settings for a self-contained folder (tests, benchmarks): nothing from the
        environment, exports inside the folder, the shipped questionnaires."""
        return cls(
            instance_path=instance,
            database_url=database_url,
            secret_key=secret_key,
            ratelimit_storage_url="memory://",
            trusted_proxies=0,
            questionnaires_path=resources_root() / "questionnaires",
            exports_path=instance / "exports",
            secure_cookies=False,
            resume_key=f"{secret_key}-resume",
        )

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> Settings:
        """Read SURVEY_* variables, filling in the documented defaults."""
        env = os.environ if environ is None else environ
        instance = Path(instance_path or env.get("SURVEY_INSTANCE_PATH") or _default_instance())
        try:
            proxies = int(env.get("SURVEY_TRUSTED_PROXIES", "0"))
        except ValueError:
            raise SettingsError("SURVEY_TRUSTED_PROXIES must be a whole number") from None
        if proxies < 0:
            raise SettingsError("SURVEY_TRUSTED_PROXIES cannot be negative")
        public_url = _public_url(env.get("SURVEY_PUBLIC_URL", ""))
        hosts = tuple(
            name.strip().lower()
            for name in env.get("SURVEY_TRUSTED_HOSTS", "").split(",")
            if name.strip()
        )
        return cls(
            instance_path=instance,
            database_url=_database_url(env.get("SURVEY_DATABASE_URL", "").strip())
            or f"sqlite:///{instance / 'survey.db'}",
            secret_key=env.get("SURVEY_SECRET_KEY") or _instance_key(instance, "secret_key"),
            ratelimit_storage_url=env.get("SURVEY_RATELIMIT_STORAGE_URL", "memory://"),
            trusted_proxies=proxies,
            questionnaires_path=Path(
                env.get("SURVEY_QUESTIONNAIRES_PATH") or resources_root() / "questionnaires"
            ),
            exports_path=Path(env.get("SURVEY_EXPORTS_PATH") or _default_exports(instance)),
            secure_cookies=env.get("SURVEY_SECURE_COOKIES", "0") == "1",
            resume_key=env.get("SURVEY_RESUME_KEY") or _instance_key(instance, "resume_key"),
            public_url=public_url,
            trusted_hosts=hosts,
        )

    @property
    def ratelimit_storage_options(self) -> dict[str, float]:
        """Options of the limiter's storage. A Redis that does not answer within a second
        counts as down (the limits then fall back to memory), so no request waits on it;
        timeouts given in the URL's query (`?socket_timeout=5`) win over these."""
        if urlsplit(self.ratelimit_storage_url).scheme in _REDIS_SCHEMES:
            return {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
        return {}

    @property
    def allowed_hosts(self) -> list[str] | None:
        """What a request's Host may be (Flask's TRUSTED_HOSTS), or None for any: the trusted
        hosts, the public address's host, and this machine's own names (health checks)."""
        hosts = list(self.trusted_hosts)
        if self.public_url:
            hosts.append(urlsplit(self.public_url).hostname or "")
        if not hosts:
            return None
        return [*hosts, "localhost", "127.0.0.1", "::1"]


# PostgreSQL's own spellings of its addresses (libpq's, and many hosts' DATABASE_URL), which
# SQLAlchemy would otherwise read as a driver that is not installed (psycopg2), or not at all.
_POSTGRESQL_SCHEMES = ("postgres", "postgresql")


def _database_url(text: str) -> str:
    """SURVEY_DATABASE_URL as the app uses it: SQLite, or PostgreSQL through psycopg (3), the
    driver the platform installs. `postgres://` and `postgresql://` mean the latter. Anything
    else is refused here, in one line, not deep inside SQLAlchemy."""
    if not text:
        return text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text)
    except ArgumentError:
        raise SettingsError(
            "SURVEY_DATABASE_URL is not a database address: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DATABASE"
        ) from None
    if url.drivername in _POSTGRESQL_SCHEMES:
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise SettingsError(
            f"SURVEY_DATABASE_URL names the driver {url.get_driver_name()!r}, which the "
            "platform does not install: use postgresql+psycopg://"
        )
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError(
            f"SURVEY_DATABASE_URL names {url.get_backend_name()!r}: the platform runs on "
            "SQLite (sqlite:///PATH) or PostgreSQL (postgresql+psycopg://...)"
        )
    return text


def _public_url(text: str) -> str | None:
    text = text.strip().rstrip("/")
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise SettingsError(
            "SURVEY_PUBLIC_URL must be an address such as https://survey.example.org"
        )
    return text


def _instance_key(instance: Path, name: str) -> str:
    """The key in instance/<name>, generated (mode 600) the first time it is needed."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()
