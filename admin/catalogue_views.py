"""The catalogues in the back office: national ones read only, provincial ones kept by their province."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField

from admin.base import SecureModelView, form_choices
from eplan_flow.catalogues.forms import CATALOGUE_LABELS
from eplan_flow.collation import thai_collated
from eplan_flow.extensions import db
from eplan_flow.models import CATALOGUES, CatalogueItem, Province
from eplan_flow.services.directory import catalogues

CATALOGUE_CHOICES = [(c, CATALOGUE_LABELS[c]) for c in CATALOGUES]
PROVINCIAL_CHOICES = [(c, CATALOGUE_LABELS[c]) for c in catalogues.PROVINCIAL]


class CatalogueItemView(SecureModelView):
    """National items for everyone to read; provincial officers keep their own province's items.

    Rows are scoped by province code (``scope``), not by organisation: the one scoping hook is
    replaced, so the list, the count and ``get_one`` all apply it.
    """

    scope_column = None
    create_service = catalogues.create_item
    update_service = catalogues.update_item

    column_list = ("catalogue", "scope", "code", "name_th", "parent", "position", "is_active")
    column_details_list = (
        "catalogue",
        "scope",
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
    )
    column_labels = {
        "catalogue": _l("Catalogue"),
        "scope": _l("Province"),
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
    }
    column_formatters_detail = column_formatters
    # The parent is seed structure (master plan → national strategy), never picked in a form.
    form_columns = ("catalogue", "scope", "code", "name_th", "name_en", "position", "is_active")
    form_overrides = {"catalogue": SelectField, "scope": SelectField}
    form_args = {
        "catalogue": {"label": _l("Catalogue"), "choices": form_choices(PROVINCIAL_CHOICES)},
        "scope": {"label": _l("Province"), "choices": []},
    }

    def may_write(self) -> bool:
        scopes = catalogues.editable_scopes(current_user)
        return scopes is None or bool(scopes)

    def may_change(self, row) -> bool:
        return catalogues.may_edit_scope(current_user, row.scope)

    def scope(self, query):
        return query.filter(catalogues.visible_clause(current_user))

    def _province_choices(self):
        scopes = catalogues.editable_scopes(current_user)
        query = db.session.query(Province).order_by(Province.code)
        if scopes is not None:
            query = query.filter(Province.code.in_(sorted(scopes)))
        return form_choices((p.code, f"{p.code} {p.name_th}") for p in query)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.scope.choices = self._province_choices()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.scope.choices = self._province_choices()
        return form
