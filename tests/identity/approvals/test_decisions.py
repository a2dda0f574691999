"""Account decisions through the approvals service on the real database: the chain of trust,
re-authentication, reasons, re-applying, suspension and reinstatement."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import DomainError
from eplan_flow.models import Account, AuditEvent, OAuth2Client, OutboxMessage, RoleGrant
from eplan_flow.services.identity import approvals, claims, identity
from eplan_flow.services.platform import engine
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request


def snapshot(db, account_id):
    row = db.session.execute(
        select(Account.status, Account.version, Account.organisation_id).where(Account.id == account_id)
    ).one()
    return (
        tuple(row),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        db.session.scalar(select(func.count()).select_from(RoleGrant)),
        db.session.scalar(select(func.count()).select_from(OutboxMessage)),
    )


def grants_of(db, user_id):
    return sorted(
        (g.role, g.organisation_id, g.source)
        for g in db.session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id)).scalars()
    )


def test_the_lao_sso_admin_approves_a_member_of_their_own_lao(world, db):
    person, account = applicant(world.sao_a)
    result = approvals.approve_account(world.sso_admin, account.id, auth_time=time.time())
    assert result.to_state == "active"
    db.session.expire_all()
    assert db.session.get(Account, account.id).status == "active"
    # A member's approval brings no SSO role: their e-Plan roles come with system access.
    assert grants_of(db, person.id) == []
    assert [e.action for e in engine.history(account)][-1] == "approve"


@pytest.mark.parametrize("outsider", ["town_sso_admin", "planner_x", "provincial_officer_30"])
def test_an_admin_of_another_organisation_is_refused_and_nothing_changes(world, db, outsider):
    person, account = applicant(world.sao_a)
    before = snapshot(db, account.id)
    with pytest.raises(DomainError) as refused:
        approvals.approve_account(getattr(world, outsider), account.id, auth_time=time.time())
    assert refused.value.code == "not_found"
    db.session.expire_all()
    assert snapshot(db, account.id) == before


def test_people_who_see_the_lao_but_are_not_its_approver_are_refused(world, db):
    _, account = applicant(world.sao_a)
    before = snapshot(db, account.id)
    for reader in (world.planner, world.district_officer, world.provincial_officer, world.dla_admin):
        with pytest.raises(DomainError) as refused:
            approvals.approve_account(reader, account.id, auth_time=time.time())
        assert refused.value.code in ("permission_denied", "guard_failed")
    db.session.expire_all()
    assert snapshot(db, account.id) == before


def test_an_lao_admin_account_is_approved_by_the_provincial_office_and_gets_the_admin_role(world, db):
    person, account = applicant(world.sao_c, requested_role="sso_admin")
    with pytest.raises(DomainError) as refused:
        approvals.approve_account(world.sso_admin, account.id, auth_time=time.time())
    assert refused.value.code == "not_found"  # sao_a's admin does not even see sao_c
    with pytest.raises(DomainError) as refused:
        approvals.approve_account(world.provincial_officer_30, account.id, auth_time=time.time())
    assert refused.value.code == "not_found"
    approvals.approve_account(world.provincial_officer, account.id, auth_time=time.time())
    db.session.expire_all()
    assert grants_of(db, person.id) == [("sso_admin", world.sao_c.id, "sso")]
    assert (
        db.session.get(
            RoleGrant, db.session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == person.id))
        ).granted_by_id
        == world.provincial_officer.id
    )


def test_the_lao_admin_cannot_approve_another_admin_of_their_own_lao(world, db):
    _, account = applicant(world.sao_a, requested_role="sso_admin")
    with pytest.raises(DomainError) as refused:
        approvals.approve_account(world.sso_admin, account.id, auth_time=time.time())
    assert refused.value.code in ("permission_denied", "guard_failed")


def test_a_provincial_office_account_is_approved_by_dla_not_by_the_province(world, db):
    person, account = applicant(world.po_38, requested_role="sso_admin")
    with pytest.raises(DomainError):
        approvals.approve_account(world.provincial_officer, account.id, auth_time=time.time())
    approvals.approve_account(world.dla_admin, account.id, auth_time=time.time())
    db.session.expire_all()
    assert grants_of(db, person.id) == [("provincial_officer", world.po_38.id, "sso")]


@pytest.mark.parametrize("auth_time", [None, "old", "future"])
def test_no_approval_without_a_recent_reauthentication_and_nothing_changes(world, db, app, auth_time):
    _, account = applicant(world.sao_a)
    before = snapshot(db, account.id)
    when = {None: None, "old": time.time() - app.config["REAUTH_MAX_AGE"] - 5, "future": time.time() + 3600}[
        auth_time
    ]
    for decide in (approvals.approve_account, approvals.reject_account):
        with pytest.raises(DomainError) as refused:
            decide(account.id, world.sso_admin, auth_time=when, comment="เอกสารไม่ครบ")
        assert refused.value.code == "reauthentication_required"
    with pytest.raises(DomainError) as refused:
        approvals.decide_many(world.sso_admin, "account", [account.id], "approve", when)
    assert refused.value.code == "reauthentication_required"
    db.session.expire_all()
    assert snapshot(db, account.id) == before


def test_a_rejection_needs_a_reason_which_the_account_keeps(world, db):
    _, account = applicant(world.sao_a)
    before = snapshot(db, account.id)
    for blank in (None, "", "   "):
        with pytest.raises(DomainError) as refused:
            approvals.reject_account(world.sso_admin, account.id, auth_time=time.time(), comment=blank)
        assert refused.value.code == "comment_required"
    db.session.expire_all()
    assert snapshot(db, account.id) == before
    approvals.reject_account(world.sso_admin, account.id, auth_time=time.time(), comment=" สำเนาบัตรไม่ชัด ")
    db.session.expire_all()
    row = db.session.get(Account, account.id)
    assert (row.status, row.rejection_reason) == ("rejected", "สำเนาบัตรไม่ชัด")


def test_a_rejected_person_fixes_their_details_reapplies_and_is_approved(world, db):
    person, account = applicant(world.sao_a)
    approvals.reject_account(world.sso_admin, account.id, auth_time=time.time(), comment="ชื่อสะกดผิด")
    identity.change_details(
        person,
        identity.Details(
            title="นาย",
            first_name="สมชาย",
            last_name="ใจดี",
            organisation_id=world.sao_a.id,
        ),
    )
    db.session.expire_all()
    row = db.session.get(Account, account.id)
    assert row.status == "awaiting_approval" and row.submitted_at is not None
    approvals.approve_account(world.sso_admin, account.id, auth_time=time.time())
    db.session.expire_all()
    row = db.session.get(Account, account.id)
    assert (row.status, row.rejection_reason) == ("active", None)
    assert [e.action for e in engine.history(row)][-3:] == ["reject", "reapply", "approve"]


def test_suspension_ends_sso_roles_and_claims_at_once_and_reinstatement_restores_them(world, db):
    eplan = eplan_client()
    eplan.allowed_roles = ["planner", "sso_admin"]
    db.session.commit()
    admin, admin_account = applicant(
        world.sao_c, requested_role="sso_admin", status="active", approver=world.provincial_officer
    )
    person, account, access = member_with_access_request(world.sao_c, admin)
    approvals.approve_access(admin, access.id, auth_time=time.time())
    db.session.add(
        RoleGrant(user_id=person.id, organisation_id=world.sao_c.id, role="planner", source="claims")
    )
    db.session.commit()
    client = db.session.scalar(select(OAuth2Client).where(OAuth2Client.client_id == "eplan"))
    assert claims.claims_for(person, client, "openid eplan")["roles"] == ["planner"]
    assert claims.claims_for(admin, client, "openid eplan")["roles"] == ["sso_admin"]

    with pytest.raises(DomainError) as refused:
        approvals.suspend_account(world.provincial_officer, admin_account.id, auth_time=time.time())
    assert refused.value.code == "comment_required"
    approvals.suspend_account(admin, account.id, auth_time=time.time(), comment="ย้ายไปช่วยราชการ")
    approvals.suspend_account(
        world.provincial_officer, admin_account.id, auth_time=time.time(), comment="อยู่ระหว่างสอบสวน"
    )
    db.session.expire_all()
    assert grants_of(db, person.id) == [] and grants_of(db, admin.id) == []
    assert claims.claims_for(person, client, "openid eplan")["roles"] == []
    assert claims.claims_for(admin, client, "openid eplan")["roles"] == []

    approvals.reinstate_account(world.provincial_officer, admin_account.id, auth_time=time.time())
    approvals.reinstate_account(admin, account.id, auth_time=time.time())
    db.session.expire_all()
    assert grants_of(db, admin.id) == [("sso_admin", world.sao_c.id, "sso")]
    # The approved access was never revoked: it counts again once the account is active.
    assert claims.claims_for(person, client, "openid eplan")["roles"] == ["planner"]


def test_several_accounts_are_decided_each_on_its_own(world, db):
    _, mine = applicant(world.sao_a)
    _, other_lao = applicant(world.sao_c)
    _, admin = applicant(world.sao_a, requested_role="sso_admin")
    results = approvals.decide_many(
        world.sso_admin, "account", [mine.id, other_lao.id, admin.id, "x"], "approve", time.time()
    )
    assert [(r.id, r.ok, r.code) for r in results] == [
        (mine.id, True, None),
        (other_lao.id, False, "not_found"),
        (admin.id, False, results[2].code),
        ("x", False, "invalid_input"),
    ]
    assert results[2].code in ("permission_denied", "guard_failed")
    db.session.expire_all()
    assert [db.session.get(Account, i).status for i in (mine.id, other_lao.id, admin.id)] == [
        "active",
        "awaiting_approval",
        "awaiting_approval",
    ]
