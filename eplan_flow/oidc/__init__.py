"""The OpenID Connect provider (Authlib's server side): discovery, authorize, token, JWKS,
userinfo, revocation and logout."""
from flask import Blueprint

bp = Blueprint("oidc", __name__)


def init_app(app) -> None:
    """Bind the authorization server to ``app`` and register the endpoints."""
    app.register_blueprint(bp)
