"""Back office: how each LAO numbers its announced revisions, beside the national default.

DLA admins see every LAO and change its year basis, counter scope, number word and the next number
of a counter (an LAO joining e-Plan mid-period), each change with a reason, through
``services.planning.revision_numbering`` (audited on the LAO's ``revision-numbering`` chain). Provincial
and district officers read the LAOs of their scope. Nobody changes their own LAO's numbering here:
its own people use its "Numbering of revisions" page.
"""

from __future__ import annotations

from flask import abort, flash, g, has_app_context
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import SelectField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice

from admin.base import AdminForm, SecureModelView, acting_user
from eplan_flow import messages, text, thaidate
from eplan_flow.errors import DomainError, InvalidInput
from eplan_flow.extensions import db
from eplan_flow.form_input import CleanText, NumberText, thai_digits, tidy_lines
from eplan_flow.i18n import locale_code
from eplan_flow.models import LAO_TYPES, Organisation, Province
from eplan_flow.services.planning import revision_numbering
from eplan_flow.services.planning.revision_numbering import Numbering

# Who opens this list: DLA (every LAO, and changes) and the offices over LAOs (their scope, reading).
NUMBERING_READER_ROLES = frozenset({"dla_admin", "provincial_officer", "district_officer"})
YEAR_BASIS_LABELS = {"fiscal": _l("Fiscal year"), "calendar": _l("Calendar year")}
COUNTER_SCOPE_LABELS = {"bundle": _l("One counter per bundle"), "kind": _l("One counter per kind")}
SETTING_LABELS = {"year_basis": YEAR_BASIS_LABELS, "counter_scope": COUNTER_SCOPE_LABELS, "number_word": {}}
SETTING_OPTIONS = {
    "year_basis": "year_bases",
    "counter_scope": "counter_scopes",
    "number_word": "number_words",
}
# The service's fields, and the form fields that type them.
FORM_FIELDS = {
    "year_basis": "year_basis",
    "counter_scope": "counter_scope",
    "number_word": "number_word",
    "year_be": "next_year_be",
    "counter": "next_counter",
    "next_number": "next_number",
    "reason": "reason",
}


def _label(name: str, value) -> str:
    return str(SETTING_LABELS[name].get(value, value)) if value else ""


class NumberingForm(AdminForm):
    """An LAO's numbering (an empty choice follows the national default), the next number of one
    counter (optional), and why."""

    year_basis = SelectField(_l("Year the numbers run in"), choices=[])
    counter_scope = SelectField(_l("Counters"), choices=[])
    number_word = SelectField(_l("Word before the number"), choices=[])
    next_year_basis = SelectField(_l("Next number: year the numbers run in"), choices=[])
    next_year_be = StringField(
        _l("Next number: year (B.E.)"),
        filters=[thai_digits],
        validators=[NumberText(whole=True, minimum=2500, maximum=2700)],
    )
    next_counter = SelectField(_l("Next number: counter"), choices=[])
    next_number = StringField(
        _l("Next number (an LAO joining mid-period; leave empty to keep)"),
        filters=[thai_digits],
        validators=[NumberText(whole=True, minimum=1, maximum=9999)],
    )
    reason = TextAreaField(
        _l("Reason for the change (kept in the audit trail)"),
        filters=[tidy_lines],
        validators=[CleanText(revision_numbering.REASON_MAX_LENGTH, required=True, multiline=True)],
    )

    def validate_next_number(self, field) -> None:
        if bool(field.data) != bool(self.next_year_be.data):
            raise ValidationError(_("Give both the year and the next number, or neither."))


# -- what a row shows: read once per page for the LAOs listed ---------------------------------------
def _prefetch(org_ids) -> None:
    ids = [i for i in org_ids if i not in g.setdefault("numbering_rows", {})]
    rows = revision_numbering.settings_rows(ids)
    changes = revision_numbering.last_changes(ids)
    for org_id in ids:
        g.numbering_rows[org_id] = rows.get(org_id)
        g.setdefault("numbering_changes", {})[org_id] = changes.get(org_id)


def _own(org_id: int):
    _prefetch([org_id])
    return g.numbering_rows[org_id]


def _change(org_id: int):
    _prefetch([org_id])
    return g.numbering_changes[org_id]


def _setting(view, context, model, name) -> str:
    own = _own(model.id)
    value = getattr(own, name, None)
    if value:
        return _label(name, value)
    _version, rules = revision_numbering.national_default()
    return _("National default: %(value)s", value=_label(name, rules[name]))


def _next_numbers(view, context, model, name):
    own = _own(model.id)
    numbering = Numbering("", "", "", dict(own.next_numbers or {}) if own is not None else {})
    shown = [
        _(
            "%(counter)s, %(basis)s %(year)s: next number %(number)s",
            counter=counter,
            basis=_label("year_basis", basis),
            year=year,
            number=number,
        )
        for basis, year, counter, number in revision_numbering.next_numbers_shown(numbering)
    ]
    return Markup("<br>").join(escape(line) for line in shown)


def _counters_in_use(view, context, model, name):
    shown = [
        _(
            "%(counter)s %(year)s (%(basis)s): last number %(last)s",
            counter=counter,
            year=year,
            basis=_label("year_basis", basis),
            last=last,
        )
        for basis, year, counter, last in revision_numbering.counters_in_use(model.id)
    ]
    return Markup("<br>").join(escape(line) for line in shown)


def _changed_by(view, context, model, name) -> str:
    event = _change(model.id)
    return event.actor.full_name if event is not None and event.actor is not None else ""


def _changed_at(view, context, model, name) -> str:
    event = _change(model.id)
    return thaidate.format_datetime(event.occurred_at, locale_code()) if event is not None else ""


def _changed_why(view, context, model, name) -> str:
    event = _change(model.id)
    return (event.comment or "") if event is not None else ""


def _province(view, context, model, name) -> str:
    return model.province.name_th if model.province is not None else ""


def _province_options():
    # Read per list page (``NumberingView.index_view``); the view is built before any database.
    if not has_app_context():
        return []
    return [(p.code, p.name_th) for p in db.session.query(Province).order_by(Province.name_th)]


class NumberingView(SecureModelView):
    """Each LAO's numbering of revisions; DLA admins change it (never for their own LAO)."""

    scope_column = "id"
    update_service = revision_numbering.change_from_back_office
    form = NumberingForm
    list_template = "admin/numbering_list.html"
    can_view_details = True
    can_set_page_size = True

    column_list = (
        "code",
        "name_th",
        "province",
        "year_basis",
        "counter_scope",
        "number_word",
        "next_numbers",
        "changed_by",
        "changed_at",
    )
    column_details_list = (*column_list, "changed_why", "counters_in_use")
    column_default_sort = "code"
    column_sortable_list = ("code", "name_th")
    column_searchable_list = ("code", "name_th")
    column_filters = (
        FilterEqual(Organisation.province_code, _l("Province"), options=_province_options),
        FilterEqual(Organisation.lao_type, _l("LAO type"), options=list(LAO_TYPES.items())),
        FilterEqual(Organisation.district_code, _l("District code")),
    )
    column_labels = {
        "code": _l("Code"),
        "name_th": _l("LAO"),
        "province": _l("Province"),
        "year_basis": _l("Year the numbers run in"),
        "counter_scope": _l("Counters"),
        "number_word": _l("Word before the number"),
        "next_numbers": _l("Next numbers set"),
        "changed_by": _l("Last changed by"),
        "changed_at": _l("Last changed"),
        "changed_why": _l("Reason"),
        "counters_in_use": _l("Numbers announced in e-Plan"),
    }
    column_formatters = {
        "province": _province,
        "year_basis": _setting,
        "counter_scope": _setting,
        "number_word": _setting,
        "next_numbers": _next_numbers,
        "changed_by": _changed_by,
        "changed_at": _changed_at,
        "changed_why": _changed_why,
        "counters_in_use": _counters_in_use,
    }
    column_formatters_detail = column_formatters

    # -- who -------------------------------------------------------------------------------------
    def is_accessible(self) -> bool:
        return super().is_accessible() and any(
            grant.role in NUMBERING_READER_ROLES for grant in getattr(current_user, "grants", ())
        )

    def may_write(self) -> bool:
        return any(grant.role == "dla_admin" for grant in getattr(current_user, "grants", ()))

    def may_change(self, row) -> bool:
        return self.may_write() and revision_numbering.may_set_from_back_office(current_user, row)

    def is_action_allowed(self, name: str) -> bool:
        return False

    # -- which rows: the LAOs in scope -----------------------------------------------------------
    def scope(self, query):
        return super().scope(query).filter(Organisation.kind == "lao")

    _provinces_offered: list = []

    @expose("/")
    def index_view(self):
        # The filter menu names the provinces, which are rows: read them once they are there (and
        # again only if they change, so requests never see the menu half rebuilt).
        provinces = _province_options()
        if provinces != self._provinces_offered:
            self._provinces_offered = provinces
            self._refresh_filters_cache()
        return super().index_view()

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        _prefetch([row.id for row in rows])
        return count, rows

    def render(self, template, **kwargs):
        version, rules = revision_numbering.national_default()
        default = Numbering(rules["year_basis"], rules["counter_scope"], rules["number_word"], {})
        kwargs.update(
            national_version=version,
            national=[
                (self.column_labels[name], _label(name, rules[name]))
                for name in ("year_basis", "counter_scope", "number_word")
            ],
            national_example=revision_numbering.example_title(default),
            lao_settings=bool(rules.get("lao_settings")),
        )
        return super().render(template, **kwargs)

    # -- the form --------------------------------------------------------------------------------
    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        _version, rules = revision_numbering.national_default()
        for name, key in SETTING_OPTIONS.items():
            default = _label(name, rules[name])
            form[name].choices = [SelectChoice("", _("National default: %(value)s", value=default))] + [
                SelectChoice(value, _label(name, value)) for value in rules[key]
            ]
        form.next_year_basis.choices = [SelectChoice(v, _label("year_basis", v)) for v in rules["year_bases"]]
        form.next_counter.choices = [SelectChoice(c, c) for c in revision_numbering.counter_names()]
        return form

    def on_form_prefill(self, form, id):
        own = revision_numbering.settings_rows([int(id)]).get(int(id))
        _version, rules = revision_numbering.national_default()
        for name in ("year_basis", "counter_scope", "number_word"):
            form[name].data = getattr(own, name, None) or ""
        form.next_year_basis.data = getattr(own, "year_basis", None) or rules["year_basis"]

    def update_model(self, form, model) -> bool:
        if not self.can_edit or not self.may_change(model):
            abort(403)
        next_number = None
        try:
            # The form gives both the year and the number, or neither (``validate_next_number``).
            year = text.parse_int(form.next_year_be.data, field="year_be")
            number = text.parse_int(form.next_number.data, field="next_number")
            if year is not None and number is not None:
                next_number = (form.next_year_basis.data, year, form.next_counter.data, number)
            changed = revision_numbering.change_from_back_office(
                acting_user(),
                model.id,
                reason=form.reason.data,
                year_basis=form.year_basis.data,
                counter_scope=form.counter_scope.data,
                number_word=form.number_word.data,
                next_number=next_number,
            )
        except DomainError as error:
            said = messages.message_for(error, "admin", labels=self._field_labels())
            field = error.details.get("field") if isinstance(error, InvalidInput) else None
            if field in FORM_FIELDS:
                target = form[FORM_FIELDS[field]]
                target.errors = [*target.errors, said]
            flash(said, "error")
            return False
        if not changed:
            flash(_("Nothing changed: the numbering is as it was."), "info")
            return False
        return True

    def _field_labels(self) -> dict:
        return {
            "year_basis": _l("Year the numbers run in"),
            "counter_scope": _l("Counters"),
            "number_word": _l("Word before the number"),
            "year_be": _l("Next number: year (B.E.)"),
            "counter": _l("Next number: counter"),
            "next_number": _l("Next number (an LAO joining mid-period; leave empty to keep)"),
            "reason": _l("Reason for the change (kept in the audit trail)"),
        }


def register(admin_site) -> None:
    """Add each LAO's numbering of revisions to the back office, under the planning settings."""
    admin_site.add_view(
        NumberingView(
            Organisation,
            db,
            name=_l("Numbering of revisions"),
            endpoint="admin_numbering",
            url="numbering",
            category=_l("Planning settings"),
        )
    )
