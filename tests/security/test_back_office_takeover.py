"""Issue 9, item 2: an LAO's SSO admin must not grant themself a role or take over a colleague.

Each test performs the attack as the ``sso_admin`` of อบต. sao_a through the real back office, the
SSO's pages and the API, then re-reads the database: no grant, no approval, no new password, and no
audit event claiming otherwise. The grant rule itself is ``permissions.may_grant``.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eplan_flow.errors import InvalidInput
from eplan_flow.models import Account, AuditEvent, EmailMessage, PasswordReset, RoleGrant, SystemAccess, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.directory import organisations as directory
from eplan_flow.services.identity import oidc_clients
from eplan_flow.services.platform import engine
from tests.identity.approvals.helpers import applicant, member_with_access_request
from workflows.roles import ROLE_NAMES

STRONG = "Nong-Loeng-Plan-2569!"
ATTACKERS_CHOICE = "Attacker-Chose-This-1!"
RESET_LINK = re.compile(r"https?://[^\s]+/sso/reset/([A-Za-z0-9_\-]+)")


# -- setup -----------------------------------------------------------------------------------------
@pytest.fixture
def eplan(db):
    """e-Plan at the SSO, allowed every role (the demo's registration): the SSO must still refuse."""
    client = oidc_clients.ensure_client(
        "eplan",
        name="e-Plan",
        redirect_uris=["http://localhost/auth/oidc/callback"],
        allowed_roles=list(ROLE_NAMES),
    )
    db.session.commit()
    return client


@pytest.fixture
def admin_account(world, db):
    """The LAO SSO admin's own SSO account, active (as the province approved it)."""
    account = Account(user_id=world.sso_admin.id, organisation_id=world.sao_a.id, requested_role="sso_admin")
    engine.start(account, None)
    account.status = "active"
    db.session.commit()
    return account


def sso_login(client, user, password: str = "pw"):
    """Sign in through the SSO's own sign-in page; the session is fresh (a recent proof of identity)."""
    response = client.post("/sso/login?lang=en", data={"email": user.email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


def age_the_sign_in(client, seconds: int = 3600) -> None:
    """As if the sign-in happened ``seconds`` ago (an admin who left the screen open)."""
    with client.session_transaction() as session:
        session["sso_auth_time"] = int(time.time()) - seconds
        session.pop("oidc_auth_time", None)


def back_office(client, login_as, user, *, recent: bool = True):
    login_as(user)
    with client.session_transaction() as session:
        session["lang"] = "en"
        if recent:
            session["sso_auth_time"] = int(time.time())
    return client


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(db, chain: str) -> list[str]:
    return list(
        db.session.execute(
            select(AuditEvent.action).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).scalars()
    )


def grants_of(db, user) -> set[tuple[str, int]]:
    return {
        tuple(row)
        for row in db.session.execute(
            select(RoleGrant.role, RoleGrant.organisation_id).where(RoleGrant.user_id == user.id)
        )
    }


# -- role grants -----------------------------------------------------------------------------------
def test_an_sso_admin_cannot_grant_themself_a_role_in_the_back_office(world, db, client, login_as):
    own_grant = db.session.execute(
        select(RoleGrant).where(RoleGrant.user_id == world.sso_admin.id)
    ).scalar_one()
    colleague_grant = db.session.execute(
        select(RoleGrant).where(RoleGrant.user_id == world.executive.id)
    ).scalar_one()
    back_office(client, login_as, world.sso_admin)
    before_grants, before_events = grants_of(db, world.sso_admin), count(db, AuditEvent)

    listing = client.get("/admin/role_grants/").get_data(as_text=True)
    assert "คุณ a_executive" in listing  # they still read the grants
    assert "/admin/role_grants/new/" not in listing and "/admin/role_grants/edit/" not in listing
    assert client.get("/admin/role_grants/new/").status_code != 200
    client.post(
        "/admin/role_grants/new/",
        data={
            "user": str(world.sso_admin.id),
            "organisation": str(world.sao_a.id),
            "role": "executive",
        },
    )
    # Nor by turning their own grant into another role, or taking the executive's away.
    client.post(
        f"/admin/role_grants/edit/?id={own_grant.id}",
        data={
            "user": str(world.sso_admin.id),
            "organisation": str(world.sao_a.id),
            "role": "executive",
        },
    )
    client.post("/admin/role_grants/delete/", data={"id": str(colleague_grant.id)})
    client.post("/admin/role_grants/action/", data={"action": "delete", "rowid": [str(colleague_grant.id)]})

    db.session.expire_all()
    assert grants_of(db, world.sso_admin) == before_grants == {("sso_admin", world.sao_a.id)}
    assert db.session.get(RoleGrant, colleague_grant.id) is not None
    assert count(db, AuditEvent) == before_events
    # And so the plan cannot be announced by them: the engine sees no executive role.
    assert "executive" not in {g.role for g in db.session.get(User, world.sso_admin.id).grants}


def test_an_sso_admin_cannot_approve_their_own_access_request_anywhere(
    world, db, client, login_as, eplan, admin_account
):
    sso_login(client, world.sso_admin)
    asked = client.post("/sso/access", data={"system_role": "eplan:executive"})
    assert asked.status_code == 303
    access = db.session.execute(
        select(SystemAccess).where(SystemAccess.user_id == world.sso_admin.id)
    ).scalar_one()
    assert (access.role, access.status) == ("executive", "requested")
    assert client.post("/sso/reauth", data={"password": "pw"}).status_code == 303  # recent, on purpose
    chain = engine.chain_for(access)
    events_before = audit_actions(db, chain)

    # The SSO's approval pages: the item page, then the inbox's bulk form.
    page = client.post(
        f"/sso/approvals/access/{access.id}/decide",
        data={"decision": "approve", "expected_version": access.version},
        follow_redirects=True,
    )
    assert "Nothing was changed" in page.get_data(as_text=True)
    client.post("/sso/approvals/bulk", data={"kind": "access", "decision": "approve", "ids": [access.id]})
    assert f"/sso/approvals/access/{access.id}" not in client.get("/sso/approvals").get_data(as_text=True)
    # The back office's bulk action.
    back_office(client, login_as, world.sso_admin)
    bulk = client.post(
        "/admin/system_access/action/",
        data={"action": "approve", "rowid": [access.id]},
        follow_redirects=True,
    )
    assert f"Item #{access.id} was not changed" in bulk.get_data(as_text=True)
    # The JSON API and the generic workflow page.
    api = client.post(
        f"/api/v1/instances/system_access/{access.id}/fire",
        json={"trigger": "approve", "expected_version": access.version},
    )
    assert api.status_code in (401, 403)
    client.post(
        f"/instances/system_access/{access.id}/fire",
        data={"trigger": "approve", "expected_version": access.version, "comment": ""},
    )

    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "requested"
    assert audit_actions(db, chain) == events_before
    assert grants_of(db, world.sso_admin) == {("sso_admin", world.sao_a.id)}


def test_an_sso_admin_cannot_grant_a_colleague_a_role_above_their_own(world, db, client, login_as, eplan):
    # A colleague asks the SSO to make her the LAO's SSO admin: the chain of trust names the province.
    colleague, account = applicant(world.sao_a, requested_role="sso_admin", name="นางสาวเพื่อน ร่วมงาน")
    # A member asks e-Plan for an oversight role through the real page: refused before it exists.
    member, _ = applicant(world.sao_a, status="active", approver=world.sso_admin)
    sso_login(client, member)
    client.post("/sso/access", data={"system_role": "eplan:provincial_officer"})
    client.post("/sso/access", data={"system_role": "eplan:dla_admin"})
    assert count(db, SystemAccess, SystemAccess.user_id == member.id) == 0
    # A request row for an oversight role written outside the form (an older version, a database
    # edit): approving it would grant that role, so the approval is refused even so.
    forged = SystemAccess(
        user_id=member.id, client_id="eplan", organisation_id=world.sao_a.id, role="provincial_officer"
    )
    engine.start(forged, member)
    db.session.commit()
    account_events, forged_events = (
        audit_actions(db, f"account:{account.id}"),
        audit_actions(db, engine.chain_for(forged)),
    )

    sso_login(client, world.sso_admin)
    client.post(
        f"/sso/approvals/accounts/{account.id}/decide",
        data={"decision": "approve", "expected_version": account.version},
    )
    client.post("/sso/approvals/bulk", data={"kind": "account", "decision": "approve", "ids": [account.id]})
    refused = client.post(
        f"/sso/approvals/access/{forged.id}/decide",
        data={"decision": "approve", "expected_version": forged.version},
        follow_redirects=True,
    )
    assert "Nothing was changed" in refused.get_data(as_text=True)
    back_office(client, login_as, world.sso_admin)
    for view, row in (("sso_accounts", account), ("system_access", forged)):
        client.post(f"/admin/{view}/action/", data={"action": "approve", "rowid": [row.id]})

    db.session.expire_all()
    assert db.session.get(Account, account.id).status == "awaiting_approval"
    assert db.session.get(SystemAccess, forged.id).status == "requested"
    assert audit_actions(db, f"account:{account.id}") == account_events
    assert audit_actions(db, engine.chain_for(forged)) == forged_events
    assert grants_of(db, colleague) == set() and grants_of(db, member) == set()

    # The provincial office, whom the chain of trust names, does approve the new LAO admin.
    sso_login(client, world.provincial_officer)
    client.post(
        f"/sso/approvals/accounts/{account.id}/decide",
        data={"decision": "approve", "expected_version": account.version},
    )
    db.session.expire_all()
    assert grants_of(db, colleague) == {("sso_admin", world.sao_a.id)}


def test_an_approval_without_a_recent_reauthentication_is_refused(world, db, client, login_as, eplan):
    _, _, access = member_with_access_request(world.sao_a, world.sso_admin, role="executive")
    chain = engine.chain_for(access)
    before = audit_actions(db, chain)

    sso_login(client, world.sso_admin)
    age_the_sign_in(client)
    response = client.post(
        f"/sso/approvals/access/{access.id}/decide",
        data={"decision": "approve", "expected_version": access.version},
    )
    assert response.headers["Location"].startswith("/sso/reauth?next=")
    client.post("/sso/approvals/bulk", data={"kind": "access", "decision": "approve", "ids": [access.id]})
    back_office(client, login_as, world.sso_admin, recent=False)
    bulk = client.post(
        "/admin/system_access/action/",
        data={"action": "approve", "rowid": [access.id]},
        follow_redirects=True,
    )
    assert "/sso/reauth?next=" in bulk.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "requested"
    assert audit_actions(db, chain) == before

    # With the password given again on the re-authentication page, the same approval goes through.
    sso_login(client, world.sso_admin)
    age_the_sign_in(client)
    assert client.post("/sso/reauth", data={"password": "pw"}).status_code == 303
    client.post(
        f"/sso/approvals/access/{access.id}/decide",
        data={"decision": "approve", "expected_version": access.version},
    )
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "approved"


# -- passwords -------------------------------------------------------------------------------------
def test_no_administrator_can_set_another_persons_password_or_address(world, db, client, login_as):
    victim = world.planner
    hash_before, email_before = victim.password_hash, victim.email
    back_office(client, login_as, world.sso_admin)
    form = client.get(f"/admin/users/edit/?id={victim.id}").get_data(as_text=True)
    assert 'name="full_name"' in form  # the admin still edits what is theirs to edit
    assert 'name="password"' not in form and 'type="password"' not in form and 'name="email"' not in form

    client.post(
        f"/admin/users/edit/?id={victim.id}",
        data={
            "username": victim.username,
            "full_name": victim.full_name,
            "position": "",
            "organisation": str(world.sao_a.id),
            "is_enabled": "y",
            "locale": "th",
            "password": ATTACKERS_CHOICE,
            "email": "attacker@evil.example",
        },
    )
    client.post(
        "/admin/users/new/",
        data={
            "username": "a_puppet",
            "full_name": "หุ่นเชิด",
            "position": "",
            "organisation": str(world.sao_a.id),
            "is_enabled": "y",
            "locale": "th",
            "password": ATTACKERS_CHOICE,
            "email": "puppet@evil.example",
        },
    )
    with pytest.raises(InvalidInput):
        directory.update_user(world.sso_admin, victim.id, password=ATTACKERS_CHOICE)
    with pytest.raises(InvalidInput):
        directory.update_user(world.sso_admin, victim.id, email="attacker@evil.example")

    db.session.expire_all()
    after = db.session.get(User, victim.id)
    assert (after.password_hash, after.email) == (hash_before, email_before)
    puppet = db.session.execute(select(User).where(User.username == "a_puppet")).scalar_one_or_none()
    assert puppet is None or (puppet.password_hash is None and puppet.email is None)
    refused = client.post("/sso/login?lang=en", data={"email": victim.email, "password": ATTACKERS_CHOICE})
    assert refused.status_code != 303
    with client.session_transaction() as session:
        assert session.get("sso_uid") != victim.id
    assert not any(
        "password" in (e.data or {})
        for e in db.session.execute(
            select(AuditEvent).where(AuditEvent.chain == f"user:{victim.id}")
        ).scalars()
    )


def _confirm(db, *people):
    for person in people:
        person.email_confirmed_at = utcnow()
    db.session.commit()


def test_a_reset_link_goes_only_to_her_confirmed_email_and_works_once(world, db, client, login_as):
    victim, unconfirmed = world.planner, world.executive
    _confirm(db, victim)
    bystander = client.application.test_client()
    sso_login(bystander, victim)  # a session of hers that the reset must end
    hash_before = db.session.get(User, victim.id).password_hash

    back_office(client, login_as, world.sso_admin)
    sent = client.post(
        "/admin/users/action/",
        data={
            "action": "send_password_reset",
            "rowid": [victim.id, unconfirmed.id],
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "/sso/reset/" not in sent
    messages = db.session.execute(select(EmailMessage)).scalars().all()
    assert [(m.to, m.user_id) for m in messages] == [(victim.email, victim.id)]
    token = RESET_LINK.search(messages[0].body).group(1)
    row = db.session.execute(select(PasswordReset)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    assert row.requested_by_id == world.sso_admin.id and row.sent_to == victim.email
    assert audit_actions(db, f"auth:{victim.id}")[-1] == "password_reset_sent"
    # Even DLA, who reads the email outbox, does not read the link.
    back_office(client, login_as, world.dla_admin)
    outbox = client.get(f"/admin/email/details/?id={messages[0].id}").get_data(as_text=True)
    assert "/sso/reset/" in outbox and token not in outbox

    # The link shows a form (a mail scanner's GET changes nothing), then sets the password once.
    reader = client.application.test_client()
    assert reader.get(f"/sso/reset/{token}").status_code == 200
    assert db.session.get(PasswordReset, row.id).used_at is None
    done = reader.post(f"/sso/reset/{token}", data={"password": STRONG, "password_again": STRONG})
    assert done.status_code == 303 and done.headers["Location"].startswith("/sso/login")
    db.session.expire_all()
    new_hash = db.session.get(User, victim.id).password_hash
    assert new_hash != hash_before
    again = reader.post(
        f"/sso/reset/{token}", data={"password": ATTACKERS_CHOICE, "password_again": ATTACKERS_CHOICE}
    )
    assert again.status_code == 400 and reader.get(f"/sso/reset/{token}").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, victim.id).password_hash == new_hash
    assert token not in db.session.get(EmailMessage, messages[0].id).body
    assert audit_actions(db, f"auth:{victim.id}")[-1] == "password_reset"

    # Her earlier session ended; the new password signs her in, the old one no longer does.
    assert bystander.get("/sso/").status_code == 302
    assert (
        client.application.test_client()
        .post("/sso/login", data={"email": victim.email, "password": "pw"})
        .status_code
        != 303
    )
    sso_login(client.application.test_client(), victim, STRONG)


def test_forgot_password_answers_alike_and_mails_only_a_confirmed_address(world, db, client):
    _confirm(db, world.planner)
    answers = [
        client.post("/sso/forgot?lang=en", data={"email": email}, follow_redirects=True).get_data(
            as_text=True
        )
        for email in (world.planner.email, world.executive.email, "nobody@nowhere.example")
    ]
    assert all("If this address belongs to an account" in a for a in answers)
    assert [m.to for m in db.session.execute(select(EmailMessage)).scalars()] == [world.planner.email]
    # Asked again at once: no second email to flood her inbox, the same answer.
    client.post("/sso/forgot", data={"email": world.planner.email.upper()})
    assert count(db, EmailMessage) == 1 and count(db, PasswordReset) == 1


def test_an_expired_or_replaced_link_sets_nothing(world, db, client, login_as):
    victim = world.planner
    _confirm(db, victim)
    hash_before = victim.password_hash
    back_office(client, login_as, world.sso_admin)
    client.post("/admin/users/action/", data={"action": "send_password_reset", "rowid": [victim.id]})
    client.post("/admin/users/action/", data={"action": "send_password_reset", "rowid": [victim.id]})
    first, second = [
        RESET_LINK.search(m.body).group(1)
        for m in db.session.execute(select(EmailMessage).order_by(EmailMessage.id)).scalars()
    ]
    reader = client.application.test_client()
    replaced = reader.post(f"/sso/reset/{first}", data={"password": STRONG, "password_again": STRONG})
    assert replaced.status_code == 400
    newest = db.session.execute(select(PasswordReset).order_by(PasswordReset.id.desc())).scalars().first()
    newest.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    expired = reader.post(f"/sso/reset/{second}", data={"password": STRONG, "password_again": STRONG})
    assert expired.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, victim.id).password_hash == hash_before


def test_a_weak_new_password_is_refused_and_the_link_still_works(world, db, client):
    _confirm(db, world.planner)
    hash_before = world.planner.password_hash
    client.post("/sso/forgot", data={"email": world.planner.email})
    token = RESET_LINK.search(db.session.execute(select(EmailMessage.body)).scalar_one()).group(1)
    weak = client.post(
        f"/sso/reset/{token}?lang=en", data={"password": "password123", "password_again": "password123"}
    )
    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.planner.id).password_hash == hash_before
    assert (
        client.post(f"/sso/reset/{token}", data={"password": STRONG, "password_again": STRONG}).status_code
        == 303
    )
