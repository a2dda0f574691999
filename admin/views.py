"""The back-office views: configuration on top of ``SecureModelView``."""
from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual, FilterLike
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from admin.base import PEOPLE_MANAGING_ROLES, SecureModelView, acting_user, form_choices
from eplan_flow import thaidate
from eplan_flow.errors import DomainError
from eplan_flow.glossary import KIND_LABELS, ROLE_LABELS
from eplan_flow.i18n import locale_code
from eplan_flow.models import (
    LAO_TYPES, ORG_KINDS, AuditEvent, Organisation, OutboxMessage, Plan, RoleGrant, User,
)
from eplan_flow.permissions import can_manage_organisations, can_manage_people, can_read
from eplan_flow.services import directory, engine
from workflows import REGISTRY
from workflows.roles import ROLE_NAMES

KIND_CHOICES = [(k, KIND_LABELS[k]) for k in ORG_KINDS]
LAO_TYPE_CHOICES = list(LAO_TYPES.items())
ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in ROLE_NAMES]
LOCALE_CHOICES = [("th", "ไทย"), ("en", "English")]

# Labels shared by the views (English msgids; Thai comes from the catalogue).
COMMON_LABELS = {
    "organisation": _l("Organisation"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
    "is_active": _l("Active"),
    "is_enabled": _l("Enabled"),
    "user": _l("Person"),
    "role": _l("Role"),
}


def _thai_datetime(view, context, model, name):
    return thaidate.format_datetime(getattr(model, name), locale_code())


def _labelled(labels: dict):
    def format_(view, context, model, name):
        value = getattr(model, name)
        return labels.get(value, value) if value else ""

    return format_


class OrganisationView(SecureModelView):
    """DLA admins add and edit organisations; everyone else reads those in their scope."""

    scope_column = "id"
    create_service = directory.create_organisation
    update_service = directory.update_organisation

    column_list = ("code", "kind", "lao_type", "name_th", "province", "district_name_th", "is_active")
    column_default_sort = "code"
    column_searchable_list = ("code", "name_th")
    column_filters = (
        FilterEqual(Organisation.kind, _l("Kind"), options=KIND_CHOICES),
        FilterEqual(Organisation.lao_type, _l("LAO type"), options=LAO_TYPE_CHOICES),
        FilterEqual(Organisation.province_code, _l("Province code")),
    )
    column_labels = {
        **COMMON_LABELS,
        "code": _l("Code"), "kind": _l("Kind"), "lao_type": _l("LAO type"),
        "name_th": _l("Name (Thai)"), "name_en": _l("Name (English)"), "province": _l("Province"),
        "district": _l("District"), "district_name_th": _l("District (as DLA spells it)"),
        "lat": _l("Latitude"), "lon": _l("Longitude"), "area_km2": _l("Area (km²)"),
    }
    column_formatters = {"kind": _labelled(KIND_LABELS), "lao_type": _labelled(LAO_TYPES)}
    column_formatters_detail = column_formatters
    form_columns = ("code", "kind", "lao_type", "name_th", "name_en", "province", "district",
                    "district_name_th", "lat", "lon", "area_km2", "is_active")
    form_choices = {"kind": form_choices(KIND_CHOICES), "lao_type": form_choices(LAO_TYPE_CHOICES)}

    def may_write(self) -> bool:
        return can_manage_organisations(current_user)


def _grants_in_scope(view, context, model, name):
    # A person's grants elsewhere would name organisations outside the reader's scope.
    return ", ".join(
        f"{ROLE_LABELS.get(g.role, g.role)} ({g.organisation.code})"
        for g in model.grants
        if can_read(current_user, g.organisation)
    )


def _manages_people() -> bool:
    return any(g.role in PEOPLE_MANAGING_ROLES for g in getattr(current_user, "grants", ()))


class UserView(SecureModelView):
    """People of the organisations in scope; their SSO admins and DLA admins edit them."""

    create_service = directory.create_user
    update_service = directory.update_user

    column_list = ("username", "full_name", "organisation", "position", "email", "is_enabled")
    column_details_list = ("username", "full_name", "organisation", "position", "email",
                           "is_enabled", "locale", "grants", "created_at")
    column_default_sort = "username"
    column_searchable_list = ("username", "full_name", "email")
    column_filters = (BooleanEqualFilter(User.is_enabled, _l("Enabled")),)
    column_labels = {
        **COMMON_LABELS,
        "username": _l("Username"), "full_name": _l("Full name"), "position": _l("Position"),
        "email": _l("E-mail"), "locale": _l("Language"), "grants": _l("Roles"),
    }
    column_formatters = {"created_at": _thai_datetime}
    column_formatters_detail = {**column_formatters, "grants": _grants_in_scope}
    form_columns = ("username", "full_name", "email", "position", "organisation", "is_enabled",
                    "locale", "password")
    form_choices = {"locale": form_choices(LOCALE_CHOICES)}
    # A new password, hashed by the service; the stored hash is never shown or sent back.
    form_extra_fields = {
        "password": PasswordField(_l("Set password"), validators=[Optional(), Length(min=8, max=200)]),
    }

    def may_write(self) -> bool:
        return _manages_people()

    def may_change(self, row) -> bool:
        return can_manage_people(current_user, row.organisation)


class RoleGrantView(SecureModelView):
    """Role grants held at organisations in scope; granted and withdrawn through the service."""

    create_service = directory.grant_role
    delete_service = directory.revoke_role

    column_list = ("user", "organisation", "role", "granted_at")
    column_default_sort = ("granted_at", True)
    column_filters = (FilterEqual(RoleGrant.role, _l("Role"), options=ROLE_CHOICES),)
    column_labels = {**COMMON_LABELS, "granted_at": _l("Granted")}
    column_formatters = {"role": _labelled(ROLE_LABELS), "granted_at": _thai_datetime}
    column_formatters_detail = column_formatters
    form_columns = ("user", "organisation", "role")
    form_choices = {"role": form_choices(ROLE_CHOICES)}

    def may_write(self) -> bool:
        return _manages_people()

    def may_change(self, row) -> bool:
        return can_manage_people(current_user, row.organisation)


class AuditView(SecureModelView):
    """The audit trail, read only: events of the organisations in scope."""

    can_create = False
    can_edit = False
    can_delete = False

    column_list = ("occurred_at", "chain", "seq", "actor", "organisation", "action",
                   "from_state", "to_state", "comment", "request_id")
    column_details_exclude_list = ("prev_hash",)
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(AuditEvent.action, _l("Action")),
        FilterEqual(AuditEvent.chain, _l("Chain")),
        FilterLike(AuditEvent.chain, _l("Chain")),
    )
    column_labels = {
        **COMMON_LABELS,
        "occurred_at": _l("Time"), "chain": _l("Chain"), "seq": _l("Seq."), "actor": _l("Actor"),
        "action": _l("Action"), "from_state": _l("From"), "to_state": _l("To"),
        "comment": _l("Comment"), "request_id": _l("Request ID"), "workflow": _l("Workflow"),
        "workflow_version": _l("Workflow version"), "data": _l("Data"), "hash": _l("Hash"),
    }
    column_formatters = {"occurred_at": _thai_datetime}
    column_formatters_detail = column_formatters


def _lazy(fn, *args) -> LazyString:
    return LazyString(fn, *args)


def _plan_definitions():
    return REGISTRY.versions(Plan.WORKFLOW)


def _state_label(state: str) -> str:
    return _plan_definitions()[-1].label(state, locale_code())


def _trigger_label(trigger: str) -> str:
    return _plan_definitions()[-1].trigger_label(trigger, locale_code())


class PlanView(SecureModelView):
    """Plans in scope, read only; workflow steps are bulk actions that call the engine."""

    can_create = False
    can_edit = False
    can_delete = False

    column_list = ("organisation", "title", "period_start_be", "period_end_be", "status",
                   "version", "updated_at")
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("title",)
    column_labels = {
        **COMMON_LABELS,
        "title": _l("Title"), "period_start_be": _l("From (B.E.)"), "period_end_be": _l("To (B.E.)"),
        "status": _l("Status"), "version": _l("Version"), "workflow_name": _l("Workflow"),
        "workflow_version": _l("Workflow version"),
    }
    column_formatters = {
        "status": lambda v, c, m, n: _state_label(m.status),
        "created_at": _thai_datetime,
        "updated_at": _thai_datetime,
    }
    column_formatters_detail = column_formatters

    def is_action_allowed(self, name: str) -> bool:
        trigger = name.removeprefix("fire_")
        if name.startswith("fire_") and trigger in BULK_TRIGGERS:
            # Offer only the steps one of the user's roles can ever take; the engine decides per row.
            mine = {g.role for g in getattr(current_user, "grants", ())}
            return bool(mine & BULK_TRIGGERS[trigger])
        return super().is_action_allowed(name)

    def fire_each(self, trigger: str, ids) -> None:
        """Fire ``trigger`` on every selected plan through the engine; report each outcome."""
        actor = acting_user()
        done, failed = 0, []
        for raw in ids:
            try:
                engine.fire(Plan.WORKFLOW, int(raw), trigger, actor)
                done += 1
            except (DomainError, ValueError) as exc:
                failed.append((raw, getattr(exc, "message", str(exc))))
        label = _trigger_label(trigger)
        if done:
            flash(ngettext("%(step)s: %(num)d plan done.", "%(step)s: %(num)d plans done.",
                           done, step=label), "success")
        for raw, reason in failed:
            flash(_("%(step)s: plan #%(id)s was not changed: %(reason)s",
                    step=label, id=raw, reason=reason), "error")


def _bulk_triggers() -> dict[str, frozenset[str]]:
    """Plan triggers for bulk use and the roles that may fire them.

    Steps that need a written reason or record facts (a meeting's date and resolution) are left
    to the plan's own page, where they are typed.
    """
    triggers: dict[str, set[str]] = {}
    needs_typing: set[str] = set()
    for definition in _plan_definitions():
        for spec in definition.transitions:
            triggers.setdefault(spec.trigger, set()).update(spec.roles)
            if spec.comment_required or spec.data_fields:
                needs_typing.add(spec.trigger)
    return {t: frozenset(r) for t, r in triggers.items() if t not in needs_typing}


BULK_TRIGGERS = _bulk_triggers()


def _add_trigger_action(view: type, trigger: str) -> None:
    def fire(self, ids):
        self.fire_each(trigger, ids)

    fire.__name__ = f"action_fire_{trigger}"
    decorated = action(
        f"fire_{trigger}", _lazy(_trigger_label, trigger),
        _l("Apply this step to every selected plan?"),
    )(fire)
    setattr(view, fire.__name__, decorated)


for _trigger in BULK_TRIGGERS:
    _add_trigger_action(PlanView, _trigger)


class OutboxView(SecureModelView):
    """Side effects waiting for or handed to the job queue; for DLA admins only."""

    scope_column = None
    can_create = False
    can_edit = False
    can_delete = False

    column_list = ("id", "created_at", "queue", "job", "state", "attempts", "relayed_at",
                   "last_error")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(OutboxMessage.state, _l("State"),
                                  options=[("pending", _l("Pending")), ("relayed", _l("Relayed"))]),)
    column_labels = {
        "created_at": _l("Created"), "queue": _l("Queue"), "job": _l("Job"), "state": _l("State"),
        "attempts": _l("Attempts"), "relayed_at": _l("Relayed"), "last_error": _l("Last error"),
        "kwargs": _l("Arguments"), "job_id": _l("Job ID"),
    }
    column_formatters = {"created_at": _thai_datetime, "relayed_at": _thai_datetime}
    column_formatters_detail = column_formatters

    def is_accessible(self) -> bool:
        return super().is_accessible() and can_manage_organisations(current_user)


class EmailMessageView(SecureModelView):
    """The email outbox (confirmation links, notices); for DLA admins only, read-only."""

    scope_column = None
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True

    column_list = ("id", "created_at", "to", "subject", "status", "attempts", "sent_at", "last_error")
    column_details_list = (*column_list, "body")
    column_default_sort = ("id", True)
    column_searchable_list = ("subject",)
    column_labels = {
        "created_at": _l("Created"), "to": _l("To"), "subject": _l("Subject"), "status": _l("State"),
        "attempts": _l("Attempts"), "sent_at": _l("Sent"), "last_error": _l("Last error"), "body": _l("Body"),
    }
    column_formatters = {"created_at": _thai_datetime, "sent_at": _thai_datetime}
    column_formatters_detail = column_formatters

    def is_accessible(self) -> bool:
        return super().is_accessible() and can_manage_organisations(current_user)


__all__ = [
    "EmailMessageView",
    "AuditView", "OrganisationView", "OutboxView", "PlanView", "RoleGrantView", "UserView",
]
