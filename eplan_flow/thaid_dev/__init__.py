"""A small OpenID Connect provider that plays ThaiD for development and tests (never production).

It signs people in as one of a few made-up citizens (``citizens.SAMPLE_CITIZENS``) so the SSO's
real ThaiD client can be exercised end to end through real redirects and token calls.
"""

from flask import Blueprint

from eplan_flow.thaid_dev.store import make_store

bp = Blueprint("thaid_dev", __name__)

# DOPA's real discovery URL: the default of THAID_DISCOVERY_URL in config.py.
REAL_THAID_DISCOVERY_URL = "https://imauth.bora.dopa.go.th/.well-known/openid-configuration"
# Where the SSO's ThaiD client looks when it has no real ThaiD credentials (relative: this app).
DEV_DISCOVERY_PATH = "/dev/thaid/.well-known/openid-configuration"
DEV_CLIENT_ID = "eplan-sso-dev"
DEV_CLIENT_SECRET = "thaid-dev-secret"


def init_app(app) -> None:
    """Mount the stand-in ThaiD at /dev/thaid when ``THAID_DEV_PROVIDER_ENABLED`` is on."""
    if not app.config.get("THAID_DEV_PROVIDER_ENABLED"):
        return
    if not app.config.get("THAID_CLIENT_ID"):
        # No credentials from DOPA: the only ThaiD this app can talk to is the stand-in.
        app.config["THAID_CLIENT_ID"] = DEV_CLIENT_ID
        app.config["THAID_CLIENT_SECRET"] = DEV_CLIENT_SECRET
        if app.config.get("THAID_DISCOVERY_URL") in (None, REAL_THAID_DISCOVERY_URL):
            app.config["THAID_DISCOVERY_URL"] = DEV_DISCOVERY_PATH
    app.extensions["eplan_flow.thaid_dev"] = make_store(app.config.get("REDIS_URL"))
    app.register_blueprint(bp, url_prefix="/dev/thaid")


# Last, for its side effect: the module registers its views on ``bp``.
from eplan_flow.thaid_dev import routes  # noqa: F401
