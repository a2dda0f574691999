"""Thai first, English second: locale choice, Buddhist-Era filters and template globals."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale, refresh
from flask_login import current_user

from eplan_flow import permissions, thaidate
from eplan_flow.extensions import babel
from eplan_flow.glossary import ACTION_LABELS, ROLE_LABELS
from eplan_flow.models import LAO_TYPES


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Jobs, CLI commands and app set-up (Flask-Admin reads its lazy labels) have no request.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = request.args.get("lang")
    if wanted is not None and wanted in languages:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in languages:
        return session["lang"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale is not None and user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def locale_code() -> str:
    return str(get_locale() or "th")


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def action_label(action: str, definition=None) -> str:
    """A person's word for an audit action: the trigger's label, else a known action."""
    if definition is not None and action in definition.trigger_labels:
        return definition.trigger_label(action, locale_code())
    return str(ACTION_LABELS.get(action, action))


def state_label(state: str | None, definition=None) -> str:
    if not state:
        return ""
    return definition.label(state, locale_code()) if definition is not None else state


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )
    # Flask-Babel caches the locale on the app context; a context that outlives one request
    # (tests, scripts) must not carry the last request's language into the next.
    app.before_request(refresh)

    @app.template_filter("thai_date")
    def thai_date(value, short=False):
        return thaidate.format_date(value, locale_code(), short=short)

    @app.template_filter("thai_datetime")
    def thai_datetime(value):
        return thaidate.format_datetime(value, locale_code())

    @app.template_filter("fiscal_year")
    def fiscal_year(value):
        return thaidate.fiscal_year(thaidate.to_local(value).date() if hasattr(value, "hour") else value)

    app.jinja_env.globals.update(
        can=permissions.can,
        locale_code=locale_code,
        lao_types=LAO_TYPES,
        today=thaidate.today_local,
        current_fiscal_year=lambda: thaidate.fiscal_year(thaidate.today_local()),
        role_label=role_label,
        action_label=action_label,
        state_label=state_label,
    )
