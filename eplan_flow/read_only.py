"""Read-only windows at the door: the one request hook that refuses e-Plan's writes while a window
runs, and the banner every page shows (``templates/_entry_window_banner.html``).

Every interface that takes writes over HTTP passes here before its view: the pages' forms, the JSON
API and the back office. What stays open is rule data (``workflows/entry_windows.py``); the
decision is ``services.platform.entry_windows.refuse_if_closed``. A refused write reaches no view,
so nothing changes and nothing is audited. Pages get a 503 page saying until when and why, the API
``{"code": "read_only_window", ...}`` with 503; both carry Retry-After (seconds until it reopens).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, jsonify, make_response, render_template, request
from flask_login import current_user

from eplan_flow import messages, thaidate, web
from eplan_flow.i18n import locale_code
from eplan_flow.services.platform import entry_windows

API_PATH_PREFIX = "/api/"


def init_app(app: Flask) -> None:
    """Refuse writes during a window; offer pages ``entry_window_notice()`` for the banner."""

    @app.before_request
    def refuse_writes_during_a_read_only_window():
        try:
            entry_windows.refuse_if_closed(request.endpoint, request.method, _roles)
        except entry_windows.ReadOnlyWindow as closed:
            return _refusal(closed)
        return None

    app.jinja_env.globals["entry_window_notice"] = entry_windows.notice


def _roles() -> frozenset[str]:
    if not current_user.is_authenticated:
        return frozenset()
    return frozenset(g.role for g in getattr(current_user, "grants", ()))


def _refusal(closed: entry_windows.ReadOnlyWindow):
    window = entry_windows.current()
    until = thaidate.format_datetime(window.ends_at if window else None, locale_code())
    message = messages.message_for(closed, until=until)
    if request.path.startswith(API_PATH_PREFIX):
        response = jsonify(code=closed.code, message=message, details=closed.details)
        response.status_code = closed.status
    else:
        response = _page(message, window)
    response.headers["Retry-After"] = str(closed.details["retry_after"])
    return response


def _page(message: str, window: entry_windows.WindowNotice | None):
    """The page a refused form post gets: what happened, until when, and the way back."""
    body = render_template("errors/read_only.html", message=message, window=window, back=_back())
    return make_response(body, entry_windows.ReadOnlyWindow.status)


def _back() -> str:
    # The page the form was on, when it was a page of this site; else none (the page links home).
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return ""
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return web.safe_next(path, "") if path else ""
