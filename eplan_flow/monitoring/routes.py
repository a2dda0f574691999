"""The scrape endpoint."""

from __future__ import annotations

from flask import Response, abort, current_app, request

from eplan_flow.monitoring import METRICS_PATH, bp
from eplan_flow.services.platform import metrics


@bp.get(METRICS_PATH)
def metrics_view():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)  # not configured: nothing is served here, and nothing says there could be
    if not metrics.bearer_matches(request.headers.get("Authorization", ""), str(token)):
        return Response(
            "unauthorised\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
