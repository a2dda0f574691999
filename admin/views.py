"""The back-office views: configuration on top of ``SecureModelView``."""

from __future__ import annotations

from flask import flash, redirect
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, FilterEqual, FilterLike
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin.base import PEOPLE_MANAGING_ROLES, SecureModelView, acting_user, form_choices
from eplan_flow import messages, thaidate
from eplan_flow.collation import thai_collated
from eplan_flow.errors import DomainError
from eplan_flow.glossary import KIND_LABELS, ROLE_LABELS
from eplan_flow.i18n import action_label, locale_code, state_label
from eplan_flow.models import (
    LAO_TYPES,
    ORG_KINDS,
    AuditEvent,
    Organisation,
    OutboxMessage,
    Plan,
    RoleGrant,
    User,
)
from eplan_flow.permissions import (
    SIGN_IN_HELPER_ROLES,
    can_manage_organisations,
    can_manage_people,
    can_read,
)
from eplan_flow.services.directory import organisations as directory
from eplan_flow.services.identity import password_reset
from eplan_flow.services.platform import engine
from workflows import REGISTRY, UnknownWorkflow
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
    # Thai names in Thai order (ไคสี among the ค, not after ห).
    column_sortable_list = (
        "code",
        "kind",
        "lao_type",
        ("name_th", thai_collated(Organisation.name_th)),
        ("district_name_th", thai_collated(Organisation.district_name_th)),
        "is_active",
    )
    column_searchable_list = ("code", "name_th")
    column_filters = (
        FilterEqual(Organisation.kind, _l("Kind of organisation"), options=KIND_CHOICES),
        FilterEqual(Organisation.lao_type, _l("LAO type"), options=LAO_TYPE_CHOICES),
        FilterEqual(Organisation.province_code, _l("Province code")),
    )
    column_labels = {
        **COMMON_LABELS,
        "code": _l("Code"),
        "kind": _l("Kind of organisation"),
        "lao_type": _l("LAO type"),
        "name_th": _l("Name (Thai)"),
        "name_en": _l("Name (English)"),
        "province": _l("Province"),
        "district": _l("District"),
        "district_name_th": _l("District (as DLA spells it)"),
        "lat": _l("Latitude"),
        "lon": _l("Longitude"),
        "area_km2": _l("Area (km²)"),
    }
    column_formatters = {"kind": _labelled(KIND_LABELS), "lao_type": _labelled(LAO_TYPES)}
    column_formatters_detail = column_formatters
    form_columns = (
        "code",
        "kind",
        "lao_type",
        "name_th",
        "name_en",
        "province",
        "district",
        "district_name_th",
        "lat",
        "lon",
        "area_km2",
        "is_active",
    )
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


def _helps_with_sign_in() -> bool:
    return any(g.role in SIGN_IN_HELPER_ROLES for g in getattr(current_user, "grants", ()))


class UserView(SecureModelView):
    """People of the organisations in scope; their SSO admins and DLA admins edit them.

    Nobody sees or sets a password here, nor the email address a reset link goes to: the people
    who help with sign-in send a reset link to the person's own confirmed address instead.
    """

    create_service = directory.create_user
    update_service = directory.update_user

    column_list = ("username", "full_name", "organisation", "position", "email", "is_enabled")
    column_details_list = (
        "username",
        "full_name",
        "organisation",
        "position",
        "email",
        "is_enabled",
        "locale",
        "grants",
        "created_at",
    )
    column_default_sort = "username"
    column_sortable_list = (
        "username",
        ("full_name", thai_collated(User.full_name)),
        "position",
        "email",
        "is_enabled",
    )
    column_searchable_list = ("username", "full_name", "email")
    column_filters = (BooleanEqualFilter(User.is_enabled, _l("Enabled")),)
    column_labels = {
        **COMMON_LABELS,
        "username": _l("Username"),
        "full_name": _l("Full name"),
        "position": _l("Position"),
        "email": _l("E-mail"),
        "locale": _l("Language"),
        "grants": _l("Roles"),
    }
    column_formatters = {"created_at": _thai_datetime}
    column_formatters_detail = {**column_formatters, "grants": _grants_in_scope}
    form_columns = ("username", "full_name", "position", "organisation", "is_enabled", "locale")
    form_choices = {"locale": form_choices(LOCALE_CHOICES)}

    def may_write(self) -> bool:
        return _manages_people()

    def may_change(self, row) -> bool:
        return can_manage_people(current_user, row.organisation)

    def is_action_allowed(self, name: str) -> bool:
        if name == "send_password_reset":
            return _helps_with_sign_in()
        return super().is_action_allowed(name)

    @action(
        "send_password_reset",
        _l("Send a password-reset link"),
        _l("Send each selected person a link to set a new password, to their own confirmed email address?"),
    )
    def action_send_password_reset(self, ids):
        done = 0
        for raw in ids:
            person = self.get_one(raw)
            try:
                if person is None:
                    raise ValueError(raw)
                password_reset.send_reset_link(acting_user(), person.id)
                done += 1
            except password_reset.NoConfirmedEmail:
                flash(
                    _(
                        "No link was sent to %(name)s: the account has no confirmed email address, or is "
                        "disabled.",
                        name=person.full_name,
                    ),
                    "error",
                )
            except (DomainError, ValueError):
                flash(_("Person #%(id)s: no link was sent.", id=raw), "error")
        if done:
            flash(
                ngettext(
                    "A link to set a new password was sent to %(num)d person's confirmed address.",
                    "Links to set a new password were sent to %(num)d people's confirmed addresses.",
                    done,
                ),
                "success",
            )
        return redirect(self.get_url(".index_view"))


GRANT_SOURCE_LABELS = {
    "local": _l("Set up by the system"),
    "sso": _l("Approved SSO account"),
    "claims": _l("Approved system access"),
}


class RoleGrantView(SecureModelView):
    """Role grants held at organisations in scope, read only.

    A role is granted only by approving the person's own request in the SSO's account or access
    workflow (Single Sign-On → System access, or the approval pages), which refuses a grant to
    oneself or above the approver's rights and needs a recent re-authentication; it is withdrawn
    by revoking that access or suspending the account. Nothing here writes a grant.
    """

    can_create = False
    can_edit = False
    can_delete = False

    column_list = ("user", "organisation", "role", "source", "granted_at")
    column_default_sort = ("granted_at", True)
    column_filters = (FilterEqual(RoleGrant.role, _l("Role"), options=ROLE_CHOICES),)
    column_labels = {**COMMON_LABELS, "granted_at": _l("Granted"), "source": _l("Granted through")}
    column_formatters = {
        "role": _labelled(ROLE_LABELS),
        "granted_at": _thai_datetime,
        "source": _labelled(GRANT_SOURCE_LABELS),
    }
    column_formatters_detail = column_formatters


class AuditView(SecureModelView):
    """The audit trail, read only: events of the organisations in scope."""

    can_create = False
    can_edit = False
    can_delete = False

    column_list = (
        "occurred_at",
        "chain",
        "seq",
        "actor",
        "organisation",
        "action",
        "from_state",
        "to_state",
        "comment",
        "request_id",
    )
    column_details_exclude_list = ("prev_hash",)
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(AuditEvent.action, _l("Action")),
        FilterEqual(AuditEvent.chain, _l("Chain")),
        FilterLike(AuditEvent.chain, _l("Chain")),
    )
    column_labels = {
        **COMMON_LABELS,
        "occurred_at": _l("Time"),
        "chain": _l("Chain"),
        "seq": _l("Seq."),
        "actor": _l("Actor"),
        "action": _l("Action"),
        "from_state": _l("From"),
        "to_state": _l("To"),
        "comment": _l("Comment"),
        "request_id": _l("Request ID"),
        "hash_version": _l("Hash version"),
        "workflow": _l("Workflow"),
        "workflow_version": _l("Workflow version"),
        "data": _l("Data"),
        "hash": _l("Hash"),
    }
    column_formatters = {
        "occurred_at": _thai_datetime,
        "chain": lambda v, c, m, n: _chain_label(m.chain),
        "action": lambda v, c, m, n: action_label(m.action, _event_definition(m)),
        "from_state": lambda v, c, m, n: state_label(m.from_state, _event_definition(m)),
        "to_state": lambda v, c, m, n: state_label(m.to_state, _event_definition(m)),
        "workflow": lambda v, c, m, n: (
            _event_definition(m).title(locale_code()) if _event_definition(m) else ""
        ),
    }
    column_formatters_detail = column_formatters


# What each audit chain is about, by the chain's prefix (a workflow's chain is named by its title).
CHAIN_LABELS = {
    "plan-content": _l("Plan content"),
    "revision-content": _l("Revision content"),
    "revision-numbering": _l("Numbering of revisions"),
    "review-content": _l("Review content"),
    "execution-content": _l("Project money"),
    "evaluation-content": _l("Evaluation report text"),
    "actuals": _l("Year-end actuals"),
    "auth": _l("Sign-ins"),
    "user": _l("Person"),
    "organisation": _l("Organisation"),
    "catalogue-item": _l("Catalogue item"),
    "oidc_client": _l("Connected system"),
    "jobs": _l("Background jobs"),
    "import": _l("Import"),
    "oidc": _l("Token signing keys"),
    "platform": _l("Data encryption keys"),
}


def _event_definition(event):
    """The workflow definition an audit event was written under, if any."""
    if not event.workflow:
        return None
    try:
        return REGISTRY.get(event.workflow, event.workflow_version)
    except UnknownWorkflow:
        return None


def _chain_label(chain: str) -> str:
    """A chain as people read it: what it is about, then its key ("แผนพัฒนาท้องถิ่น 12")."""
    prefix, _, key = chain.partition(":")
    label = CHAIN_LABELS.get(prefix)
    if label is None:
        try:
            label = REGISTRY.get(prefix).title(locale_code())
        except UnknownWorkflow:
            return chain
    # A row's number says which one; other keys (a client id, a queue) are codes, left out.
    return f"{label} {key}" if key.isdigit() else str(label)


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

    column_list = (
        "organisation",
        "title",
        "period_start_be",
        "period_end_be",
        "status",
        "version",
        "updated_at",
    )
    column_default_sort = ("updated_at", True)
    column_searchable_list = ("title",)
    column_labels = {
        **COMMON_LABELS,
        "title": _l("Title"),
        "period_start_be": _l("From (B.E.)"),
        "period_end_be": _l("To (B.E.)"),
        "status": _l("Status"),
        "version": _l("Version"),
        "workflow_name": _l("Workflow"),
        "workflow_version": _l("Workflow version"),
        "current_version": _l("Version in force"),
        "submitted_at": _l("Submitted to the district and province"),
        "announced_at": _l("Announced"),
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
            except DomainError as exc:
                failed.append((raw, messages.message_for(exc, "step")))
            except ValueError:
                failed.append((raw, messages.message_for_code("invalid_input")))
        label = _trigger_label(trigger)
        if done:
            flash(
                ngettext("%(step)s: %(num)d plan done.", "%(step)s: %(num)d plans done.", done, step=label),
                "success",
            )
        for raw, reason in failed:
            flash(
                _("%(step)s: plan #%(id)s was not changed: %(reason)s", step=label, id=raw, reason=reason),
                "error",
            )


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
        f"fire_{trigger}",
        _lazy(_trigger_label, trigger),
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

    column_list = ("id", "created_at", "queue", "job", "state", "attempts", "relayed_at", "last_error")
    column_default_sort = ("id", True)
    column_filters = (
        FilterEqual(
            OutboxMessage.state, _l("State"), options=[("pending", _l("Pending")), ("relayed", _l("Relayed"))]
        ),
    )
    column_labels = {
        "created_at": _l("Created"),
        "queue": _l("Queue"),
        "job": _l("Job"),
        "state": _l("State"),
        "attempts": _l("Attempts"),
        "relayed_at": _l("Relayed"),
        "last_error": _l("Last error"),
        "kwargs": _l("Arguments"),
        "job_id": _l("Job ID"),
    }
    column_formatters = {"created_at": _thai_datetime, "relayed_at": _thai_datetime}
    column_formatters_detail = column_formatters

    def is_accessible(self) -> bool:
        return super().is_accessible() and can_manage_organisations(current_user)


# What each delivery state means to a reader (``eplan_flow.models.mail.EMAIL_STATES``).
EMAIL_STATE_LABELS = {
    "queued": _l("Waiting to be sent"),
    "sent": _l("Sent to the mail server"),
    "kept": _l("Kept here only (no mail server is configured)"),
}


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
        "created_at": _l("Created"),
        "to": _l("To"),
        "subject": _l("Subject"),
        "status": _l("State"),
        "attempts": _l("Attempts"),
        "sent_at": _l("Sent"),
        "last_error": _l("Last error"),
        "body": _l("Body"),
    }
    column_formatters = {
        "created_at": _thai_datetime,
        "sent_at": _thai_datetime,
        "status": _labelled(EMAIL_STATE_LABELS),
    }
    # A reset link read here would let the reader set someone's password: it is cut short.
    column_formatters_detail = {
        **column_formatters,
        "body": lambda v, c, m, n: password_reset.redact_links(m.body),
    }

    def is_accessible(self) -> bool:
        return super().is_accessible() and can_manage_organisations(current_user)


__all__ = [
    "AuditView",
    "EmailMessageView",
    "OrganisationView",
    "OutboxView",
    "PlanView",
    "RoleGrantView",
    "UserView",
]
