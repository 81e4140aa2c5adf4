"""One typed settings object, read from the environment (names are in the product spec)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
            questionnaires_path=PROJECT_ROOT / "questionnaires",
            exports_path=instance / "exports",
            secure_cookies=False,
        )

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> Settings:
        """Read SURVEY_* variables, filling in the documented defaults."""
        env = os.environ if environ is None else environ
        instance = Path(
            instance_path or env.get("SURVEY_INSTANCE_PATH") or PROJECT_ROOT / "instance"
        )
        try:
            proxies = int(env.get("SURVEY_TRUSTED_PROXIES", "0"))
        except ValueError:
            raise SettingsError("SURVEY_TRUSTED_PROXIES must be a whole number") from None
        if proxies < 0:
            raise SettingsError("SURVEY_TRUSTED_PROXIES cannot be negative")
        return cls(
            instance_path=instance,
            database_url=env.get("SURVEY_DATABASE_URL") or f"sqlite:///{instance / 'survey.db'}",
            secret_key=env.get("SURVEY_SECRET_KEY") or _instance_secret_key(instance),
            ratelimit_storage_url=env.get("SURVEY_RATELIMIT_STORAGE_URL", "memory://"),
            trusted_proxies=proxies,
            questionnaires_path=Path(
                env.get("SURVEY_QUESTIONNAIRES_PATH") or PROJECT_ROOT / "questionnaires"
            ),
            exports_path=Path(env.get("SURVEY_EXPORTS_PATH") or PROJECT_ROOT / "exports"),
            secure_cookies=env.get("SURVEY_SECURE_COOKIES", "0") == "1",
        )


def _instance_secret_key(instance: Path) -> str:
    """The key in instance/secret_key, generated (mode 600) the first time it is needed."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()
