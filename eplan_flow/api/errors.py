"""JSON errors for the API: every failure is ``{"code", "message"[, "details"]}`` with a stable code;
a domain refusal's message comes from the one catalogue (``eplan_flow.messages``).

Handlers sit on the blueprint, so the web UI's HTML error pages never see API requests. Routing
failures (unknown URL, wrong method) happen before Flask knows the blueprint, so an app-wide
``before_request`` hook answers those for paths under ``/api/`` only and leaves every other path to
whichever HTML handlers the app has.
"""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from eplan_flow import messages
from eplan_flow.api import bp
from eplan_flow.errors import DomainError

API_PATH_PREFIX = "/api/"

# Stable codes for HTTP-level failures; clients switch on these, never on the message.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
}


class InvalidJson(DomainError):
    """The request body is JSON but not a JSON object."""

    code = "invalid_json"
    status = 422


class MalformedJson(InvalidJson):
    """The request body cannot be read as JSON at all (bad syntax, bad encoding, nested too deep)."""

    status = 400


class CsrfFailed(DomainError):
    """A cookie-authenticated request that changes state came without a valid CSRF token."""

    code = "csrf_failed"
    status = 400


def error_response(status: int, code: str, message: str, details: dict | None = None) -> Response:
    body: dict[str, object] = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


def is_api_request() -> bool:
    return request.path == API_PATH_PREFIX.rstrip("/") or request.path.startswith(API_PATH_PREFIX)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    # The code is the contract; the message is the catalogue's sentence in the reader's language.
    return error_response(error.status, error.code, messages.message_for(error, "api"), error.details)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    status = error.code or 500
    allowed = sorted(error.valid_methods or ()) if isinstance(error, MethodNotAllowed) else []
    response = error_response(
        status,
        HTTP_CODES.get(status, f"http_{status}"),
        error.description or error.name,
        {"allowed_methods": allowed} if allowed else None,
    )
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


@bp.errorhandler(InternalServerError)
def internal_error(error: InternalServerError):
    # Flask has already logged the original exception; the client learns nothing about it.
    return error_response(500, "internal_error", _("Something went wrong on our side. Try again later."))


@bp.before_app_request
def answer_api_routing_errors():
    """Unknown URLs and wrong methods under /api/ get JSON, whatever the HTML handlers say."""
    error = request.routing_exception
    if error is None or isinstance(error, RequestRedirect) or not is_api_request():
        return None
    if isinstance(error, HTTPException):
        return http_error(error)
    return None
