"""SSO approvals: decide on accounts and system access, transfers, and escalation of waiting requests.

Every state change goes through ``engine.fire``; the chain of trust (who approves whom) is rule data
of ACCOUNT_V1 read by the engine's guards. An approval-type step (approve, reject, suspend, reinstate,
revoke) needs a proof of identity within REAUTH_MAX_AGE: the views pass
``eplan_flow.sso.session.recent_auth_time()``. Inside a web request such a step is refused unless it
comes through this module, so the generic workflow page and the API cannot skip the re-authentication.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar, cast

from flask import current_app, has_request_context
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from eplan_flow.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReauthenticationRequired,
)
from eplan_flow.extensions import db
from eplan_flow.models import (
    Account,
    AuditEvent,
    Notification,
    OAuth2Client,
    Organisation,
    RoleGrant,
    SystemAccess,
    User,
)
from eplan_flow.models._types import utcnow
from eplan_flow.permissions import can_read, grant_approver, may_grant, visible_org_clause
from eplan_flow.services.identity import sessions
from eplan_flow.services.platform import engine, mail, outbox
from eplan_flow.services.platform.unit_of_work import transaction
from eplan_flow.text import clean_text
from eplan_flow.thaidate import to_local
from workflows.account import ACCOUNT_V1
from workflows.calendar import working_days_between
from workflows.roles import ROLE_NAMES

ACCOUNT = Account.WORKFLOW
ACCESS = SystemAccess.WORKFLOW
# Roles an approved account brings (the chain of trust), never asked for as a system's role.
SSO_ROLES = frozenset(ACCOUNT_V1["rules"]["grants_on_activation"].values())
# Grants that come from the SSO: its own roles and the e-Plan roles copied from token claims.
SSO_GRANT_SOURCES = ("sso", "claims")

ACCOUNT_DECISIONS = ("approve", "reject", "suspend", "reinstate")
ACCESS_DECISIONS = ("approve", "reject", "revoke")
# The states only an approver's decision enters (the re-authentication applies to them).
DECISION_STATES = {ACCOUNT: ("active", "rejected", "suspended"), ACCESS: ("approved", "rejected", "revoked")}
WAITING_STATE = {ACCOUNT: "awaiting_approval", ACCESS: "requested"}


# -- re-authentication -----------------------------------------------------------------------------
_REAUTHENTICATED: ContextVar[bool] = ContextVar("approval_reauthenticated", default=False)


def require_recent_auth(auth_time) -> None:
    """Refuse unless ``auth_time`` (epoch seconds or an aware datetime) is within REAUTH_MAX_AGE."""
    if isinstance(auth_time, datetime):
        auth_time = auth_time.timestamp()
    max_age = current_app.config["REAUTH_MAX_AGE"]
    now = time.time()
    # A time in the future is as suspect as an old one (clock skew of a minute is tolerated).
    if auth_time is None or not (now - max_age <= float(auth_time) <= now + 60):
        raise ReauthenticationRequired(
            "approvals need a re-authentication within the last few minutes",
            max_age=max_age,
        )


@contextmanager
def _reauthenticated(auth_time):
    require_recent_auth(auth_time)
    token = _REAUTHENTICATED.set(True)
    try:
        yield
    finally:
        _REAUTHENTICATED.reset(token)


@engine.entry_action
def _decision_came_through_here(instance, actor, from_state, to_state, data) -> None:
    if has_request_context() and not _REAUTHENTICATED.get():
        raise ReauthenticationRequired(
            "approval steps are taken on the approvals pages, which ask for a recent re-authentication"
        )


# -- account decisions -----------------------------------------------------------------------------
def _fire_decision(
    actor,
    workflow,
    instance_id,
    trigger,
    auth_time,
    comment,
    *,
    expected_version=None,
    reason_column: str | None = None,
) -> engine.FireResult:
    """Fire an approver's step after the re-authentication check; with ``reason_column`` the
    step's reason is also kept on the row (the person reads it), in the same transaction."""
    with _reauthenticated(auth_time), transaction():
        result = engine.fire(
            workflow, instance_id, trigger, actor, comment=comment, expected_version=expected_version
        )
        if reason_column is not None:
            table = engine.model_for(workflow).__table__
            # A plain UPDATE: the step already moved the version, and the reason is part of it.
            db.session.execute(
                update(table)
                .where(table.c.id == instance_id)
                .values({reason_column: clean_text(comment, field="comment", multiline=True)})
            )
    return result


def approve_account(
    actor, account_id: int, *, auth_time, comment: str | None = None, expected_version: int | None = None
) -> engine.FireResult:
    """Approve a waiting account; an SSO admin's account gets its admin role."""
    return _fire_decision(
        actor, ACCOUNT, account_id, "approve", auth_time, comment, expected_version=expected_version
    )


def reject_account(
    actor, account_id: int, *, auth_time, comment: str | None = None, expected_version: int | None = None
) -> engine.FireResult:
    """Reject a waiting account with a reason the person reads (they may fix and re-apply)."""
    return _fire_decision(
        actor,
        ACCOUNT,
        account_id,
        "reject",
        auth_time,
        comment,
        expected_version=expected_version,
        reason_column="rejection_reason",
    )


def suspend_account(
    actor, account_id: int, *, auth_time, comment: str | None = None, expected_version: int | None = None
) -> engine.FireResult:
    """Suspend an active account: its SSO roles and system access stop at once."""
    return _fire_decision(
        actor, ACCOUNT, account_id, "suspend", auth_time, comment, expected_version=expected_version
    )


def reinstate_account(
    actor, account_id: int, *, auth_time, comment: str | None = None, expected_version: int | None = None
) -> engine.FireResult:
    """Reinstate a suspended account."""
    return _fire_decision(
        actor, ACCOUNT, account_id, "reinstate", auth_time, comment, expected_version=expected_version
    )


_Row = TypeVar("_Row")


def _existing(model: type[_Row], row_id: int) -> _Row:
    """The row a foreign key points at: there, unless deleted meanwhile (then NotFound)."""
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(f"{model.__name__} #{row_id} not found", id=row_id)
    return row


@engine.entry_action
def _grant_sso_role(account: Account, actor, from_state, to_state, data) -> None:
    engine.write_columns(account, rejection_reason=None)
    org = _existing(Organisation, account.organisation_id)
    role = ACCOUNT_V1["rules"]["grants_on_activation"].get(f"{org.kind}:{account.requested_role}")
    if role is None:
        return
    # The workflow's guards name the approver; the grant itself is held to the same rule here,
    # so no path through the engine hands out a role its actor may not grant.
    _require_may_grant(actor, role, org, account.user)
    held = db.session.execute(
        select(RoleGrant.id).where(
            RoleGrant.user_id == account.user_id,
            RoleGrant.organisation_id == org.id,
            RoleGrant.role == role,
        )
    ).first()
    if held is None:
        db.session.add(
            RoleGrant(
                user_id=account.user_id,
                organisation_id=org.id,
                role=role,
                source="sso",
                granted_by_id=getattr(actor, "id", None),
            )
        )


def _require_may_grant(actor, role: str, org: Organisation, person: User) -> None:
    if not may_grant(actor, role, org, person):
        raise PermissionDenied(
            f"you may not grant the role {role} at {org.code} to this person",
            roles=[r for r in (grant_approver(role, org.kind),) if r],
            reason="grant_not_allowed",
        )


@engine.entry_action
def _end_sso_grants(account: Account, actor, from_state, to_state, data) -> None:
    # The approved accesses stay on record; claims come only from active accounts, and the e-Plan
    # copies of those roles go now rather than at the next token refresh.
    db.session.execute(
        delete(RoleGrant)
        .where(RoleGrant.user_id == account.user_id, RoleGrant.source.in_(SSO_GRANT_SOURCES))
        .execution_options(synchronize_session=False)
    )
    db.session.expire(account.user, ["grants"])


@engine.entry_action
def _end_sessions_of_suspended(account: Account, actor, from_state, to_state, data) -> None:
    # Every copy of every sign-in ends with the decision, not at the next token refresh.
    sessions.end_all_sessions(account.user_id, "account_suspended")


@engine.entry_action
def _start_waiting(account: Account, actor, from_state, to_state, data) -> None:
    # A new round of waiting: escalation counts from now and may happen again.
    engine.write_columns(account, submitted_at=utcnow(), escalated_at=None)
    if from_state == "active":
        _move_to(account, (data or {}).get("to_organisation"))


def _move_to(account: Account, code: str | None) -> None:
    """The transfer's entry action: the account and the person move; rights at the old one end."""
    new_org = db.session.execute(
        select(Organisation).where(
            Organisation.code == (code or "").strip(), Organisation.is_active.is_(True)
        )
    ).scalar_one_or_none()
    if new_org is None:
        raise InvalidInput("no active organisation has that code", field="to_organisation")
    old_org_id = account.organisation_id
    if new_org.id == old_org_id:
        raise InvalidInput("the account already belongs to that organisation", field="to_organisation")
    db.session.execute(
        delete(RoleGrant)
        .where(RoleGrant.user_id == account.user_id, RoleGrant.organisation_id == old_org_id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(User)
        .where(User.id == account.user_id)
        .values(organisation_id=new_org.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(account.user)
    engine.write_columns(account, organisation_id=new_org.id, rejection_reason=None)


def transfer_account(actor, account_id: int, to_org_code: str) -> engine.FireResult:
    """Move the person's active account to another organisation: their access at the old one ends
    and the account waits for approval at the new one, all in one transaction."""
    message_ids: list[int] = []
    with transaction():
        account = engine.get_instance(ACCOUNT, account_id, actor)
        if not engine.is_applicant(actor, account):
            raise PermissionDenied("only the person themself asks for a transfer", roles=["applicant"])
        user_id, old_org_id = account.user_id, account.organisation_id
        open_ids = (
            db.session.execute(
                select(SystemAccess.id)
                .where(
                    SystemAccess.user_id == user_id,
                    SystemAccess.organisation_id == old_org_id,
                    SystemAccess.status.in_(("approved", "requested")),
                )
                .order_by(SystemAccess.id)
            )
            .scalars()
            .all()
        )
        for access_id in open_ids:
            ended = engine.fire(
                ACCESS, access_id, "end_by_transfer", actor, data={"to_organisation": to_org_code}
            )
            message_ids += ended.message_ids
        result = engine.fire(ACCOUNT, account_id, "transfer", actor, data={"to_organisation": to_org_code})
        message_ids += result.message_ids
    result.message_ids = message_ids
    return result


# -- system access ---------------------------------------------------------------------------------
def client_roles(client_id: str) -> frozenset[str]:
    """The roles a person may ask for in ``client_id``: its allowed roles, never an SSO role."""
    client = db.session.execute(
        select(OAuth2Client).where(OAuth2Client.client_id == client_id, OAuth2Client.is_active.is_(True))
    ).scalar_one_or_none()
    if client is None:
        raise InvalidInput("no active system has that client id", field="client_id")
    # The claims carry only the client's allowed roles, so nothing else is worth asking for.
    return frozenset(set(client.allowed_roles or ()) - SSO_ROLES)


def requestable_systems() -> list[tuple[OAuth2Client, list[str]]]:
    """Active systems and the roles one may ask for in each, for the request form."""
    clients = (
        db.session.execute(
            select(OAuth2Client).where(OAuth2Client.is_active.is_(True)).order_by(OAuth2Client.name)
        )
        .scalars()
        .all()
    )
    return [(c, [r for r in ROLE_NAMES if r in client_roles(c.client_id)]) for c in clients]


def active_account_of(user_id: int) -> Account | None:
    return db.session.execute(
        select(Account).where(Account.user_id == user_id, Account.status == "active")
    ).scalar_one_or_none()


def _duplicate_request(exc: IntegrityError) -> InvalidInput:
    return InvalidInput(
        "that access is already asked for or granted", field="role", reason="duplicate_request"
    )


def request_access(actor, user, client_id: str, role: str) -> SystemAccess:
    """Ask for ``role`` in system ``client_id`` at the person's organisation (active accounts only)."""
    with transaction(conflict=_duplicate_request):
        if getattr(actor, "id", None) != user.id:
            raise PermissionDenied("people ask for access for themselves", roles=["applicant"])
        account = active_account_of(user.id)
        if account is None:
            raise InvalidInput("only an active account may ask for a system", field="account")
        role = (role or "").strip()
        if role not in client_roles((client_id or "").strip()):
            raise InvalidInput("that role cannot be asked for in this system", field="role")
        if grant_approver(role, account.organisation.kind) is None:
            # Nobody may grant it there (an LAO's staff role at a provincial office, say).
            raise InvalidInput("that role is not held at this kind of organisation", field="role")
        client_id = client_id.strip()
        key = (
            SystemAccess.user_id == user.id,
            SystemAccess.client_id == client_id,
            SystemAccess.organisation_id == account.organisation_id,
            SystemAccess.role == role,
        )
        if db.session.execute(
            select(SystemAccess.id).where(*key, SystemAccess.status.in_(("requested", "approved")))
        ).first():
            raise InvalidInput(
                "that access is already asked for or granted", field="role", reason="duplicate_request"
            )
        rejected_id = db.session.execute(
            select(SystemAccess.id)
            .where(*key, SystemAccess.status == "rejected")
            .order_by(SystemAccess.id.desc())
        ).scalar()
        if rejected_id is not None:
            # Asking again after a rejection continues the same request's history.
            engine.fire(ACCESS, rejected_id, "request_again", actor)
            return _existing(SystemAccess, rejected_id)
        access = SystemAccess(
            user_id=user.id, client_id=client_id, organisation_id=account.organisation_id, role=role
        )
        engine.start(access, actor)
        created = db.session.execute(
            select(AuditEvent.id)
            .where(AuditEvent.chain == engine.chain_for(access))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).scalar_one()
        # The admins who decide hear of the new request, like after any step of the workflow.
        outbox.add("notify_next_actors", queue="notifications", audit_event_id=created)
    return access


def approve_access(
    actor, access_id: int, *, auth_time, comment: str | None = None, expected_version: int | None = None
) -> engine.FireResult:
    """Approve a system-access request: the role reaches the system in the next token's claims."""
    return _fire_decision(
        actor, ACCESS, access_id, "approve", auth_time, comment, expected_version=expected_version
    )


def reject_access(
    actor, access_id: int, *, auth_time, comment: str | None = None, expected_version: int | None = None
) -> engine.FireResult:
    """Reject a system-access request with a reason."""
    return _fire_decision(
        actor,
        ACCESS,
        access_id,
        "reject",
        auth_time,
        comment,
        expected_version=expected_version,
        reason_column="reason",
    )


def revoke_access(
    actor, access_id: int, *, auth_time, comment: str | None = None, expected_version: int | None = None
) -> engine.FireResult:
    """Revoke granted access with a reason: gone from the claims at the next token refresh."""
    return _fire_decision(
        actor,
        ACCESS,
        access_id,
        "revoke",
        auth_time,
        comment,
        expected_version=expected_version,
        reason_column="reason",
    )


def withdraw_access(actor, access_id: int) -> engine.FireResult:
    """The person withdraws their own waiting request."""
    return engine.fire(ACCESS, access_id, "withdraw", actor)


@engine.entry_action
def _check_the_grant(access: SystemAccess, actor, from_state, to_state, data) -> None:
    # Approving access is granting its role: never to oneself, never above the approver's rights.
    _require_may_grant(
        actor, access.role, _existing(Organisation, access.organisation_id), _existing(User, access.user_id)
    )


@engine.entry_action
def _record_decision_time(access: SystemAccess, actor, from_state, to_state, data) -> None:
    engine.write_columns(access, decided_at=utcnow())


@engine.entry_action
def _drop_claimed_role(access: SystemAccess, actor, from_state, to_state, data) -> None:
    # e-Plan's copy of the role goes at once; the claims stop carrying it at the next refresh.
    db.session.execute(
        delete(RoleGrant)
        .where(
            RoleGrant.user_id == access.user_id,
            RoleGrant.organisation_id == access.organisation_id,
            RoleGrant.role == access.role,
            RoleGrant.source == "claims",
        )
        .execution_options(synchronize_session=False)
    )


@engine.entry_action
def _end_sessions_of_revoked(access: SystemAccess, actor, from_state, to_state, data) -> None:
    # Withdrawn from the system altogether: every copy of every sign-in ends with the decision. A
    # person keeping another role there stays signed in; the next token refresh drops this one.
    others = db.session.execute(
        select(SystemAccess.id)
        .where(
            SystemAccess.user_id == access.user_id,
            SystemAccess.client_id == access.client_id,
            SystemAccess.status == "approved",
            SystemAccess.id != access.id,
        )
        .limit(1)
    ).first()
    if others is None:
        sessions.end_all_sessions(access.user_id, "access_revoked")


@engine.entry_action
def _ask_again(access: SystemAccess, actor, from_state, to_state, data) -> None:
    engine.write_columns(access, requested_at=utcnow(), decided_at=None, escalated_at=None, reason=None)


# -- many at once ----------------------------------------------------------------------------------
DECIDERS = {
    (ACCOUNT, "approve"): approve_account,
    (ACCOUNT, "reject"): reject_account,
    (ACCOUNT, "suspend"): suspend_account,
    (ACCOUNT, "reinstate"): reinstate_account,
    (ACCESS, "approve"): approve_access,
    (ACCESS, "reject"): reject_access,
    (ACCESS, "revoke"): revoke_access,
}
KINDS = {"account": ACCOUNT, "access": ACCESS, ACCESS: ACCESS}


@dataclass
class ItemResult:
    id: int | str
    ok: bool
    code: str | None = None
    message: str | None = None
    to_state: str | None = None


def decide_many(
    actor, kind: str, ids, decision: str, auth_time, comment: str | None = None
) -> list[ItemResult]:
    """Take one decision on several items; each is its own transaction and reports its own outcome."""
    workflow = KINDS.get(kind)
    decide = DECIDERS.get((workflow, decision)) if workflow is not None else None
    if decide is None:
        raise InvalidInput(f"{decision!r} is not a decision on {kind!r}", field="decision")
    require_recent_auth(auth_time)
    results = []
    for raw in ids:
        try:
            item_id = int(raw)
        except (TypeError, ValueError):
            results.append(ItemResult(raw, False, "invalid_input", "not an id"))
            continue
        try:
            done = decide(actor, item_id, auth_time=auth_time, comment=comment)
        except DomainError as exc:
            results.append(ItemResult(item_id, False, exc.code, exc.message))
        else:
            results.append(ItemResult(item_id, True, to_state=done.to_state))
    return results


# -- the inbox -------------------------------------------------------------------------------------
def may_decide(actor, instance, trigger: str = "approve") -> bool:
    """Whether ``actor`` may take ``trigger`` on the row now (roles, chain of trust, not their own)."""
    definition = engine.definition_of(instance)
    roles = engine.actor_roles(actor, instance)
    own = engine.is_applicant(actor, instance)
    return any(
        roles.intersection(spec.roles)
        and not (spec.not_by_applicant and own)
        and definition.guards_hold(spec, instance)
        for spec in definition.candidates(instance, trigger)
    )


def decisions_for(actor, instance) -> list[str]:
    """The decisions ``actor`` may take on the row in its current state."""
    workflow = instance.WORKFLOW
    choices = ACCOUNT_DECISIONS if workflow == ACCOUNT else ACCESS_DECISIONS
    return [t for t in choices if may_decide(actor, instance, t)]


def _in_scope(model, actor, statuses, limit):
    rows = (
        db.session.execute(
            select(model)
            .join(Organisation, Organisation.id == model.organisation_id)
            .where(model.status.in_(statuses), visible_org_clause(actor, Organisation))
            .order_by(model.id)
            .limit(limit)
        )
        .unique()
        .scalars()
        .all()
    )
    return [row for row in rows if decisions_for(actor, row)]


def waiting_for(actor, limit: int = 500) -> tuple[list[Account], list[SystemAccess]]:
    """Accounts and access requests waiting for ``actor``'s decision, oldest first."""
    return (
        _in_scope(Account, actor, ("awaiting_approval",), limit),
        _in_scope(SystemAccess, actor, ("requested",), limit),
    )


def managed_by(actor, limit: int = 500) -> tuple[list[Account], list[SystemAccess]]:
    """Active or suspended accounts and granted access ``actor`` may suspend, reinstate or revoke."""
    return (
        _in_scope(Account, actor, ("active", "suspended"), limit),
        _in_scope(SystemAccess, actor, ("approved",), limit),
    )


def get_item(actor, kind: str, item_id: int):
    """One account or access row the actor may decide on, or NotFound (never another LAO's row)."""
    workflow = KINDS.get(kind)
    if workflow is None:
        raise NotFound(f"no kind {kind!r}")
    row = engine.get_instance(workflow, item_id, actor)
    if not can_read(actor, row.organisation):
        # Their own row, seen through the approvers' pages: they read it on their own pages.
        raise NotFound(f"{workflow} #{item_id} not found", workflow=workflow, id=item_id)
    return row


def waiting_since(row) -> datetime | None:
    return row.submitted_at if isinstance(row, Account) else row.requested_at


def working_days_waiting(row, now: datetime | None = None) -> int:
    """Working days the row has waited since it was submitted (Thai public holidays excluded)."""
    since = waiting_since(row)
    if since is None:
        return 0
    return working_days_between(to_local(since).date(), to_local(now or utcnow()).date())


# -- escalation ------------------------------------------------------------------------------------
def _escalation_recipients(org: Organisation) -> list[User]:
    # The provincial office over the organisation; DLA for those no province covers (DLA itself).
    return engine.users_who_may(org, ["provincial_officer"]) or engine.users_who_may(org, ["dla_admin"])


def escalate_waiting(now: datetime | None = None) -> int:
    """Tell the provincial office once about each request waiting too many working days; return
    how many notifications were created."""
    now = now or utcnow()
    limit = current_app.config["APPROVAL_ESCALATION_WORKING_DAYS"]
    created = 0
    with transaction():
        model: type[Account] | type[SystemAccess]
        for model, since_column in (
            (Account, Account.submitted_at),
            (SystemAccess, SystemAccess.requested_at),
        ):
            workflow = model.WORKFLOW
            # Rows of this model: select() of either one types them as their common base.
            rows = cast(
                list[Account | SystemAccess],
                db.session.execute(
                    select(model)
                    .where(
                        model.status == WAITING_STATE[workflow],
                        model.escalated_at.is_(None),
                        since_column.is_not(None),
                        since_column <= now,
                    )
                    .order_by(model.id)
                    .with_for_update(of=model, skip_locked=True)
                )
                .unique()
                .scalars()
                .all(),
            )
            for row in rows:
                days = working_days_waiting(row, now)
                if days <= limit:
                    continue
                created += _notify_escalation(row, workflow, days)
                # Not a workflow step: the version stays, so nobody's open decision turns stale.
                db.session.execute(
                    update(model.__table__).where(model.__table__.c.id == row.id).values(escalated_at=now)
                )
    return created


def _notify_escalation(row, workflow: str, days: int) -> int:
    since = waiting_since(row)
    if since is None:  # only rows waiting since a known time are escalated
        raise ValueError(f"{workflow} #{row.id} is not waiting since a known time")
    key = f"escalation:{workflow}:{row.id}:{since.isoformat()}"
    recipients = _escalation_recipients(row.organisation)
    already = set(
        db.session.execute(select(Notification.user_id).where(Notification.dedupe_key == key)).scalars()
    )
    definition = engine.definition_of(row)
    subject = _(
        "Waiting %(days)s working days for approval: %(item)s (%(what)s)",
        days=days,
        item=str(row),
        what=definition.title(),
    )
    body = _(
        "No decision yet on this request at %(org)s. Please follow up with its SSO admin.",
        org=row.organisation.display_name,
    )
    created = 0
    for person in recipients:
        if person.id in already:
            continue
        db.session.add(
            Notification(
                user_id=person.id,
                kind="escalation",
                dedupe_key=key,
                subject=subject[:300],
                body=body,
                link=f"/sso/approvals/{'accounts' if workflow == ACCOUNT else 'access'}/{row.id}",
                organisation_id=row.organisation_id,
            )
        )
        created += 1
    db.session.flush()
    return created


# -- notices to the applicant ----------------------------------------------------------------------
DECISION_TRIGGERS = {
    ACCOUNT: ("approve", "reject", "suspend", "reinstate"),
    ACCESS: ("approve", "reject", "revoke"),
}


def notify_applicant(audit_event_id: int) -> int:
    """Tell the applicant, in the app and by email, what an approver decided; return 1 if new."""
    event = db.session.get(AuditEvent, audit_event_id)
    if (
        event is None
        or event.workflow not in DECISION_TRIGGERS
        or event.action not in DECISION_TRIGGERS[event.workflow]
    ):
        return 0
    if event.to_state is None:  # a decision always moves the row somewhere
        raise ValueError(f"audit event {event.id} records a decision without its state")
    workflow, _sep, raw_id = event.chain.partition(":")
    row = db.session.get(engine.model_for(workflow), int(raw_id))
    if row is None or event.actor_id == row.user_id:
        return 0
    if db.session.execute(
        select(Notification.id).where(
            Notification.user_id == row.user_id, Notification.audit_event_id == event.id
        )
    ).first():
        return 0
    definition = engine.definition_of(row)
    what = definition.title()
    if workflow == ACCESS:
        what = f"{what} {row.client_id} ({row.role})"
    subject = _("%(what)s: %(decision)s", what=what, decision=definition.label(event.to_state))
    lines = [subject]
    if event.comment:
        lines.append(_("Reason: %(reason)s", reason=event.comment))
    link = "/sso/" if workflow == ACCOUNT else "/sso/access"
    lines.append(_("Details: %(link)s", link=link))
    body = "\n".join(lines)
    person = _existing(User, row.user_id)
    try:
        with transaction():
            db.session.add(
                Notification(
                    user_id=row.user_id,
                    audit_event_id=event.id,
                    kind="decision",
                    subject=subject[:300],
                    body=event.comment,
                    link=link,
                    organisation_id=row.organisation_id,
                    dedupe_key=f"decision:{event.id}",
                )
            )
            if person.email:
                mail.queue_mail(
                    person.email, subject, body, user_id=person.id, dedupe_key=f"sso-decision:{event.id}"
                )
    except IntegrityError:  # a concurrent run of the same job got there first
        return 0
    return 1


__all__ = [
    "ACCESS_DECISIONS",
    "ACCOUNT_DECISIONS",
    "SSO_ROLES",
    "ItemResult",
    "approve_access",
    "approve_account",
    "client_roles",
    "decide_many",
    "decisions_for",
    "escalate_waiting",
    "get_item",
    "managed_by",
    "may_decide",
    "notify_applicant",
    "reinstate_account",
    "reject_access",
    "reject_account",
    "request_access",
    "requestable_systems",
    "require_recent_auth",
    "revoke_access",
    "suspend_account",
    "transfer_account",
    "waiting_for",
    "withdraw_access",
    "working_days_waiting",
]
