"""A small OpenID Connect provider that plays ThaiD for development and tests (never production)."""
from flask import Blueprint

bp = Blueprint("thaid_dev", __name__)


def init_app(app) -> None:
    """Mount the stand-in ThaiD at /dev/thaid when ``THAID_DEV_PROVIDER_ENABLED`` is on."""
    if app.config.get("THAID_DEV_PROVIDER_ENABLED"):
        app.register_blueprint(bp, url_prefix="/dev/thaid")
