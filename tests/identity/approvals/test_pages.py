"""The approval pages through the test client: the inbox's scope, decisions with and without a recent
re-authentication, bulk decisions without JavaScript, people's own access and transfer pages, and the
generic workflow page and API, which cannot be used to skip the re-authentication."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from eplan_flow.models import Account, AuditEvent, SystemAccess, User
from eplan_flow.services.identity import citizen_id
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request
from tests.identity.oidc.helpers import live_sso_session


def sso_sign_in(client, user, *, recent: bool = True):
    """The SSO session the sign-in page would leave (``eplan_flow.sso.session`` keys)."""
    live_sso_session(user.id, f"test-{user.id}")
    with client.session_transaction() as session:
        session["sso_uid"] = user.id
        session["sso_auth_time"] = int(time.time()) - (0 if recent else 3600)
        session["sso_sid"] = f"test-{user.id}"
        session["lang"] = "en"
    return client


def status_of(db, account_id):
    return db.session.execute(select(Account.status, Account.version).where(Account.id == account_id)).one()


def test_the_inbox_asks_for_the_sso_sign_in(client):
    response = client.get("/sso/approvals")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sso/login")


def test_the_inbox_lists_what_waits_for_each_admin_and_nothing_else(world, db, client):
    member, account = applicant(world.sao_a, name="นายสมหมาย ทดสอบ")
    admin_c, admin_account = applicant(world.sao_c, requested_role="sso_admin", name="นางสาวผู้ดูแล ศรีชมภู")
    outsider, _ = applicant(world.sao_x, name="นายนอก เขต")
    masked = citizen_id.masked_for(member)

    page = sso_sign_in(client, world.sso_admin).get("/sso/approvals").get_data(as_text=True)
    assert "นายสมหมาย ทดสอบ" in page and masked in page
    assert citizen_id.decrypt(member.citizen_id_encrypted) not in page
    assert "นางสาวผู้ดูแล ศรีชมภู" not in page and "นายนอก เขต" not in page
    assert f"/sso/approvals/accounts/{account.id}" in page

    page = sso_sign_in(client, world.provincial_officer).get("/sso/approvals").get_data(as_text=True)
    # The province approves LAO admins (chain of trust), not the LAO's members.
    assert "นางสาวผู้ดูแล ศรีชมภู" in page and "นายสมหมาย ทดสอบ" not in page and "นายนอก เขต" not in page

    page = sso_sign_in(client, world.town_sso_admin).get("/sso/approvals").get_data(as_text=True)
    assert "No accounts are waiting for you." in page and "นายสมหมาย" not in page
    assert client.get(f"/sso/approvals/accounts/{account.id}").status_code == 404


def test_an_admin_approves_on_the_page_after_reauthenticating(world, db, client):
    _, account = applicant(world.sao_a)
    before = status_of(db, account.id)
    sso_sign_in(client, world.sso_admin, recent=False)
    page = client.get(f"/sso/approvals/accounts/{account.id}").get_data(as_text=True)
    assert "/sso/reauth?next=" in page
    response = client.post(
        f"/sso/approvals/accounts/{account.id}/decide",
        data={"decision": "approve", "expected_version": before.version},
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/sso/reauth?next=")
    db.session.expire_all()
    assert status_of(db, account.id) == before

    sso_sign_in(client, world.sso_admin)
    response = client.post(
        f"/sso/approvals/accounts/{account.id}/decide",
        data={"decision": "approve", "expected_version": before.version},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/sso/approvals"
    db.session.expire_all()
    assert status_of(db, account.id).status == "active"


def test_another_laos_admin_gets_not_found_and_changes_nothing(world, db, client):
    _, account = applicant(world.sao_a)
    before = status_of(db, account.id)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    sso_sign_in(client, world.town_sso_admin)
    response = client.post(f"/sso/approvals/accounts/{account.id}/decide", data={"decision": "approve"})
    assert response.status_code == 404
    db.session.expire_all()
    assert status_of(db, account.id) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_rejecting_on_the_page_needs_a_reason(world, db, client):
    _, account = applicant(world.sao_a)
    sso_sign_in(client, world.sso_admin)
    response = client.post(
        f"/sso/approvals/accounts/{account.id}/decide",
        data={"decision": "reject", "comment": "  "},
        follow_redirects=True,
    )
    assert "give the reason" in response.get_data(as_text=True)
    db.session.expire_all()
    assert status_of(db, account.id).status == "awaiting_approval"
    client.post(
        f"/sso/approvals/accounts/{account.id}/decide",
        data={"decision": "reject", "comment": "ไม่ใช่บุคลากรของ อบต."},
    )
    db.session.expire_all()
    row = db.session.get(Account, account.id)
    assert (row.status, row.rejection_reason) == ("rejected", "ไม่ใช่บุคลากรของ อบต.")


def test_bulk_approval_with_checkboxes_decides_each_selected_item(world, db, client):
    eplan_client()
    _, first = applicant(world.sao_a)
    _, second = applicant(world.sao_a)
    _, untouched = applicant(world.sao_a)
    _, foreign = applicant(world.sao_x)
    sso_sign_in(client, world.sso_admin)
    response = client.post(
        "/sso/approvals/bulk",
        data={
            "kind": "account",
            "decision": "approve",
            "ids": [first.id, second.id, foreign.id],
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "2 items decided." in text and f"Item #{foreign.id} was not changed" in text
    db.session.expire_all()
    assert [db.session.get(Account, a.id).status for a in (first, second, untouched, foreign)] == [
        "active",
        "active",
        "awaiting_approval",
        "awaiting_approval",
    ]
    _, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    client.post(
        "/sso/approvals/bulk",
        data={"kind": "access", "decision": "reject", "ids": [access.id], "comment": "ขอสิทธิ์ผิดบทบาท"},
    )
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "rejected"


def test_bulk_decisions_without_a_recent_reauthentication_change_nothing(world, db, client):
    _, account = applicant(world.sao_a)
    sso_sign_in(client, world.sso_admin, recent=False)
    response = client.post(
        "/sso/approvals/bulk", data={"kind": "account", "decision": "approve", "ids": [account.id]}
    )
    assert response.headers["Location"].startswith("/sso/reauth?next=")
    db.session.expire_all()
    assert status_of(db, account.id).status == "awaiting_approval"


def test_the_generic_workflow_page_and_api_cannot_approve_without_the_approvals_pages(
    world, db, client, login_as
):
    _, account = applicant(world.sao_a)
    before = status_of(db, account.id)
    login_as(world.sso_admin)
    with client.session_transaction() as session:
        session["sso_auth_time"] = int(time.time())
    client.post(
        f"/instances/account/{account.id}/fire",
        data={"trigger": "approve", "expected_version": before.version, "comment": ""},
    )
    api = client.post(
        f"/api/v1/instances/account/{account.id}/fire",
        json={"trigger": "approve", "expected_version": before.version},
    )
    assert api.status_code == 401 and api.json["code"] == "reauthentication_required"
    db.session.expire_all()
    assert status_of(db, account.id) == before


def test_a_person_asks_for_e_plan_sees_the_status_and_withdraws(world, db, client):
    eplan_client()
    person, account = applicant(world.sao_a, status="active", approver=world.sso_admin)
    sso_sign_in(client, person)
    page = client.get("/sso/access").get_data(as_text=True)
    assert 'value="eplan:planner"' in page and "eplan:sso_admin" not in page
    response = client.post("/sso/access", data={"system_role": "eplan:planner"})
    assert response.status_code == 303
    access = db.session.execute(select(SystemAccess).where(SystemAccess.user_id == person.id)).scalar_one()
    assert (access.role, access.status, access.organisation_id) == ("planner", "requested", world.sao_a.id)
    again = client.post("/sso/access", data={"system_role": "eplan:planner"}, follow_redirects=True)
    assert "already asked for this access" in again.get_data(as_text=True)
    assert client.post(f"/sso/access/{access.id}/withdraw").status_code == 303
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "withdrawn"
    # Nobody withdraws another person's request.
    other, _, theirs = member_with_access_request(world.sao_a, world.sso_admin)
    assert client.post(f"/sso/access/{theirs.id}/withdraw").status_code == 404


def test_a_person_not_yet_approved_cannot_ask_for_a_system(world, db, client):
    eplan_client()
    person, _ = applicant(world.sao_a)
    sso_sign_in(client, person)
    assert "must be approved" in client.get("/sso/access").get_data(as_text=True)
    client.post("/sso/access", data={"system_role": "eplan:planner"})
    assert db.session.scalar(select(func.count()).select_from(SystemAccess)) == 0


def test_a_person_moves_to_another_lao_on_the_transfer_page(world, db, client):
    eplan_client()
    person, account, access = member_with_access_request(world.sao_a, world.sso_admin)
    sso_sign_in(client, person)
    assert "Move my account" in client.get("/sso/transfer").get_data(as_text=True)
    bad = client.post("/sso/transfer", data={"to_organisation": "9999999"}, follow_redirects=True)
    assert "No active organisation has that code" in bad.get_data(as_text=True)
    client.post("/sso/transfer", data={"to_organisation": world.sao_c.code})
    db.session.expire_all()
    moved = db.session.get(Account, account.id)
    assert (moved.status, moved.organisation_id) == ("awaiting_approval", world.sao_c.id)
    assert db.session.get(User, person.id).organisation_id == world.sao_c.id
    assert db.session.get(SystemAccess, access.id).status == "ended"
    assert "Only an active account can move" in client.get("/sso/transfer").get_data(as_text=True)


def test_with_csrf_on_a_decision_needs_the_pages_token(csrf_app):
    import re

    from eplan_flow.extensions import db as _db
    from tests import factories

    with csrf_app.app_context():
        world = factories.build_world()
        _, account = applicant(world.sao_a)
        account_id, admin = account.id, world.sso_admin
        client = sso_sign_in(csrf_app.test_client(), admin)
        _db.session.remove()
    url = f"/sso/approvals/accounts/{account_id}"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = client.post(f"{url}/decide", data={"decision": "approve"})
    assert refused.status_code == 400
    accepted = client.post(f"{url}/decide", data={"decision": "approve", "csrf_token": token})
    assert accepted.status_code == 303
    with csrf_app.app_context():
        assert _db.session.get(Account, account_id).status == "active"
        _db.session.remove()
