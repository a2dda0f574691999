"""Back-office lists of SSO accounts and system-access requests, with bulk decisions.

Rows are scoped by ``SecureModelView.scope`` (an LAO's SSO admin sees their LAO, a provincial officer
their province, DLA everything). Bulk approve and reject call ``services.approvals.decide_many``,
which refuses without a recent re-authentication and asks the engine about each row, so the chain
of trust decides exactly as on the approval pages. A rejection asks for its reason on a small form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from admin.base import SecureModelView, acting_user
from eplan_flow import messages, thaidate
from eplan_flow.errors import DomainError
from eplan_flow.extensions import db
from eplan_flow.glossary import ROLE_LABELS
from eplan_flow.i18n import locale_code, system_name
from eplan_flow.models import Account, SystemAccess
from eplan_flow.services.identity import approvals, citizen_id, identity, thai_names
from eplan_flow.sso.session import recent_auth_time
from workflows import REGISTRY

# Who decides: the approvers of the chain of trust (the engine checks each row again).
APPROVER_ROLES = frozenset({"sso_admin", "provincial_officer", "dla_admin"})


def _state(view, context, model, name):
    return REGISTRY.get(model.WORKFLOW, model.workflow_version).label(model.status, locale_code())


def _datetime(view, context, model, name):
    return thaidate.format_datetime(getattr(model, name), locale_code())


def _date(value) -> str:
    return thaidate.format_date(value, locale_code()) if value else ""


def _thaid_name(view, context, model, name):
    """ThaiD's name beside the typed one, marked when they differ."""
    if not model.thaid_name:
        return ""
    check = thai_names.compare_recorded(model)
    if check is not None and not (check.name_matches and check.title_matches):
        return Markup("{} <strong>({})</strong>").format(model.thaid_name, _("differs from the name typed"))
    return model.thaid_name


def _masked_citizen_id(view, context, model, name):
    return citizen_id.masked_for(model.user) if model.user else ""


def _is_approver() -> bool:
    return any(g.role in APPROVER_ROLES for g in getattr(current_user, "grants", ()))


def _reauth_link(back: str) -> Markup:
    href = f"/sso/reauth?{urlencode({'next': back})}"
    return Markup('<a href="{}">{}</a>').format(href, _("Re-authenticate"))


class DecisionView(SecureModelView):
    """A read-only list whose bulk actions are approval decisions through the service."""

    kind: str = ""
    can_create = False
    can_edit = False
    can_delete = False
    column_default_sort = ("id", True)
    column_formatters = {"status": _state, "citizen_id": _masked_citizen_id}
    column_formatters_detail = column_formatters

    def is_action_allowed(self, name: str) -> bool:
        if name in ("approve", "reject"):
            return _is_approver()
        return super().is_action_allowed(name)

    def decide(self, ids, decision: str, comment: str | None = None):
        """Apply ``decision`` to each selected row; flash each outcome."""
        back = self.get_url(".index_view")
        try:
            results = approvals.decide_many(
                acting_user(), self.kind, ids, decision, recent_auth_time(), comment
            )
        except DomainError as exc:
            if exc.code == "reauthentication_required":
                flash(
                    Markup("{} {}").format(
                        _("Approvals need a recent sign-in. Confirm your password again, then repeat."),
                        _reauth_link(back),
                    ),
                    "error",
                )
            else:
                flash(messages.message_for(exc, "approval"), "error")
            return redirect(back)
        done = sum(1 for r in results if r.ok)
        if done:
            flash(ngettext("%(num)d item decided.", "%(num)d items decided.", done), "success")
        for result in results:
            if not result.ok:
                flash(
                    _(
                        "Item #%(id)s was not changed: %(reason)s",
                        id=result.id,
                        reason=messages.message_for_code(
                            result.code or "",
                            "approval",
                            default=_("this decision is not possible for the item now"),
                        ),
                    ),
                    "error",
                )
        return redirect(back)

    @action("approve", _l("Approve"), _l("Approve every selected item?"))
    def action_approve(self, ids):
        return self.decide(ids, "approve")

    @action("reject", _l("Reject"))
    def action_reject(self, ids):
        # The reason is typed on its own small form, then posted to ``reject_view``.
        return self.render(
            "admin/sso_reject.html",
            ids=ids,
            action_url=self.get_url(".reject_view"),
            back=self.get_url(".index_view"),
        )

    @expose("/reject/", methods=["POST"])
    def reject_view(self):
        if not _is_approver():
            abort(403)
        return self.decide(request.form.getlist("rowid"), "reject", request.form.get("comment"))


class AccountView(DecisionView):
    """SSO accounts of the organisations in scope, with bulk approve/reject and unlock."""

    kind = "account"
    column_list = (
        "user",
        "thaid_name",
        "citizen_id",
        "organisation",
        "requested_role",
        "status",
        "submitted_at",
        "escalated_at",
        "updated_at",
    )
    column_details_list = (
        "user",
        "thaid_name",
        "birth_date",
        "thaid_birthdate",
        "thaid_checked_at",
        "citizen_id",
        "organisation",
        "requested_role",
        "status",
        "rejection_reason",
        "verification_error",
        "submitted_at",
        "escalated_at",
        "created_at",
        "updated_at",
    )
    column_filters = (
        FilterEqual(
            Account.status,
            _l("Status"),
            options=[
                ("awaiting_approval", _l("Awaiting approval")),
                ("active", _l("Active")),
                ("rejected", _l("Rejected")),
                ("suspended", _l("Suspended")),
            ],
        ),
    )
    column_labels = {
        "user": _l("Person"),
        "citizen_id": _l("Citizen ID"),
        "organisation": _l("Organisation"),
        "requested_role": _l("Asks to be"),
        "status": _l("Status"),
        "submitted_at": _l("Submitted"),
        "escalated_at": _l("Escalated"),
        "updated_at": _l("Updated"),
        "created_at": _l("Created"),
        "rejection_reason": _l("Reason for rejecting"),
        "verification_error": _l("ThaiD verification problem"),
        "thaid_name": _l("Name according to ThaiD"),
        "birth_date": _l("Birth date"),
        "thaid_birthdate": _l("Birth date according to ThaiD"),
        "thaid_checked_at": _l("Checked with ThaiD"),
    }
    column_formatters = {
        **DecisionView.column_formatters,
        "submitted_at": _datetime,
        "escalated_at": _datetime,
        "updated_at": _datetime,
        "created_at": _datetime,
        "thaid_checked_at": _datetime,
        "thaid_name": _thaid_name,
        "birth_date": lambda v, c, m, n: _date(m.user.birth_date if m.user else None),
        "thaid_birthdate": lambda v, c, m, n: _date(m.thaid_birthdate),
        "verification_error": lambda v, c, m, n: _(m.verification_error) if m.verification_error else "",
        "requested_role": lambda v, c, m, n: (
            _l("SSO admin") if m.requested_role == "sso_admin" else _l("Member")
        ),
    }
    column_formatters_detail = column_formatters

    def is_action_allowed(self, name: str) -> bool:
        if name == "unlock":
            return _is_approver()
        return super().is_action_allowed(name)

    @action("unlock", _l("Unlock sign-in"), _l("Unlock the sign-in of every selected person?"))
    def action_unlock(self, ids):
        done = 0
        for raw in ids:
            account = self.get_one(raw)
            if account is None:
                continue
            try:
                identity.unlock(acting_user(), account.user_id)
                done += 1
            except DomainError as exc:
                flash(
                    _("Item #%(id)s was not changed: %(reason)s", id=raw, reason=messages.message_for(exc)),
                    "error",
                )
        if done:
            flash(ngettext("%(num)d person unlocked.", "%(num)d people unlocked.", done), "success")
        return redirect(self.get_url(".index_view"))


class SystemAccessView(DecisionView):
    """Requests for and grants of system access in scope, with bulk approve/reject."""

    kind = "access"
    column_list = (
        "user",
        "citizen_id",
        "client_id",
        "role",
        "organisation",
        "status",
        "requested_at",
        "decided_at",
        "escalated_at",
    )
    column_filters = (
        FilterEqual(
            SystemAccess.status,
            _l("Status"),
            options=[
                ("requested", _l("Requested")),
                ("approved", _l("Approved")),
                ("rejected", _l("Rejected")),
                ("revoked", _l("Revoked")),
                ("withdrawn", _l("Withdrawn")),
                ("ended", _l("Ended by a transfer")),
            ],
        ),
        FilterEqual(SystemAccess.client_id, _l("System")),
    )
    column_labels = {
        "user": _l("Person"),
        "citizen_id": _l("Citizen ID"),
        "client_id": _l("System"),
        "role": _l("Role"),
        "organisation": _l("Organisation"),
        "status": _l("Status"),
        "requested_at": _l("Requested"),
        "decided_at": _l("Decided"),
        "escalated_at": _l("Escalated"),
        "reason": _l("Reason"),
        "updated_at": _l("Updated"),
    }
    column_formatters = {
        **DecisionView.column_formatters,
        "role": lambda v, c, m, n: ROLE_LABELS.get(m.role, m.role),
        "client_id": lambda v, c, m, n: system_name(m.client_id),
        "requested_at": _datetime,
        "decided_at": _datetime,
        "escalated_at": _datetime,
        "updated_at": _datetime,
    }
    column_formatters_detail = column_formatters


def register(admin_site) -> None:
    """Add this module's views to the back office."""
    category = _l("Single Sign-On")
    admin_site.add_view(
        AccountView(
            Account,
            db,
            name=_l("SSO accounts"),
            endpoint="admin_sso_accounts",
            url="sso_accounts",
            category=category,
        )
    )
    admin_site.add_view(
        SystemAccessView(
            SystemAccess,
            db,
            name=_l("System access"),
            endpoint="admin_system_access",
            url="system_access",
            category=category,
        )
    )
