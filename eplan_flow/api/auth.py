"""Who is calling the API, and the CSRF rule for cookie-authenticated writes.

The blueprint is CSRF-exempt because bearer-token clients cannot carry a CSRF token; a browser
session can, so a state-changing request authenticated by the session cookie must send a valid
``X-CSRFToken`` header. Tokens come from ``GET /api/v1/me`` (or the web page's ``csrf_token()``).
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user, user_loaded_from_request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from eplan_flow.api import bp
from eplan_flow.api.errors import CsrfFailed
from eplan_flow.extensions import login_manager

# The API's own description and its page (api/openapi.py): they show no one's data, anyone reads them.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document", "api.docs"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


@user_loaded_from_request.connect
def _remember_bearer_auth(sender, user, **extra) -> None:
    # Flask-Login tries the session first and the request loader (bearer tokens) only when the
    # session holds no user, so this flag means "this request is authenticated by its token".
    g.api_bearer_auth = True


def authenticated_by_bearer() -> bool:
    return bool(g.get("api_bearer_auth"))


def csrf_header_token() -> str | None:
    for header in current_app.config.get("WTF_CSRF_HEADERS", DEFAULT_CSRF_HEADERS):
        if request.headers.get(header):
            return request.headers[header]
    return None


@bp.before_request
def require_authentication():
    """Every API call needs a user; cookie-authenticated writes also need a CSRF token."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if (
        request.method not in SAFE_METHODS
        and not authenticated_by_bearer()
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        try:
            validate_csrf(csrf_header_token())
        except ValidationError as exc:
            raise CsrfFailed(
                _("Send a valid X-CSRFToken header with requests signed in by session cookie."),
                reason=str(exc),
            ) from None
    return None


@bp.after_request
def api_response_headers(response):
    # Answers carry personal and scoped data: no shared caches.
    response.headers.setdefault("Cache-Control", "no-store")
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="eplan-flow"')
    return response
