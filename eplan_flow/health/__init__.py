"""The load balancer's probes: ``/healthz`` (this process answers) and ``/readyz`` (it may take
traffic). Unauthenticated, unlimited, and cheap: no session, no audit, no sign-in check.

Balancers probe each process by its IP address, so ``eplan_flow.addresses`` lets exactly these
paths through whatever Host they name (``PROBE_PATHS``), and the app behind them never sees it.
"""

from flask import Blueprint

from eplan_flow.extensions import limiter

bp = Blueprint("health", __name__)
# A probe every few seconds from each balancer must never use up a client address's limits, nor
# be refused by them.
limiter.exempt(bp)

PROBE_PATHS = frozenset({"/healthz", "/readyz"})

from eplan_flow.health import routes  # noqa: F401
