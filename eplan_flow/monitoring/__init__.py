"""``/metrics`` for Prometheus, to whoever holds ``METRICS_TOKEN`` (``Authorization: Bearer ...``);
404 while no token is configured. What it counts: ``eplan_flow.services.platform.metrics``.

Prometheus scrapes each process by its address, so ``eplan_flow.addresses`` lets ``METRICS_PATH``
through whatever Host it names, as it does the health probes.
"""

from flask import Blueprint

from eplan_flow.extensions import limiter

bp = Blueprint("monitoring", __name__)
# A scrape every few seconds must never use up the scraper's address's limits.
limiter.exempt(bp)

METRICS_PATH = "/metrics"

from eplan_flow.monitoring import routes  # noqa: F401
