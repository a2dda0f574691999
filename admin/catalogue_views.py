"""The catalogues in the back office: national ones read only, provincial ones kept by their province."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField

from admin.base import SecureModelView, form_choices
from eplan_flow.collation import thai_collated
from eplan_flow.extensions import db
from eplan_flow.glossary import CATALOGUE_LABELS
from eplan_flow.models import CATALOGUES, CatalogueItem, Province
from eplan_flow.services.directory import catalogues
from eplan_flow.thaidate import today_local
from workflows import deadlines as deadline_rules
from workflows.deadlines import DEADLINES_V1

CATALOGUE_CHOICES = [(c, CATALOGUE_LABELS[c]) for c in CATALOGUES]
PROVINCIAL_CHOICES = [(c, CATALOGUE_LABELS[c]) for c in catalogues.PROVINCIAL]
# What DLA keeps besides: the national sub-plans (แผนย่อย), each under its master plan.
DLA_KEPT_CHOICES = [(c, CATALOGUE_LABELS[c]) for c in catalogues.DLA_KEPT]


def period_label(start: int | None):
    """A plan period as people write it ("2566–2570"), or "every period"."""
    if start is None:
        return _l("Every plan period")
    return f"{start}–{start + DEADLINES_V1['period']['years'] - 1}"


def _period_or_none(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def _parent_or_none(value) -> int | None:
    if value in (None, "", "None", "__None"):
        return None
    return int(value)


def _master_plan_choices():
    """The master plans a sub-plan may sit under (active, national), by code."""
    plans = db.session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.catalogue == "master_plan", CatalogueItem.scope == "")
        .where(CatalogueItem.is_active.is_(True))
        .order_by(CatalogueItem.position, CatalogueItem.code)
    )
    return form_choices([("", _l("None (not a sub-plan)")), *((str(p.id), str(p)) for p in plans)])


def _period_choices(current: int | None = None):
    """Every period, the period in force, the one before it and the two after (and ``current``)."""
    years = DEADLINES_V1["period"]["years"]
    now = deadline_rules.period_in_force(today_local())
    starts = sorted({now + years * step for step in (-1, 0, 1, 2)} | ({current} if current else set()))
    return form_choices([("", _l("Every plan period")), *((str(s), period_label(s)) for s in starts)])


class CatalogueItemView(SecureModelView):
    """National items for everyone to read; provincial officers keep their own province's items,
    and DLA the national sub-plans (แผนย่อย) of the master plans.

    Rows are scoped by province code (``scope``), not by organisation: the one scoping hook is
    replaced, so the list, the count and ``get_one`` all apply it.
    """

    scope_column = None
    create_service = catalogues.create_item
    update_service = catalogues.update_item

    column_list = (
        "catalogue",
        "scope",
        "period_start_be",
        "code",
        "name_th",
        "parent",
        "position",
        "is_active",
    )
    column_details_list = (
        "catalogue",
        "scope",
        "period_start_be",
        "code",
        "name_th",
        "name_en",
        "parent",
        "position",
        "is_active",
    )
    # The province's own items first: they are what its officers come here to keep.
    column_default_sort = [("scope", True), ("catalogue", False), ("position", False)]
    column_sortable_list = (
        "catalogue",
        "scope",
        "code",
        ("name_th", thai_collated(CatalogueItem.name_th)),
        "position",
        "is_active",
    )
    can_set_page_size = True
    column_searchable_list = ("code", "name_th", "name_en")
    column_filters = (
        FilterEqual(CatalogueItem.catalogue, _l("Catalogue"), options=CATALOGUE_CHOICES),
        FilterEqual(CatalogueItem.scope, _l("Province code")),
        FilterEqual(CatalogueItem.period_start_be, _l("Plan period")),
    )
    column_labels = {
        "catalogue": _l("Catalogue"),
        "scope": _l("Province"),
        "period_start_be": _l("Plan period"),
        "code": _l("Code"),
        "name_th": _l("Name (Thai)"),
        "name_en": _l("Name (English)"),
        "parent": _l("Under"),
        "position": _l("Order"),
        "is_active": _l("Active"),
    }
    column_formatters = {
        "catalogue": lambda v, c, m, n: CATALOGUE_LABELS.get(m.catalogue, m.catalogue),
        "scope": lambda v, c, m, n: m.scope or _l("National"),
        "period_start_be": lambda v, c, m, n: period_label(m.period_start_be),
    }
    column_formatters_detail = column_formatters
    # A master plan's strategy is seed structure; a sub-plan's master plan is picked by DLA.
    form_columns = (
        "catalogue",
        "scope",
        "period_start_be",
        "parent_id",
        "code",
        "name_th",
        "name_en",
        "position",
        "is_active",
    )
    form_overrides = {
        "catalogue": SelectField,
        "scope": SelectField,
        "period_start_be": SelectField,
        "parent_id": SelectField,
    }
    form_args = {
        "catalogue": {"label": _l("Catalogue"), "choices": form_choices(PROVINCIAL_CHOICES)},
        "scope": {"label": _l("Province"), "choices": []},
        "period_start_be": {
            "label": _l("Plan period"),
            "choices": [],
            "coerce": _period_or_none,
            "description": _l("The plan period the item serves; a provincial development plan has one."),
        },
        "parent_id": {
            "label": _l("Under master plan"),
            "choices": [],
            "coerce": _parent_or_none,
            "validate_choice": False,  # the service checks it is a master plan
            "description": _l("Sub-plans only: the master plan the sub-plan belongs to."),
        },
    }

    def may_write(self) -> bool:
        scopes = catalogues.editable_scopes(current_user)
        return scopes is None or bool(scopes)

    def may_change(self, row) -> bool:
        return catalogues.may_edit_item(current_user, row.catalogue, row.scope)

    def scope(self, query):
        return query.filter(catalogues.visible_clause(current_user))

    def _province_choices(self):
        scopes = catalogues.editable_scopes(current_user)
        query = db.session.query(Province).order_by(Province.code)
        if scopes is not None:
            query = query.filter(Province.code.in_(sorted(scopes)))
        national = [("", _l("National (sub-plans)"))] if catalogues.may_keep_national(current_user) else []
        return form_choices([*national, *((p.code, f"{p.code} {p.name_th}") for p in query)])

    def _fill(self, form, period: int | None = None):
        kept = DLA_KEPT_CHOICES if catalogues.may_keep_national(current_user) else []
        form.catalogue.choices = form_choices([*PROVINCIAL_CHOICES, *kept])
        form.scope.choices = self._province_choices()
        form.period_start_be.choices = _period_choices(period)
        form.parent_id.choices = _master_plan_choices()
        return form

    def create_form(self, obj=None):
        return self._fill(super().create_form(obj))

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        return self._fill(form, form.period_start_be.data)
