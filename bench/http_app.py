"""The WSGI app bench/http.py serves: the product's ``create_app()`` plus one bench-only route.

    gunicorn -c python:eplan_flow.gunicorn_conf bench.http_app:app

``GET /bench/minimal`` does one indexed SELECT (an organisation by its unique code) and renders a
tiny template: the floor of a request through the same stack (host check, request id, sessions,
metrics, JSON access log, security headers) with almost no work of its own. It exists only here,
never in the product, so the mix and the floor are served by one gunicorn with identical settings.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request

from eplan_flow import create_app
from eplan_flow.extensions import db

MINIMAL_PATH = "/bench/minimal"
_ORGANISATION_BY_CODE = sa.text("SELECT name_th FROM organisation WHERE code = :code")

app = create_app()
# Compiled once, as a page's template file is (Jinja's cache); rendered as pages are
# (render_template: the context processors, the signals).
_TEMPLATE = app.jinja_env.from_string("<!doctype html><title>bench</title><p>{{ name }}</p>")


@app.get(MINIMAL_PATH)
def bench_minimal():
    name = db.session.execute(_ORGANISATION_BY_CODE, {"code": request.args.get("code", "")}).scalar()
    return render_template(_TEMPLATE, name=name or "-")
