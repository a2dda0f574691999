"""The login seam. Views only use ``login_required`` and ``current_user``; how a person proves
who they are (development password today, SSO tomorrow) lives behind this package alone."""
from flask import Blueprint, jsonify, request
from flask_babel import lazy_gettext as _l

from eplan_flow.extensions import db, login_manager

bp = Blueprint("auth", __name__)


def init_app(app) -> None:
    from eplan_flow.models import User
    from eplan_flow.services import accounts

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
        return redirect(url_for("auth.login", next=request.full_path))

    from eplan_flow.auth import routes  # noqa: F401  (registers the views)

    app.register_blueprint(bp, url_prefix="/auth")
