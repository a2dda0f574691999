"""Thai first, English second: locale choice, Buddhist-Era filters and template globals."""
from __future__ import annotations

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from eplan_flow import permissions, thaidate
from eplan_flow.extensions import babel
from eplan_flow.models import LAO_TYPES


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in languages:
        return session["lang"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def locale_code() -> str:
    return str(get_locale() or "th")


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )

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
    )
