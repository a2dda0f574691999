"""System access (request → approve → revoke, withdraw, ask again) and transfers between LAOs."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import DomainError
from eplan_flow.models import (
    Account,
    AuditEvent,
    OAuth2Client,
    OutboxMessage,
    RoleGrant,
    SystemAccess,
    User,
)
from eplan_flow.services.identity import approvals, claims
from eplan_flow.services.platform import engine
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request


@pytest.fixture
def eplan(db):
    return eplan_client()


def roles_in_claims(db, person):
    client = db.session.scalar(select(OAuth2Client).where(OAuth2Client.client_id == "eplan"))
    return claims.claims_for(db.session.get(User, person.id), client, "openid eplan")["roles"]


def test_an_access_request_is_approved_reaches_the_claims_and_is_revoked_with_a_reason(world, db, eplan):
    person, account, access = member_with_access_request(world.sao_a, world.sso_admin)
    assert (access.status, access.organisation_id, access.decided_at) == ("requested", world.sao_a.id, None)
    assert roles_in_claims(db, person) == []
    approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).decided_at is not None
    assert roles_in_claims(db, person) == ["planner"]
    # e-Plan's copy of the role (what the relying party synced from the claims) goes with the revocation.
    db.session.add(
        RoleGrant(user_id=person.id, organisation_id=world.sao_a.id, role="planner", source="claims")
    )
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        approvals.revoke_access(world.sso_admin, access.id, auth_time=time.time())
    assert refused.value.code == "comment_required"
    approvals.revoke_access(world.sso_admin, access.id, auth_time=time.time(), comment="ย้ายงาน")
    db.session.expire_all()
    row = db.session.get(SystemAccess, access.id)
    assert (row.status, row.reason) == ("revoked", "ย้ายงาน")
    assert roles_in_claims(db, person) == []
    assert (
        db.session.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.user_id == person.id))
        == 0
    )
    assert [e.action for e in engine.history(row)] == ["create", "approve", "revoke"]


def test_a_revoked_access_cannot_be_revoked_again_nor_approved_by_another_laos_admin(world, db, eplan):
    _, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    with pytest.raises(DomainError) as refused:
        approvals.approve_access(world.town_sso_admin, access.id, auth_time=time.time())
    assert refused.value.code == "not_found"
    with pytest.raises(DomainError) as refused:
        approvals.approve_access(world.sso_admin, access.id, auth_time=None)
    assert refused.value.code == "reauthentication_required"
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "requested"


def test_access_requests_are_refused_when_they_cannot_be_granted(world, db, eplan):
    waiting, _ = applicant(world.sao_a)
    with pytest.raises(DomainError) as refused:
        approvals.request_access(waiting, waiting, "eplan", "planner")
    assert refused.value.details["field"] == "account"
    person, _, _ = member_with_access_request(world.sao_a, world.sso_admin)
    before = db.session.scalar(select(func.count()).select_from(SystemAccess))
    for client_id, role, field in [
        ("eplan", "sso_admin", "role"),
        ("eplan", "dla_admin", "role"),
        ("nope", "planner", "client_id"),
        ("eplan", "planner", "role"),
    ]:
        with pytest.raises(DomainError) as refused:
            approvals.request_access(person, person, client_id, role)
        assert refused.value.details["field"] == field
    with pytest.raises(DomainError) as refused:
        approvals.request_access(world.sso_admin, person, "eplan", "executive")
    assert refused.value.code == "permission_denied"
    assert db.session.scalar(select(func.count()).select_from(SystemAccess)) == before


def test_a_new_request_notifies_the_lao_admins_through_the_outbox(world, db, eplan):
    _, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    created = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.chain == f"system_access:{access.id}", AuditEvent.action == "create"
        )
    )
    jobs = db.session.execute(select(OutboxMessage.job, OutboxMessage.kwargs)).all()
    assert ("notify_next_actors", {"audit_event_id": created}) in [tuple(j) for j in jobs]


def test_withdrawing_and_asking_again_after_a_rejection_keep_one_history(world, db, eplan):
    person, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.withdraw_access(person, access.id)
    second = approvals.request_access(person, person, "eplan", "planner")
    assert second.id != access.id
    approvals.reject_access(world.sso_admin, second.id, auth_time=time.time(), comment="ไม่ใช่หน้าที่")
    again = approvals.request_access(person, person, "eplan", "planner")
    assert again.id == second.id
    db.session.expire_all()
    row = db.session.get(SystemAccess, second.id)
    assert (row.status, row.reason, row.decided_at) == ("requested", None, None)
    assert [e.action for e in engine.history(row)] == ["create", "reject", "request_again"]


def test_a_transfer_drops_the_old_rights_at_once_and_waits_for_the_new_lao_with_history_kept(
    world, db, eplan
):
    person, account, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
    pending = approvals.request_access(person, person, "eplan", "executive")
    for source, role in (("claims", "planner"), ("local", "council_secretary")):
        db.session.add(RoleGrant(user_id=person.id, organisation_id=world.sao_a.id, role=role, source=source))
    db.session.commit()
    assert roles_in_claims(db, person) == ["planner"]

    result = approvals.transfer_account(db.session.get(User, person.id), account.id, world.sao_c.code)
    assert (result.from_state, result.to_state) == ("active", "awaiting_approval")
    db.session.expire_all()
    moved = db.session.get(Account, account.id)
    assert (moved.organisation_id, moved.user.organisation_id) == (world.sao_c.id, world.sao_c.id)
    assert moved.submitted_at is not None and moved.escalated_at is None
    assert [db.session.get(SystemAccess, i).status for i in (access.id, pending.id)] == ["ended", "ended"]
    assert (
        db.session.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.user_id == person.id))
        == 0
    )
    assert roles_in_claims(db, person) == []
    # History stays in both chains; the transfer names the new organisation.
    events = engine.history(moved)
    assert [e.action for e in events][-2:] == ["approve", "transfer"]
    assert events[-1].data == {"to_organisation": world.sao_c.code}
    assert [e.action for e in engine.history(db.session.get(SystemAccess, access.id))] == [
        "create",
        "approve",
        "end_by_transfer",
    ]
    # The old LAO's admin no longer decides; the new LAO's approver does (sao_c has no admin: none here).
    with pytest.raises(DomainError) as refused:
        approvals.approve_account(world.sso_admin, account.id, auth_time=time.time())
    assert refused.value.code == "not_found"
    assert approvals.may_decide(world.provincial_officer, moved) is False
    admin_c, _ = applicant(
        world.sao_c, requested_role="sso_admin", status="active", approver=world.provincial_officer
    )
    approvals.approve_account(db.session.get(User, admin_c.id), account.id, auth_time=time.time())
    db.session.expire_all()
    assert db.session.get(Account, account.id).status == "active"


@pytest.mark.parametrize("code", ["", "0000000", "own"])
def test_a_transfer_to_an_unknown_or_the_same_organisation_changes_nothing(world, db, eplan, code):
    person, account, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
    code = world.sao_a.code if code == "own" else code
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(DomainError) as refused:
        approvals.transfer_account(db.session.get(User, person.id), account.id, code)
    assert refused.value.code == "invalid_input"
    db.session.expire_all()
    assert db.session.get(Account, account.id).organisation_id == world.sao_a.id
    assert db.session.get(SystemAccess, access.id).status == "approved"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_only_the_person_moves_their_own_account(world, db, eplan):
    _, account = applicant(world.sao_a, status="active", approver=world.sso_admin)
    with pytest.raises(DomainError) as refused:
        approvals.transfer_account(world.sso_admin, account.id, world.sao_c.code)
    assert refused.value.code == "permission_denied"
    db.session.expire_all()
    assert db.session.get(Account, account.id).status == "active"
