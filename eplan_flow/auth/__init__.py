"""The login seam. Views only use ``login_required`` and ``current_user``; how a person proves
who they are lives behind this package alone: the SSO through OpenID Connect (``oidc_client``),
or the development password when DEV_LOGIN_ENABLED (tests).

A sign-in lives on the server (``services.sessions``): the cookie holds only its random id
(``SESSION_ID_KEY``), so signing out, a password change, a lock, a revoked access or the SSO's
back-channel logout refuses every copy of the cookie at its next request."""

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from eplan_flow.auth import oidc_client
from eplan_flow.extensions import csrf, login_manager
from eplan_flow.services.identity import accounts, sessions

bp = Blueprint("auth", __name__)

# The key of e-Plan's server-side session id in the (signed) cookie.
SESSION_ID_KEY = "eplan_sid"


def init_app(app) -> None:
    """Bind the login seam to ``app``: Flask-Login, the SSO client and the auth routes."""
    oidc_client.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        # One indexed lookup: the session must still be live on the server, and this person's.
        try:
            uid = int(user_id)
        except (TypeError, ValueError):
            return None
        user = sessions.live_user(sessions.EPLAN, session.get(SESSION_ID_KEY), uid)
        if user is None:
            routes.forget_ended_sign_in()
        return user

    @login_manager.request_loader
    def load_user_from_bearer(req):
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return accounts.user_for_token(header.removeprefix("Bearer ").strip())
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
            return jsonify(code="unauthenticated", message="sign in or send a bearer token"), 401
        if not current_app.config["DEV_LOGIN_ENABLED"]:
            # Only one way in: straight to the SSO, which comes back to the page asked for.
            return redirect(url_for("auth.sso_login", next=request.full_path))
        return redirect(url_for("auth.login", next=request.full_path))

    app.before_request(routes.revalidate)
    # Called by the SSO's server with a signed logout token, never by a browser form.
    csrf.exempt(routes.backchannel_logout)

    app.register_blueprint(bp, url_prefix="/auth")


# Last: the routes import ``bp`` and ``SESSION_ID_KEY`` from this package.
from eplan_flow.auth import routes
