"""The login seam. Views only use ``login_required`` and ``current_user``; how a person proves
who they are lives behind this package alone: the SSO through OpenID Connect (``oidc_client``),
or the development password when DEV_LOGIN_ENABLED (tests)."""
from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from eplan_flow.extensions import db, login_manager

bp = Blueprint("auth", __name__)


def init_app(app) -> None:
    from eplan_flow.auth import oidc_client
    from eplan_flow.models import User
    from eplan_flow.services import accounts

    oidc_client.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id))

    @login_manager.request_loader
    def load_user_from_bearer(req):
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return accounts.user_for_token(header.removeprefix("Bearer ").strip())
        return None

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import redirect, url_for

        if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
            return jsonify(code="unauthenticated", message="sign in or send a bearer token"), 401
        if not current_app.config["DEV_LOGIN_ENABLED"]:
            # Only one way in: straight to the SSO, which comes back to the page asked for.
            return redirect(url_for("auth.sso_login", next=request.full_path))
        return redirect(url_for("auth.login", next=request.full_path))

    from eplan_flow.auth import routes

    app.before_request(routes.revalidate)

    app.register_blueprint(bp, url_prefix="/auth")
