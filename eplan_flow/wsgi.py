"""The WSGI application of an installed eplan-flow: ``gunicorn eplan_flow.wsgi:app``.

(A checkout also has the top-level wsgi.py for ``flask --app wsgi``.)
"""

from eplan_flow import create_app

app = create_app()
