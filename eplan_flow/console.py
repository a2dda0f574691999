"""The ``eplan`` console script: ``eplan setup``, ``eplan worker``, ``eplan verify-audit``, ...

The same commands as ``flask --app wsgi eplan ...``, with the app built by ``create_app()`` (config
chosen by EPLAN_ENV, settings from EPLAN_* variables), so an installed wheel needs no ``--app``.
``eplan db ...`` is Flask-Migrate's group (``eplan db upgrade``, ``eplan db current``).
"""

from __future__ import annotations

from flask.cli import ScriptInfo
from flask_migrate.cli import db as db_commands

from eplan_flow import create_app
from eplan_flow.cli import eplan


def main() -> None:
    """Run the ``eplan`` command group on the app from ``create_app()``."""
    if "db" not in eplan.commands:
        eplan.add_command(db_commands, "db")
    # The commands run under flask.cli.with_appcontext, which builds the app through this ScriptInfo.
    eplan.main(prog_name="eplan", obj=ScriptInfo(create_app=create_app, set_debug_flag=False))
