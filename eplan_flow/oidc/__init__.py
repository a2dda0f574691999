"""The OpenID Connect provider (Authlib's server side): discovery, authorize, token, JWKS,
userinfo, revocation and logout."""

from flask import Blueprint

from eplan_flow.extensions import csrf
from eplan_flow.oidc.server import create_resource_protector, create_server
from eplan_flow.services.identity.tokens import revoke_on_sso_logout
from eplan_flow.sso.routes import logout_hooks

bp = Blueprint("oidc", __name__)


def init_app(app) -> None:
    """Bind the authorization server to ``app`` and register the endpoints."""
    app.extensions["oidc_server"] = create_server(app)
    app.extensions["oidc_resource_protector"] = create_resource_protector()
    # Called by relying parties' servers, not by our forms: client authentication protects them.
    # Logout checks its own confirmation form when no ID token vouches for the request.
    for view in (routes.token, routes.userinfo, routes.revoke, routes.logout):
        csrf.exempt(view)
    app.register_blueprint(bp)
    _hook_sso_logout()


def _hook_sso_logout() -> None:
    """Signing out on the SSO's own page revokes the tokens of that SSO session."""
    if revoke_on_sso_logout not in logout_hooks:
        logout_hooks.append(revoke_on_sso_logout)


# Last: the routes import ``bp`` from this package.
from eplan_flow.oidc import routes
