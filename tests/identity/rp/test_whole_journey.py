"""The whole journey through real redirects, as docs/DOMAIN.md §2 tells it: register at the SSO → confirm
the email address by its link → verify with (the stand-in) ThaiD → the LAO's SSO admin approves →
ask for e-Plan as planner → the admin approves → sign in to e-Plan → the planner role is there.

Two browsers (requests.Session): the applicant and the LAO's SSO admin. Nothing is set up behind
the pages' backs except the country (organisations, the admin) and e-Plan's registration at the SSO.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
from sqlalchemy import select

from eplan_flow.extensions import db
from eplan_flow.models import Account, EmailMessage, RoleGrant, SystemAccess, User
from eplan_flow.thaid_dev.citizens import SAMPLE_CITIZENS
from tests.factories import build_world
from tests.identity.rp.helpers import register_eplan

PASSWORD = "Nong-Loeng!Plan#2569"


def path(response) -> str:
    return urlsplit(response.url).path


def status_of(model, **where) -> str:
    return db.session.execute(select(model.status).filter_by(**where)).scalar_one()


def test_a_new_planner_goes_from_registration_to_e_plan_with_the_planner_role(make_live_server):
    server = make_live_server()
    citizen = SAMPLE_CITIZENS[0]
    email = "somchai.planner@nongloeng.example"
    with server.app.app_context():
        world = build_world()
        register_eplan(server)
        lao_id, lao_code, admin_email = world.sao_a.id, world.sao_a.code, world.sso_admin.email

    person = requests.Session()
    person.get(f"{server.url}/sso/login?lang=en")

    # 1. Register at the SSO, at the LAO found by its code.
    found = person.get(f"{server.url}/sso/register", params={"q": lao_code})
    assert found.status_code == 200 and lao_code in found.text
    registered = person.post(
        f"{server.url}/sso/register",
        params={"org": lao_id},
        data={
            "organisation_id": str(lao_id),
            "title": citizen.title_th,
            "first_name": citizen.given_name,
            "last_name": citizen.family_name,
            "phone": "0812345678",
            "position": "นักวิเคราะห์นโยบายและแผน",
            "requested_role": "member",
            "citizen_id": citizen.pid,
            "email": email,
            "password": PASSWORD,
            "password_again": PASSWORD,
            "birth_date": citizen.birthdate.strftime("%d/%m/") + str(citizen.birthdate.year + 543),
        },
    )
    # The same "check your email" answer whether or not the address or number was known: not signed in.
    assert registered.status_code == 200 and path(registered) == "/sso/register/sent", registered.text[:500]
    with server.app.app_context():
        user_id = db.session.execute(select(User.id).where(User.email == email)).scalar_one()
        assert status_of(Account, user_id=user_id) == "registered"
        # 2. The confirmation email (kept in the outbox table: no mail server in tests).
        mail = db.session.execute(select(EmailMessage).where(EmailMessage.to == email)).scalars().one()
        link = re.search(r"https?://\S+/sso/confirm/\S+", mail.body).group(0)
    assert link.startswith(server.url)
    assert person.get(link).status_code == 200  # a page with a button: opening the link changes nothing
    confirmed = person.post(link)
    assert confirmed.status_code == 200 and path(confirmed) == "/sso/login"
    with server.app.app_context():
        assert status_of(Account, user_id=user_id) == "email_confirmed"
    assert (
        path(person.post(f"{server.url}/sso/login", data={"email": email, "password": PASSWORD})) == "/sso/"
    )

    # 3. Verify with the stand-in ThaiD: pick the same citizen on its page.
    to_thaid = person.post(f"{server.url}/sso/verify/thaid")
    assert path(to_thaid) == "/dev/thaid/authorize" and citizen.name in to_thaid.text
    verified = person.post(to_thaid.url, data={"citizen": citizen.key})
    assert path(verified) == "/sso/verify/thaid", verified.text[:500]
    with server.app.app_context():
        assert status_of(Account, user_id=user_id) == "awaiting_approval"
        account_id = db.session.execute(select(Account.id).filter_by(user_id=user_id)).scalar_one()

    # 4. The LAO's SSO admin signs in, re-authenticates and approves the account.
    admin = requests.Session()
    admin.get(f"{server.url}/sso/login?lang=en")
    assert (
        path(admin.post(f"{server.url}/sso/login", data={"email": admin_email, "password": "pw"})) == "/sso/"
    )
    assert path(admin.post(f"{server.url}/sso/reauth", data={"password": "pw"})) == "/sso/"
    inbox = admin.get(f"{server.url}/sso/approvals")
    assert inbox.status_code == 200 and f"{citizen.given_name}" in inbox.text
    decided = admin.post(
        f"{server.url}/sso/approvals/accounts/{account_id}/decide",
        data={"decision": "approve", "comment": "ตรวจสอบตัวตนแล้ว"},
    )
    assert path(decided) == "/sso/approvals", decided.text[:500]
    with server.app.app_context():
        assert status_of(Account, id=account_id) == "active"

    # 5. The person asks for e-Plan as planner; 6. the admin approves that too.
    asked = person.post(f"{server.url}/sso/access", data={"system_role": "eplan:planner"})
    assert path(asked) == "/sso/access"
    with server.app.app_context():
        access_id = db.session.execute(
            select(SystemAccess.id).filter_by(user_id=user_id, client_id="eplan", role="planner")
        ).scalar_one()
        assert status_of(SystemAccess, id=access_id) == "requested"
    decided = admin.post(
        f"{server.url}/sso/approvals/access/{access_id}/decide", data={"decision": "approve"}
    )
    assert path(decided) == "/sso/approvals"
    with server.app.app_context():
        assert status_of(SystemAccess, id=access_id) == "approved"

    # 7. Sign in to e-Plan through the SSO (the person's SSO session answers at once).
    home = person.get(f"{server.url}/auth/oidc/login")
    assert home.status_code == 200 and path(home) == "/", home.text[:500]
    assert citizen.given_name in home.text
    me = person.get(f"{server.url}/api/v1/me", headers={"Accept": "application/json"}).json()
    assert me["auth"] == "session" and me["id"] == user_id
    assert [(r["role"], r["organisation"]["code"]) for r in me["roles"]] == [("planner", lao_code)]
    with server.app.app_context():
        grants = db.session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id)).scalars().all()
        assert [(g.role, g.source, g.organisation.code) for g in grants] == [("planner", "claims", lao_code)]
