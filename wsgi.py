"""WSGI entry point: ``flask --app wsgi run`` or any WSGI server."""

from eplan_flow import create_app

app = create_app()
