"""``flask --app wsgi eplan ...`` commands."""
from flask.cli import AppGroup

eplan = AppGroup("eplan", help="eplan-flow administration.")


def init_app(app) -> None:
    app.cli.add_command(eplan)
