"""The one secure base of every back-office view: who may enter, which rows they see, how they write.

Row-level scoping lives in ``SecureModelView.scope`` alone and is applied together to the list
query, the count query, ``get_one`` and the relationship choices of forms (flask-admin issues 303,
397 and 1739 show what leaks when one of them is forgotten). Views never commit: creating, changing
and deleting call use cases in ``eplan_flow.services`` that audit the change and commit once.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, ClassVar

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import BaseForm
from flask_admin.model import typefmt
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, inspect, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import True_
from werkzeug.utils import secure_filename
from wtforms.fields.choices import Choice, SelectChoice, SelectFieldBase
from wtforms.fields.core import UnboundField

from eplan_flow import exports, messages
from eplan_flow.errors import DomainError
from eplan_flow.extensions import db
from eplan_flow.i18n import FORM_TRANSLATIONS, locale_code
from eplan_flow.models import Organisation, User
from eplan_flow.permissions import can_use_back_office, visible_org_clause
from workflows import REGISTRY, UnknownWorkflow

# Moved only by the workflow engine, or set by the database: never typed into a form.
MACHINE_COLUMNS = (
    "status",
    "version",
    "workflow_name",
    "workflow_version",
    "created_at",
    "updated_at",
    "password_hash",
)
# Grants whose holders manage people (and so may pick organisations and people in forms).
PEOPLE_MANAGING_ROLES = frozenset({"sso_admin", "dla_admin"})


class FormChoice(SelectChoice):
    """A select option WTForms 3.3 accepts without a warning and Flask-Admin's Select2 renders.

    Flask-Admin's ``Select2Field`` reads ``.value`` and ``.name`` from non-tuple choices.
    """

    @property
    def name(self) -> str:
        return self.label


def form_choices(pairs) -> list[FormChoice]:
    return [FormChoice(value, label) for value, label in pairs]


def _yielding_choices(field_class: type) -> type:
    """``field_class`` with options yielded as WTForms ``Choice``s.

    Flask-Admin 2.2's select fields still yield raw tuples, which WTForms 3.3 deprecates (and the
    suite turns warnings into errors); this adapts them without touching the library.
    """
    if getattr(field_class, "_yields_choices", False):
        return field_class

    def iter_choices(self):
        for item in super(adapted, self).iter_choices():
            choice = item if isinstance(item, Choice) else Choice(*item)
            if choice.value == "__None" and not choice.label:
                choice = choice._replace(label="—")  # the blank option (else its value is printed)
            yield choice

    adapted: type[Any] = type(
        field_class.__name__, (field_class,), {"iter_choices": iter_choices, "_yields_choices": True}
    )
    return adapted


def acting_user():
    """The signed-in user as a plain object (services compare and store it, not the proxy)."""
    return current_user._get_current_object()


class BackOfficeAccess:
    """Open only to signed-in people holding a back-office role."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and can_use_back_office(current_user))

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecureIndexView(BackOfficeAccess, AdminIndexView):
    """The back office's home page, behind the same door as every view."""


class AdminForm(BaseForm):
    """The back office's forms, with WTForms' own messages ("This field is required.") from the app's
    catalogue: Flask-Admin would read WTForms' catalogues, which have no Thai."""

    class Meta:
        def get_translations(self, form):
            return FORM_TRANSLATIONS


def _workflow_title(view, context, model, name) -> str:
    try:
        return REGISTRY.get(model.workflow_name).title(locale_code())
    except UnknownWorkflow:
        return model.workflow_name


def _yes_no(view, value, name) -> str:
    return _("Yes") if value else _("No")


def _baht(view, value, name) -> str:
    """Money as people read it: 1,234,567.00 (exact, never through float)."""
    return f"{value:,.2f}"


# Flask-Admin prints a boolean as an icon titled "is_active: true" and money as 1234567.00.
TYPE_FORMATTERS = {**typefmt.BASE_FORMATTERS, bool: _yes_no, Decimal: _baht}
DETAIL_TYPE_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, bool: _yes_no, Decimal: _baht}
# The columns every stateful row has, named for people (a view's own labels come first).
MACHINE_COLUMN_LABELS = {
    "status": _l("State"),
    "version": _l("Version"),
    "workflow_name": _l("Workflow"),
    "workflow_version": _l("Workflow version"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


class SecureModelView(BackOfficeAccess, ModelView):
    """A scoped, audited ModelView. Subclasses are configuration only.

    ``scope_column`` names the column by which a row reaches its organisation (``"id"`` for
    organisations themselves); ``None`` means the rows belong to no organisation, so only
    national-reach users see them. ``create_service``/``update_service``/``delete_service`` are
    use cases called as ``service(actor, **values)``, ``service(actor, id, **values)`` and
    ``service(actor, id)``; a view without one cannot do that operation.
    """

    scope_column: ClassVar[str | None] = "organisation_id"
    create_service: ClassVar[Callable[..., Any] | None] = None
    update_service: ClassVar[Callable[..., Any] | None] = None
    delete_service: ClassVar[Callable[..., Any] | None] = None

    can_view_details = True
    can_export = False
    form_base_class = AdminForm
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS
    form_excluded_columns = MACHINE_COLUMNS
    column_exclude_list = ("password_hash",)
    column_details_exclude_list = ("password_hash",)
    page_size = 50
    form_args: dict[str, Any] | None  # Flask-Admin's, None by default

    def __init__(self, model, session, **kwargs) -> None:
        self.form_args = self._scoped_choice_args(model, dict(self.form_args or {}))
        self.column_labels = {**MACHINE_COLUMN_LABELS, **(getattr(self, "column_labels", None) or {})}
        # A workflow by its title, not its code name ("plan").
        for attr in ("column_formatters", "column_formatters_detail"):
            if getattr(self, attr) is not None:
                setattr(self, attr, {"workflow_name": _workflow_title, **getattr(self, attr)})
        super().__init__(model, session, **kwargs)

    # -- who may write -----------------------------------------------------------------------
    def may_write(self) -> bool:
        """Whether the current user may change rows of this view at all (hides the buttons)."""
        return False

    def may_change(self, row) -> bool:
        """Whether the current user may change or delete this row (services check again)."""
        return self.may_write()

    @property
    def can_create(self) -> bool:
        return self.create_service is not None and self.may_write()

    @property
    def can_edit(self) -> bool:
        return self.update_service is not None and self.may_write()

    @property
    def can_delete(self) -> bool:
        return self.delete_service is not None and self.may_write()

    def is_action_allowed(self, name: str) -> bool:
        # Bulk delete would skip the per-row checks and commit in Flask-Admin's own code.
        return name != "delete" and super().is_action_allowed(name)

    # -- which rows: the one scoping hook ----------------------------------------------------
    def scope(self, query):
        """Limit ``query`` on this view's model to rows of organisations the user may read."""
        org = aliased(Organisation)
        clause = visible_org_clause(current_user, org)
        if isinstance(clause, True_):
            return query
        if self.scope_column is None:
            return query.filter(false())
        column = getattr(self.model, self.scope_column)
        return query.filter(column.in_(select(org.id).where(clause)))

    def get_query(self):
        return self.scope(super().get_query())

    def get_count_query(self):
        return self.scope(super().get_count_query())

    def get_one(self, id):
        """The row if it is in scope, else None (Flask-Admin then says it does not exist)."""
        try:
            pk = int(id)
        except (TypeError, ValueError):
            return None
        row = self.get_query().filter(self._pk_column() == pk).one_or_none()
        if (
            row is not None
            and request.endpoint
            and request.endpoint.rsplit(".", 1)[-1]
            in (
                "edit_view",
                "delete_view",
                "ajax_update",
            )
            and not self.may_change(row)
        ):
            abort(403)
        return row

    def _pk_column(self):
        return inspect(self.model).primary_key[0]

    # -- relationship choices ----------------------------------------------------------------
    def _scoped_choice_args(self, model, form_args: dict) -> dict:
        """Make every organisation or person select offer only what the user may manage."""
        factories = {Organisation: self.organisation_choices, User: self.user_choices}
        for rel in inspect(model).relationships:
            factory = factories.get(rel.mapper.class_)
            if factory is not None and not rel.uselist:
                args = dict(form_args.get(rel.key, {}))
                args.setdefault("query_factory", factory)
                form_args[rel.key] = args
        return form_args

    def _managed_org_ids(self):
        # The same scope rule as reading, applied to the people-managing grants only.
        managing = SimpleNamespace(
            is_authenticated=current_user.is_authenticated,
            grants=[g for g in getattr(current_user, "grants", ()) if g.role in PEOPLE_MANAGING_ROLES],
        )
        org = aliased(Organisation)
        return select(org.id).where(visible_org_clause(managing, org))

    def organisation_choices(self):
        return (
            db.session.query(Organisation)
            .filter(Organisation.id.in_(self._managed_org_ids()))
            .order_by(Organisation.code)
        )

    def user_choices(self):
        return (
            db.session.query(User)
            .filter(User.organisation_id.in_(self._managed_org_ids()))
            .order_by(User.username)
        )

    def scaffold_form(self):
        form_class = super().scaffold_form()
        for value in vars(form_class).values():
            if isinstance(value, UnboundField) and issubclass(value.field_class, SelectFieldBase):
                value.field_class = _yielding_choices(value.field_class)
        return form_class

    # -- downloads: the one spreadsheet rule of eplan_flow.exports -------------------------------
    def get_export_value(self, model, name):
        # Flask-Admin's CSV writer and the xlsx below both read cells here: text never starts a formula.
        return exports.safe_cell(super().get_export_value(model, name))

    def _export_tablib(self, export_type: str, return_url: str):
        """Excel downloads written by ``eplan_flow.exports`` (text typed as text), not by tablib.

        Flask-Admin hands every non-CSV export type here; tablib's writers would store a string
        starting with ``=`` as a formula, so only xlsx is offered, and through our writer.
        """
        if export_type != "xlsx":
            flash(_("That download format is not offered."), "error")
            return redirect(return_url)
        _count, rows = self._export_data()
        columns = self._export_columns
        body = exports.xlsx_bytes(
            str(self.name),
            [label for _name, label in columns],
            ([self.get_export_value(row, name) for name, _label in columns] for row in rows),
        )
        filename = secure_filename(self.get_export_name("xlsx"))
        return Response(
            body,
            mimetype=exports.XLSX_MIMETYPE,
            headers={"Content-Disposition": f"attachment;filename={filename}"},
        )

    # -- writes go through the services ------------------------------------------------------
    def form_values(self, form) -> dict[str, Any]:
        """The submitted fields as plain values, relationships turned into their foreign keys."""
        relationships = inspect(self.model).relationships
        values = {}
        for field in form:
            if field.name == "csrf_token":
                continue
            value = field.data
            if field.name in relationships:
                rel = relationships[field.name]
                local = next(iter(rel.local_columns))
                remote = next(iter(rel.remote_side)) if rel.remote_side else None
                key = inspect(self.model).get_property_by_column(local).key
                value = getattr(value, remote.key if remote is not None else "id") if value else None
                values[key] = value
            else:
                values[field.name] = value
        return values

    def _call_service(self, service, *args, **values):
        try:
            return service(acting_user(), *args, **values)
        except DomainError as exc:
            flash(messages.message_for(exc, "admin", labels=self._field_labels()), "error")
            return None

    def _field_labels(self) -> dict:
        """What the form calls each field, to name the one a refusal is about."""
        return {name: label for name, label in (self.column_labels or {}).items()}

    def create_model(self, form):
        if not self.can_create:
            abort(403)
        row = self._call_service(type(self).create_service, **self.form_values(form))
        if row is None:
            return False
        self.after_model_change(form, row, True)
        return row

    def update_model(self, form, model) -> bool:
        if not self.can_edit:
            abort(403)
        row = self._call_service(type(self).update_service, model.id, **self.form_values(form))
        if row is None:
            return False
        self.after_model_change(form, row, False)
        return True

    def delete_model(self, model) -> bool:
        service = type(self).delete_service
        if not self.can_delete or service is None:
            abort(403)
        try:
            service(acting_user(), model.id)
        except DomainError as exc:
            flash(messages.message_for(exc, "admin_delete"), "error")
            return False
        self.after_model_delete(model)
        return True
