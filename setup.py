"""Build steps pyproject.toml cannot state: a built package (wheel, `pip install .`) carries the
compiled interface catalogs, and the checkout's migrations/, alembic.ini and questionnaires/
under survey/_bundled/ (survey.settings.resources_root() finds them there).

An editable install runs from the checkout, where `make` and the tests compile the catalogs.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("migrations", "alembic.ini", "questionnaires")


def _message_catalogs():  # type: ignore[no-untyped-def]
    """survey/message_catalogs.py loaded on its own: it needs Babel only, not the package's
    other dependencies (survey/__init__.py imports Flask), so it runs at build time."""
    path = ROOT / "survey" / "message_catalogs.py"
    spec = importlib.util.spec_from_file_location("_survey_message_catalogs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithResources(build_py):  # type: ignore[misc]
    def run(self) -> None:
        package = Path(self.build_lib) / "survey"
        if not self.editable_mode:
            # setuptools copies into a build/ folder it keeps between builds (`pip install
            # /opt/survey/src` at each update): a module since removed from the checkout would
            # stay in it, and in every package built after.
            shutil.rmtree(package, ignore_errors=True)
        super().run()
        if self.editable_mode:
            return
        catalogs = _message_catalogs()
        for po_path in catalogs.catalog_paths(package / "translations"):
            catalogs.compile_catalog(po_path)
        target = package / "_bundled"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        for name in BUNDLED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(
                    source, target / name, ignore=shutil.ignore_patterns("__pycache__", ".*")
                )
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithResources})
