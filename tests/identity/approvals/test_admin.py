"""The back office's SSO lists: scoped rows, bulk approve and reject through the approvals service."""

from __future__ import annotations

import time

from sqlalchemy import select

from eplan_flow.models import Account, SystemAccess
from tests.identity.approvals.helpers import applicant, eplan_client, member_with_access_request


def back_office(client, login_as, user, *, recent: bool = True):
    login_as(user)
    with client.session_transaction() as session:
        session["lang"] = "en"
        if recent:
            session["sso_auth_time"] = int(time.time())
    return client


def test_each_admin_lists_only_the_accounts_of_their_scope(world, db, client, login_as):
    mine, _ = applicant(world.sao_a, name="นายในเขต หนึ่ง")
    foreign, _ = applicant(world.sao_x, name="นายนอกเขต สอง")
    page = back_office(client, login_as, world.sso_admin).get("/admin/sso_accounts/").get_data(as_text=True)
    assert "นายในเขต หนึ่ง" in page and "นายนอกเขต สอง" not in page
    page = client.get("/admin/system_access/")
    assert page.status_code == 200
    page = (
        back_office(client, login_as, world.provincial_officer_30)
        .get("/admin/sso_accounts/")
        .get_data(as_text=True)
    )
    assert "นายนอกเขต สอง" in page and "นายในเขต หนึ่ง" not in page
    page = back_office(client, login_as, world.dla_admin).get("/admin/sso_accounts/").get_data(as_text=True)
    assert "นายในเขต หนึ่ง" in page and "นายนอกเขต สอง" in page
    assert back_office(client, login_as, world.planner).get("/admin/sso_accounts/").status_code == 403


def test_bulk_approve_in_the_back_office_goes_through_the_engine_for_each_row(world, db, client, login_as):
    _, first = applicant(world.sao_a)
    _, second = applicant(world.sao_a)
    _, foreign = applicant(world.sao_x)
    back_office(client, login_as, world.sso_admin)
    response = client.post(
        "/admin/sso_accounts/action/",
        data={
            "action": "approve",
            "rowid": [first.id, second.id, foreign.id],
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "2 items decided." in text and f"Item #{foreign.id} was not changed" in text
    db.session.expire_all()
    assert [db.session.get(Account, a.id).status for a in (first, second, foreign)] == [
        "active",
        "active",
        "awaiting_approval",
    ]


def test_bulk_approve_without_a_recent_reauthentication_changes_nothing(world, db, client, login_as):
    _, account = applicant(world.sao_a)
    back_office(client, login_as, world.sso_admin, recent=False)
    response = client.post(
        "/admin/sso_accounts/action/",
        data={"action": "approve", "rowid": [account.id]},
        follow_redirects=True,
    )
    assert "/sso/reauth?next=" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Account, account.id).status == "awaiting_approval"


def test_bulk_reject_in_the_back_office_asks_for_the_reason(world, db, client, login_as):
    eplan_client()
    _, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    back_office(client, login_as, world.sso_admin)
    form = client.post("/admin/system_access/action/", data={"action": "reject", "rowid": [access.id]})
    assert form.status_code == 200 and 'name="comment"' in form.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "requested"
    blank = client.post(
        "/admin/system_access/reject/", data={"rowid": [access.id], "comment": ""}, follow_redirects=True
    )
    assert f"Item #{access.id} was not changed" in blank.get_data(as_text=True)
    client.post("/admin/system_access/reject/", data={"rowid": [access.id], "comment": "ไม่ได้ปฏิบัติงานด้านแผน"})
    db.session.expire_all()
    row = db.session.get(SystemAccess, access.id)
    assert (row.status, row.reason) == ("rejected", "ไม่ได้ปฏิบัติงานด้านแผน")


def test_a_locked_person_is_unlocked_from_the_accounts_list(world, db, client, login_as):
    person, account = applicant(world.sao_a, status="active", approver=world.sso_admin)
    person.locked_at = person.created_at
    person.failed_login_count = 5
    db.session.commit()
    back_office(client, login_as, world.sso_admin)
    client.post("/admin/sso_accounts/action/", data={"action": "unlock", "rowid": [account.id]})
    db.session.expire_all()
    unlocked = db.session.get(type(person), person.id)
    assert unlocked.locked_at is None and unlocked.failed_login_count == 0
    assert db.session.scalar(select(Account.status).where(Account.id == account.id)) == "active"
