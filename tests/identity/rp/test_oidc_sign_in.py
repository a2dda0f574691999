"""e-Plan signs in through the SSO over real HTTP: redirects, the code exchange with PKCE, ID-token
checks, revalidation by token refresh, and logout at both ends. The browser is a requests.Session."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select, update

from eplan_flow.extensions import db
from eplan_flow.models import AuditEvent, OAuth2Token, RoleGrant, SignInSession, SystemAccess, User
from eplan_flow.services.identity import approvals
from tests.factories import build_world
from tests.identity.rp.helpers import (
    actions,
    claimed_roles,
    planner_with_access,
    register_eplan,
    session_of,
    sso_sign_in,
)


@pytest.fixture
def scene(make_live_server):
    server = make_live_server(SSO_REVALIDATE_SECONDS=0)
    with server.app.app_context():
        world = build_world()
        register_eplan(server)
        person, access = planner_with_access(world)
        ids = {"person": person.id, "email": person.email, "access": access.id, "admin": world.sso_admin.id}
    browser = requests.Session()
    browser.get(f"{server.url}/auth/login?lang=en")
    return server, browser, ids


def test_signing_in_goes_through_the_sso_and_brings_the_approved_planner_role(scene):
    server, browser, ids = scene
    sso_sign_in(browser, server, ids["email"])
    response = browser.get(f"{server.url}/auth/oidc/login", params={"next": "/workflows"})
    assert response.status_code == 200
    assert urlsplit(response.url).path == "/workflows"
    hops = [urlsplit(r.headers["Location"]).path for r in response.history]
    assert hops == ["/oidc/authorize", "/auth/oidc/callback", "/workflows"]
    authorize = parse_qs(urlsplit(response.history[0].headers["Location"]).query)
    assert authorize["code_challenge_method"] == ["S256"] and authorize["nonce"] and authorize["state"]
    assert authorize["scope"] == ["openid profile email eplan"]

    with server.app.app_context():
        person = db.session.get(User, ids["person"])
        assert claimed_roles(person.id) == {("planner", "claims")}
        assert (person.sso_issuer, person.sso_subject) == (server.url, str(person.id))
        assert "login" in actions(person.id)
    # What the session keeps: e-Plan's sign-in, the SSO's own, and the tokens sealed, not readable.
    kept = session_of(server, browser)
    assert kept["_user_id"] == str(ids["person"]) and kept["sso_uid"] == ids["person"]
    assert kept["oidc"]["sub"] == str(ids["person"]) and kept["oidc"]["tokens"].startswith("gAAAAA")
    assert "eyJ" not in str(kept)  # no JWT (ID token) in clear
    assert isinstance(kept["oidc_auth_time"], int)
    assert not [key for key in kept if key.startswith("_state_")]


def test_a_revoked_access_ends_the_e_plan_sign_in_and_the_sso_session_at_once(scene):
    server, browser, ids = scene
    sso_sign_in(browser, server, ids["email"])
    assert urlsplit(browser.get(f"{server.url}/auth/oidc/login").url).path == "/"
    assert browser.get(f"{server.url}/workflows").status_code == 200  # revalidated (refresh) and kept

    with server.app.app_context():
        approvals.revoke_access(
            db.session.get(User, ids["admin"]), ids["access"], auth_time=time.time(), comment="ย้ายไปกองคลัง"
        )
    # Ended on the server with the decision, not at the next token refresh.
    response = browser.get(f"{server.url}/workflows")
    assert urlsplit(response.url).path == "/auth/login"
    assert "Your sign-in has ended" in response.text
    assert (
        urlsplit(browser.get(f"{server.url}/", allow_redirects=False).headers["Location"]).path
        == "/auth/login"
    )
    with server.app.app_context():
        assert claimed_roles(ids["person"]) == set()
        assert db.session.get(SystemAccess, ids["access"]).status == "revoked"
        tokens = (
            db.session.execute(select(OAuth2Token).where(OAuth2Token.user_id == ids["person"]))
            .scalars()
            .all()
        )
        assert tokens and all(t.refresh_token_revoked_at for t in tokens)
    # The SSO session ended with it (services.sessions.end_all_sessions).
    assert urlsplit(browser.get(f"{server.url}/sso/").url).path == "/sso/login"


def test_a_refresh_the_sso_refuses_ends_the_e_plan_sign_in_at_the_next_revalidation(scene):
    server, browser, ids = scene
    sso_sign_in(browser, server, ids["email"])
    browser.get(f"{server.url}/auth/oidc/login")
    with server.app.app_context():
        # What an SSO elsewhere does without telling e-Plan: the refresh tokens stop working.
        db.session.execute(
            update(OAuth2Token)
            .where(OAuth2Token.user_id == ids["person"])
            .values(access_token_revoked_at=1, refresh_token_revoked_at=1)
        )
        db.session.commit()
    response = browser.get(f"{server.url}/workflows")
    assert urlsplit(response.url).path == "/auth/login"
    assert "Your Single Sign-On session has ended or your access was withdrawn" in response.text
    with server.app.app_context():
        assert claimed_roles(ids["person"]) == set()
        ended = (
            db.session.execute(
                select(AuditEvent).where(
                    AuditEvent.chain == f"user:{ids['person']}", AuditEvent.action == "sso_session_ended"
                )
            )
            .scalars()
            .all()
        )
        assert ended and ended[-1].data["reason"] == "invalid_grant"
        row = db.session.execute(select(SignInSession).where(SignInSession.kind == "eplan")).scalar_one()
        assert row.end_reason == "invalid_grant"


def test_a_suspended_account_is_signed_out_of_e_plan_and_the_sso_at_once(scene):
    server, browser, ids = scene
    sso_sign_in(browser, server, ids["email"])
    browser.get(f"{server.url}/auth/oidc/login")
    with server.app.app_context():
        account_id = approvals.active_account_of(ids["person"]).id
        approvals.suspend_account(
            db.session.get(User, ids["admin"]), account_id, auth_time=time.time(), comment="พักราชการ"
        )
    response = browser.get(f"{server.url}/workflows")
    assert urlsplit(response.url).path == "/auth/login"
    assert "Your sign-in has ended" in response.text
    with server.app.app_context():
        assert claimed_roles(ids["person"]) == set()
        rows = db.session.execute(
            select(SignInSession).where(SignInSession.user_id == ids["person"])
        ).scalars()
        assert {(r.kind, r.end_reason) for r in rows} == {
            ("sso", "account_suspended"),
            ("eplan", "account_suspended"),
        }


def test_signing_out_of_e_plan_ends_the_sso_session_and_its_tokens(scene):
    server, browser, ids = scene
    sso_sign_in(browser, server, ids["email"])
    browser.get(f"{server.url}/auth/oidc/login")
    response = browser.post(f"{server.url}/auth/logout")
    logout_hop = urlsplit(response.history[0].headers["Location"])
    assert logout_hop.path == "/oidc/logout"
    sent = parse_qs(logout_hop.query)
    assert sent["post_logout_redirect_uri"] == [f"{server.url}/"] and sent["id_token_hint"][0].startswith(
        "eyJ"
    )
    # Back home, signed out of both: e-Plan sends to its sign-in page, the SSO to its own.
    assert urlsplit(response.url).path == "/auth/login"
    assert urlsplit(browser.get(f"{server.url}/sso/").url).path == "/sso/login"
    kept = session_of(server, browser)
    assert "oidc" not in kept and "_user_id" not in kept and "sso_uid" not in kept
    with server.app.app_context():
        tokens = (
            db.session.execute(select(OAuth2Token).where(OAuth2Token.user_id == ids["person"]))
            .scalars()
            .all()
        )
        assert tokens and all(t.refresh_token_revoked_at for t in tokens)
        assert "logout" in actions(ids["person"])


def test_with_the_development_login_off_only_the_sso_signs_in_and_a_fresh_sso_sign_in_comes_back(
    make_live_server,
):
    server = make_live_server(DEV_LOGIN_ENABLED=False)
    with server.app.app_context():
        world = build_world()
        register_eplan(server)
        person, _access = planner_with_access(world)
        email, name = person.email, person.full_name
    browser = requests.Session()
    page = browser.get(f"{server.url}/auth/login?lang=en")
    assert "Sign in with SSO" in page.text and 'type="password"' not in page.text
    assert (
        browser.post(f"{server.url}/auth/login", data={"username": "a_planner", "password": "pw"}).status_code
        == 404
    )

    # A protected page goes straight to the SSO, whose sign-in page asks for the password.
    sso_page = browser.get(f"{server.url}/workflows")
    assert urlsplit(sso_page.url).path == "/sso/login"
    assert [urlsplit(r.headers["Location"]).path for r in sso_page.history] == [
        "/auth/oidc/login",
        "/oidc/authorize",
        "/sso/login",
    ]
    back = browser.post(sso_page.url, data={"email": email, "password": "pw"})
    assert back.status_code == 200 and name in back.text
    assert urlsplit(back.url).path in ("/", "/workflows")


def test_a_callback_with_a_forged_state_never_redeems_its_code(scene):
    server, browser, ids = scene
    with server.app.app_context():
        before = db.session.query(OAuth2Token).count()
    # No pending sign-in and no SSO session: the retry ends at the SSO's sign-in page, no one signed in.
    response = browser.get(f"{server.url}/auth/oidc/callback", params={"code": "stolen", "state": "forged"})
    assert urlsplit(response.url).path == "/sso/login"
    assert "_user_id" not in session_of(server, browser)
    # A second forged callback is not retried again: it is refused with a message.
    browser.get(f"{server.url}/auth/oidc/callback", params={"code": "stolen", "state": "forged"})
    refused = browser.get(f"{server.url}/auth/oidc/callback", params={"code": "stolen", "state": "forged"})
    assert urlsplit(refused.url).path in ("/auth/login", "/sso/login")
    with server.app.app_context():
        assert db.session.query(OAuth2Token).count() == before


def test_a_person_without_an_e_plan_role_is_told_so_and_not_signed_in(scene):
    server, browser, ids = scene
    with server.app.app_context():
        approvals.revoke_access(
            db.session.get(User, ids["admin"]), ids["access"], auth_time=time.time(), comment="ไม่ใช้แล้ว"
        )
    sso_sign_in(browser, server, ids["email"])
    response = browser.get(f"{server.url}/auth/oidc/login")
    assert urlsplit(response.url).path == "/auth/login"
    assert "Your Single Sign-On account has no e-Plan role yet" in response.text
    assert "_user_id" not in session_of(server, browser)
    with server.app.app_context():
        assert actions(ids["person"])[-1] == "login_failed"


def test_a_confidential_e_plan_client_authenticates_with_its_secret(make_live_server):
    server = make_live_server(SSO_CLIENT_SECRET="eplan-secret-for-tests", SSO_REVALIDATE_SECONDS=0)
    with server.app.app_context():
        world = build_world()
        register_eplan(server, secret="eplan-secret-for-tests")
        person, _access = planner_with_access(world)
        email, person_id = person.email, person.id
    browser = requests.Session()
    sso_sign_in(browser, server, email)
    assert urlsplit(browser.get(f"{server.url}/auth/oidc/login").url).path == "/"
    assert browser.get(f"{server.url}/workflows").status_code == 200  # a refresh with the secret too
    with server.app.app_context():
        assert claimed_roles(person_id) == {("planner", "claims")}


def test_parallel_requests_of_one_browser_share_one_refresh_and_stay_signed_in(scene):
    server, browser, ids = scene
    sso_sign_in(browser, server, ids["email"])
    browser.get(f"{server.url}/auth/oidc/login")
    cookie = browser.cookies.get("session", domain="127.0.0.1")

    def tab(_):
        other = requests.Session()
        other.cookies.set("session", cookie, domain="127.0.0.1")
        response = other.get(f"{server.url}/workflows", allow_redirects=False)
        return response.status_code, other.cookies.get("session", domain="127.0.0.1")

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(tab, range(4)))
    assert [status for status, _ in answers] == [200] * 4
    # Every tab got the same successor token: any of their cookies refreshes again next time.
    browser.cookies.set("session", answers[-1][1], domain="127.0.0.1")
    assert browser.get(f"{server.url}/workflows", allow_redirects=False).status_code == 200
    with server.app.app_context():
        assert "sso_session_ended" not in actions(ids["person"])


def test_a_role_revoked_at_a_separate_sso_leaves_e_plan_at_the_next_refresh_and_the_rest_stays(scene):
    server, browser, ids = scene
    with server.app.app_context():
        person, admin = db.session.get(User, ids["person"]), db.session.get(User, ids["admin"])
        second = approvals.request_access(person, person, "eplan", "executive")
        approvals.approve_access(admin, second.id, auth_time=time.time())
    sso_sign_in(browser, server, ids["email"])
    browser.get(f"{server.url}/auth/oidc/login")
    with server.app.app_context():
        assert claimed_roles(ids["person"]) == {("planner", "claims"), ("executive", "claims")}
        approvals.revoke_access(
            db.session.get(User, ids["admin"]), ids["access"], auth_time=time.time(), comment="เปลี่ยนหน้าที่"
        )
        # Where e-Plan keeps its own database, the SSO's revocation cannot touch e-Plan's copy:
        # put it back, so only the token refresh can take it away.
        org = db.session.get(User, ids["person"]).organisation
        org_id, org_code = org.id, org.code
        db.session.add(
            RoleGrant(user_id=ids["person"], organisation_id=org_id, role="planner", source="claims")
        )
        db.session.commit()
    assert browser.get(f"{server.url}/workflows", allow_redirects=False).status_code == 200
    with server.app.app_context():
        assert claimed_roles(ids["person"]) == {("executive", "claims")}
        synced = (
            db.session.execute(
                select(AuditEvent).where(
                    AuditEvent.chain == f"user:{ids['person']}", AuditEvent.action == "roles_synced"
                )
            )
            .scalars()
            .all()
        )
        assert synced[-1].data["removed"] == [f"planner@{org_code}"]
