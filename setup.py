"""The build steps pyproject.toml cannot declare: which packages ship, and the compiled catalogues.

Everything else (metadata, dependencies, package data) is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

# The gettext catalogues under eplan_flow/ whose .po files become .mo files in the wheel.
CATALOGUE_DIRS = ("eplan_flow/translations", "eplan_flow/translations_admin")


class build_py_with_catalogues(build_py):
    """Copy the packages, then compile each shipped .po into the .mo that Flask-Babel reads.

    The .mo files are build products (gitignored, not in the sdist), so a wheel built from a fresh
    clone or from the sdist carries translations without a `pybabel compile` beforehand.
    """

    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads the checkout (`make translations`)
            self._compiled = [str(mo) for mo in compile_catalogues(Path(self.build_lib))]

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *getattr(self, "_compiled", [])]


def compile_catalogues(root: Path) -> list[Path]:
    """Write <name>.mo beside every <name>.po under the catalogue folders of ``root``."""
    # Babel is in build-system.requires; imported here so `setup.py --help` needs nothing.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for folder in CATALOGUE_DIRS:
        for po in sorted((root / folder).glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parent.parent.name, domain=po.stem)
            mo = po.with_suffix(".mo")
            with mo.open("wb") as target:
                write_mo(target, catalogue)  # fuzzy entries left out, as `pybabel compile` does
            written.append(mo)
    if not written:
        raise SystemExit(f"no .po catalogues under {root}: the wheel would ship untranslated")
    return written


setup(
    # Discovered, not listed, so a new blueprint package ships without touching the build. The
    # top-level templates/ ships as eplan_flow.templates (package-dir in pyproject.toml).
    packages=[
        *find_namespace_packages(include=["eplan_flow*", "workflows*", "admin*"], exclude=["*.__pycache__"]),
        "eplan_flow.templates",
        *(f"eplan_flow.templates.{name}" for name in find_namespace_packages("templates")),
    ],
    cmdclass={"build_py": build_py_with_catalogues},
)
