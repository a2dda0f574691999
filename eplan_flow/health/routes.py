"""The two probes. Their answers say only up or not: the probes are open to anyone."""

from __future__ import annotations

from flask import Response, jsonify

from eplan_flow.health import bp
from eplan_flow.services.platform import health


def _uncached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    # Liveness only: a database or Redis outage must not get every process restarted.
    return _uncached(Response("ok", mimetype="text/plain"))


@bp.get("/readyz")
def readyz():
    ready = health.is_ready()
    response = jsonify(status="ok" if ready else "unavailable")
    response.status_code = 200 if ready else 503
    return _uncached(response)
