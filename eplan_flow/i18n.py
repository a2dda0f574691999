"""Thai first, English second: locale choice, Buddhist-Era filters and template globals."""

from __future__ import annotations

from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations, refresh
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from eplan_flow import form_input, permissions, thaidate
from eplan_flow.extensions import babel, db
from eplan_flow.glossary import ACTION_LABELS, ROLE_LABELS
from eplan_flow.models import LAO_TYPES, OAuth2Client


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


def _catalogue():
    """The current locale's translations, as ``flask_babel.get_translations()``, remembered on the
    app context beside the locale they are for: ``refresh()`` and ``force_locale()`` replace the
    locale, so a different locale object means looking the catalogue up again."""
    if not has_app_context():
        return get_translations()
    state = g.get("_flask_babel")  # Flask-Babel's per-context namespace (babel_locale, ...)
    if state is not None:
        remembered = getattr(state, "eplan_catalogue", None)
        if remembered is not None and remembered[0] is getattr(state, "babel_locale", None):
            return remembered[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if state is not None and locale is not None:
        state.eplan_catalogue = (locale, translations)
    return translations


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def action_label(action: str, definition=None) -> str:
    """A person's word for an audit action: the trigger's label, else a known action."""
    if definition is not None and action in definition.trigger_labels:
        return definition.trigger_label(action, locale_code())
    return str(ACTION_LABELS.get(action, action))


def system_name(client_id: str) -> str:
    """A connected system by its name ("e-Plan", not "eplan"); its id if it is not registered."""
    name = db.session.execute(
        select(OAuth2Client.name).where(OAuth2Client.client_id == client_id)
    ).scalar_one_or_none()
    return name or client_id


def state_label(state: str | None, definition=None) -> str:
    if not state:
        return ""
    return definition.label(state, locale_code()) if definition is not None else state


# WTForms' own messages, marked here so the catalogue translates them: WTForms ships no Thai. Thai has
# one plural form, so each plural pair is two plain entries (see ``FormTranslations.ngettext``).
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid date value."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d character."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be exactly %(max)d character long."),
    _l("Field must be exactly %(max)d characters long."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
)


class FormTranslations:
    """WTForms' own messages from this app's catalogue, in the reader's language (WTForms fills in
    their placeholders after translating)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


FORM_TRANSLATIONS = FormTranslations()


def _form_translations(meta, form) -> FormTranslations:
    return FORM_TRANSLATIONS


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )
    # Flask-Babel caches the locale on the app context; a context that outlives one request
    # (tests, scripts) must not carry the last request's language into the next.
    app.before_request(refresh)
    # Templates look their words up through the request's catalogue, found once (Flask-Babel's
    # own callables find it again for each of a page's hundreds of words).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
    )
    # Flask-WTF would read WTForms' own catalogues, which have no Thai: every form of the app asks
    # this catalogue instead (the back office's forms: ``admin.base.AdminForm``).
    FlaskForm.Meta.get_translations = _form_translations

    @app.template_filter("thai_date")
    def thai_date(value, short=False):
        return thaidate.format_date(value, locale_code(), short=short)

    @app.template_filter("thai_datetime")
    def thai_datetime(value):
        return thaidate.format_datetime(value, locale_code())

    app.template_filter("system_name")(system_name)

    @app.template_filter("fiscal_year")
    def fiscal_year(value):
        return thaidate.fiscal_year(thaidate.to_local(value).date() if hasattr(value, "hour") else value)

    app.jinja_env.globals.update(
        can=permissions.can,
        locale_code=locale_code,
        lao_types=LAO_TYPES,
        today=thaidate.today_local,
        # A hand-written B.E. date box (dd/mm/yyyy พ.ศ.) takes the same attributes as ThaiDateField.
        be_date_attrs=form_input.be_date_attrs,
        current_fiscal_year=lambda: thaidate.fiscal_year(thaidate.today_local()),
        role_label=role_label,
        action_label=action_label,
        state_label=state_label,
    )
