"""Issue 9, items 3 and 8: a sign-in ends everywhere, and nobody else can end it.

Attacks performed: replaying a copied session cookie after sign-out, a password change, a disabled
account, a revoked access and a suspended account (on e-Plan and on the SSO); posting forged,
unsigned, foreign and replayed logout tokens to e-Plan's back-channel logout endpoint; and sending a
signed-in victim to the SSO's logout with the attacker's own valid ID token (logout CSRF).
"""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.sessions import SecureCookieSessionInterface
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from eplan_flow.auth.backchannel import BACKCHANNEL_LOGOUT_EVENT, BACKCHANNEL_LOGOUT_PATH
from eplan_flow.extensions import db as _db
from eplan_flow.jobs.worker import make_worker
from eplan_flow.models import (
    AuditEvent,
    OAuth2AuthorizationCode,
    OAuth2Token,
    OutboxMessage,
    SignInSession,
    User,
)
from eplan_flow.models._types import utcnow
from eplan_flow.services.directory import organisations as directory
from eplan_flow.services.identity import approvals, keys, password_reset, sessions
from eplan_flow.services.identity.tokens import session_digest
from tests.conftest import make_app
from tests.factories import build_world
from tests.identity.approvals.helpers import eplan_client
from tests.identity.rp.helpers import planner_with_access, register_eplan, session_of, sso_sign_in

EPLAN_PAGE = "/workflows"


def snapshot() -> dict:
    """What an attacker replaying a cookie could change: sessions, tokens, codes, the audit trail."""
    _db.session.expire_all()

    def count(model, *where):
        return _db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

    return {
        "live_sessions": count(SignInSession, SignInSession.ended_at.is_(None)),
        "sessions": count(SignInSession),
        "codes": count(OAuth2AuthorizationCode),
        "tokens": count(OAuth2Token),
        "audit": count(AuditEvent),
    }


def copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie (stolen, or another tab)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def refused_on_e_plan(browser) -> bool:
    response = browser.get(EPLAN_PAGE)
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"


def refused_on_the_sso(browser) -> bool:
    response = browser.get("/sso/")
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sso/login"


# -- a copied cookie dies with the session it copied ----------------------------------------------
@pytest.fixture
def signed_in(world, db, app, client):
    """A planner with e-Plan access, signed in to the SSO and to e-Plan in one browser."""
    eplan_client()
    person, access = planner_with_access(world)
    assert client.post("/sso/login", data={"email": person.email, "password": "pw"}).status_code == 303
    assert client.post("/auth/login", data={"username": person.username, "password": "pw"}).status_code == 302
    assert client.get(EPLAN_PAGE).status_code == 200 and client.get("/sso/").status_code == 200
    return SimpleNamespace(person_id=person.id, access_id=access.id, world=world, copy=copy_of(app, client))


def _sign_out(client, scene):
    assert client.post("/auth/logout").status_code == 302
    assert client.post("/sso/logout").status_code == 303


def _reset_password(client, scene):
    links = []
    person = _db.session.get(User, scene.person_id)
    password_reset.request_reset(person.email, link=links.append)
    password_reset.reset_password(links[0], "another Pass 2569")


def _disable(client, scene):
    directory.update_user(scene.world.dla_admin, scene.person_id, is_enabled=False)


def _revoke_access(client, scene):
    approvals.revoke_access(scene.world.sso_admin, scene.access_id, auth_time=time.time(), comment="ย้ายงาน")


def _suspend(client, scene):
    account = approvals.active_account_of(scene.person_id)
    approvals.suspend_account(scene.world.sso_admin, account.id, auth_time=time.time(), comment="พักราชการ")


ENDINGS = {
    "logout": _sign_out,
    "password_reset": _reset_password,
    "disabled": _disable,
    "access_revoked": _revoke_access,
    "account_suspended": _suspend,
}


@pytest.mark.parametrize("reason", list(ENDINGS))
def test_a_copied_session_cookie_is_refused_by_e_plan_and_the_sso_once_the_sign_in_ends(
    signed_in,
    client,
    db,
    reason,
):
    copy = signed_in.copy
    assert copy.get(EPLAN_PAGE).status_code == 200  # the copy works while the sign-in lasts

    ENDINGS[reason](client, signed_in)
    before = snapshot()
    assert refused_on_e_plan(copy) and refused_on_the_sso(copy)
    # Nor can the copy get a code for another system through the SSO.
    authorize = copy.get(
        "/oidc/authorize",
        query_string={
            "response_type": "code",
            "client_id": "eplan",
            "redirect_uri": "http://127.0.0.1:5000/auth/oidc/callback",
            "scope": "openid",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    )
    assert authorize.status_code in (302, 400)
    assert urlsplit(authorize.headers.get("Location", "")).path in ("", "/sso/login")
    assert refused_on_e_plan(client) and refused_on_the_sso(client)

    assert snapshot() == before
    rows = (
        db.session.execute(select(SignInSession).where(SignInSession.user_id == signed_in.person_id))
        .scalars()
        .all()
    )
    assert {r.kind for r in rows} == {"sso", "eplan"}
    assert all(r.ended_at is not None for r in rows)
    assert {r.end_reason for r in rows} == {reason}


def test_signing_out_of_e_plan_ends_only_that_session_and_not_the_persons_other_sign_ins(
    world,
    db,
    app,
    login_as,
):
    first = login_as(world.planner)
    second = app.test_client()
    assert (
        second.post("/auth/login", data={"username": world.planner.username, "password": "pw"}).status_code
        == 302
    )
    copy = copy_of(app, first)
    first.post("/auth/logout")
    assert refused_on_e_plan(copy) and refused_on_e_plan(first)
    assert second.get(EPLAN_PAGE).status_code == 200


def test_a_session_unused_for_longer_than_the_idle_timeout_or_older_than_its_lifetime_is_refused(
    world,
    db,
    app,
    login_as,
):
    client = login_as(world.planner)
    assert client.get(EPLAN_PAGE).status_code == 200
    row = db.session.execute(select(SignInSession)).scalar_one()
    idle = app.config["SSO_SESSION_IDLE_TIMEOUT"]
    row.last_seen_at = utcnow() - timedelta(seconds=idle + 5)
    db.session.commit()
    assert refused_on_e_plan(copy_of(app, client))

    client = login_as(world.planner_c)
    row = db.session.execute(
        select(SignInSession).where(SignInSession.user_id == world.planner_c.id)
    ).scalar_one()
    row.expires_at = row.created_at
    db.session.commit()
    assert refused_on_e_plan(client)


def test_the_sso_session_lasts_a_working_day_at_most_by_default(app):
    assert app.config["SSO_SESSION_LIFETIME"] <= 8 * 3600
    assert app.config["SSO_SESSION_IDLE_TIMEOUT"] <= 30 * 60


def test_the_sso_announces_back_channel_logout_with_session_ids_in_its_discovery_document(client):
    config = client.get("/.well-known/openid-configuration").get_json()
    assert config["backchannel_logout_supported"] is True
    assert config["backchannel_logout_session_supported"] is True


# -- back-channel logout, over real HTTP ------------------------------------------------------------
@pytest.fixture
def live(make_live_server):
    """e-Plan and its SSO on a live server (no revalidation during the test), e-Plan registered with
    its back-channel logout address; a planner signed in to both in ``browser``, and ``eplan_only``:
    a browser holding only e-Plan's part of the cookie (as when e-Plan and the SSO are two sites)."""
    server = make_live_server(SSO_REVALIDATE_SECONDS=3600)
    with server.app.app_context():
        world = build_world()
        register_eplan(server, backchannel_logout_uri=server.url + BACKCHANNEL_LOGOUT_PATH)
        person, _access = planner_with_access(world)
        victim, _access = planner_with_access(world)
        ids = SimpleNamespace(person=person.id, email=person.email, victim_email=victim.email)
    browser = requests.Session()
    sso_sign_in(browser, server, ids.email)
    assert urlsplit(browser.get(f"{server.url}/auth/oidc/login").url).path == "/"
    kept = session_of(server, browser)
    serializer = SecureCookieSessionInterface().get_signing_serializer(server.app)
    eplan_only = requests.Session()
    eplan_only.cookies.set(
        "session",
        serializer.dumps({k: v for k, v in kept.items() if not k.startswith("sso_")}),
        domain="127.0.0.1",
    )
    assert urlsplit(eplan_only.get(f"{server.url}{EPLAN_PAGE}").url).path == EPLAN_PAGE
    return SimpleNamespace(server=server, browser=browser, eplan_only=eplan_only, ids=ids, kept=kept)


def _eplan_rows(person_id: int) -> list[SignInSession]:
    _db.session.expire_all()
    return (
        _db.session.execute(
            select(SignInSession).where(SignInSession.user_id == person_id, SignInSession.kind == "eplan")
        )
        .scalars()
        .all()
    )


def test_signing_out_at_the_sso_ends_the_e_plan_session_through_back_channel_logout(live):
    server = live.server
    assert live.browser.post(f"{server.url}/sso/logout").status_code == 200
    with server.app.app_context():
        message = _db.session.execute(
            select(OutboxMessage).where(OutboxMessage.job == "send_backchannel_logout")
        ).scalar_one()
        assert message.state == "relayed" and message.kwargs["sid"] and message.kwargs["issuer"] == server.url
        assert [r.ended_at for r in _eplan_rows(live.ids.person)] == [None]  # not yet: the job sends it
    # Before the job runs e-Plan still answers; the worker posts the logout token to e-Plan.
    assert urlsplit(live.eplan_only.get(f"{server.url}{EPLAN_PAGE}").url).path == EPLAN_PAGE
    make_worker(server.app, fork=False).work(burst=True)

    response = live.eplan_only.get(f"{server.url}{EPLAN_PAGE}")
    assert urlsplit(response.url).path == "/auth/login"
    assert urlsplit(live.browser.get(f"{server.url}{EPLAN_PAGE}").url).path == "/auth/login"
    with server.app.app_context():
        (row,) = _eplan_rows(live.ids.person)
        assert row.end_reason == "backchannel_logout"
        ended = _db.session.execute(
            select(AuditEvent).where(
                AuditEvent.chain == f"user:{live.ids.person}", AuditEvent.action == "session_ended"
            )
        ).scalar_one()
        assert ended.data["reason"] == "backchannel_logout" and ended.data["issuer"] == server.url


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(live, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": live.server.url,
        "aud": "eplan",
        "iat": now,
        "exp": now + 120,
        "jti": f"jti-{time.time_ns()}",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        "sub": str(live.ids.person),
        "sid": session_digest(live.kept["sso_sid"]),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed_by_the_sso(live, claims: dict, header: dict | None = None) -> str:
    with live.server.app.app_context():
        key = keys.signing_key()
        _db.session.commit()
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "logout+jwt", **(header or {})}, claims, key)


FORGERIES = {
    "unsigned": lambda live: f"{_b64({'alg': 'none', 'typ': 'logout+jwt'})}.{_b64(_claims(live))}.",
    "signed_by_another_key_under_the_ssos_kid": lambda live: jwt.encode(
        {"alg": "RS256", "kid": _sso_kid(live), "typ": "logout+jwt"}, _claims(live), RSAKey.generate_key(2048)
    ),
    "wrong_issuer": lambda live: _signed_by_the_sso(live, _claims(live, iss="https://sso.attacker.example")),
    "wrong_audience": lambda live: _signed_by_the_sso(live, _claims(live, aud="another-rp")),
    "an_id_token_without_the_logout_event": lambda live: _signed_by_the_sso(live, _claims(live, events=None)),
    "with_a_nonce": lambda live: _signed_by_the_sso(live, _claims(live, nonce="n")),
    "stale": lambda live: _signed_by_the_sso(live, _claims(live, iat=int(time.time()) - 3600)),
    "naming_nobody": lambda live: _signed_by_the_sso(live, _claims(live, sub=None, sid=None)),
    "garbage": lambda live: "not-a-token",
}


def _sso_kid(live) -> str:
    with live.server.app.app_context():
        kid = keys.signing_key().kid
        _db.session.commit()
        return kid


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_or_foreign_logout_token_is_refused_and_ends_nothing(live, forgery):
    server = live.server
    with server.app.app_context():
        before = snapshot()
    response = requests.post(
        f"{server.url}{BACKCHANNEL_LOGOUT_PATH}", data={"logout_token": FORGERIES[forgery](live)}, timeout=10
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert response.headers["Cache-Control"] == "no-store"
    assert urlsplit(live.eplan_only.get(f"{server.url}{EPLAN_PAGE}").url).path == EPLAN_PAGE
    with server.app.app_context():
        assert [r.ended_at for r in _eplan_rows(live.ids.person)] == [None]
        after = snapshot()
    assert after == before


def test_a_genuine_logout_token_works_once_and_its_replay_is_refused(live):
    server = live.server
    token = _signed_by_the_sso(live, _claims(live))
    first = requests.post(f"{server.url}{BACKCHANNEL_LOGOUT_PATH}", data={"logout_token": token}, timeout=10)
    assert first.status_code == 200
    assert urlsplit(live.eplan_only.get(f"{server.url}{EPLAN_PAGE}").url).path == "/auth/login"

    # Signed in again; the captured token, sent again, ends nothing.
    assert urlsplit(live.browser.get(f"{server.url}/auth/oidc/login").url).path == "/"
    with server.app.app_context():
        before = snapshot()
    again = requests.post(f"{server.url}{BACKCHANNEL_LOGOUT_PATH}", data={"logout_token": token}, timeout=10)
    assert again.status_code == 400
    assert urlsplit(live.browser.get(f"{server.url}{EPLAN_PAGE}").url).path == EPLAN_PAGE
    with server.app.app_context():
        assert snapshot() == before


# -- logout CSRF ---------------------------------------------------------------------------------------
def test_the_sso_asks_before_signing_out_a_victim_sent_with_the_attackers_valid_id_token(live):
    server = live.server
    victim_email = live.ids.victim_email
    # The attacker signs in with their own account and takes the logout link e-Plan gives them.
    attacker_browser = live.browser
    hop = attacker_browser.post(f"{server.url}/auth/logout", allow_redirects=False).headers["Location"]
    assert urlsplit(hop).path == "/oidc/logout" and parse_qs(urlsplit(hop).query)["id_token_hint"]

    victim = requests.Session()
    sso_sign_in(victim, server, victim_email)
    assert urlsplit(victim.get(f"{server.url}/auth/oidc/login").url).path == "/"
    with server.app.app_context():
        before = snapshot()

    page = victim.get(hop + "&lang=en", allow_redirects=False)
    assert page.status_code == 200 and "Sign out of the Single Sign-On?" in page.text
    # A cross-site form posting the same link (no confirmation, no CSRF token) is asked too.
    posted = victim.post(
        f"{server.url}/oidc/logout", data=parse_qs(urlsplit(hop).query), allow_redirects=False
    )
    assert posted.status_code == 200 and "confirm" in posted.text

    assert urlsplit(victim.get(f"{server.url}/sso/").url).path == "/sso/"
    assert urlsplit(victim.get(f"{server.url}{EPLAN_PAGE}").url).path == EPLAN_PAGE
    with server.app.app_context():
        assert snapshot() == before
        victim_id = _db.session.execute(select(User.id).where(User.email == victim_email)).scalar_one()
        tokens = (
            _db.session.execute(select(OAuth2Token).where(OAuth2Token.user_id == victim_id)).scalars().all()
        )
        assert tokens and not any(t.refresh_token_revoked_at for t in tokens)


@pytest.fixture
def csrf_app(_schema):
    """An app that checks CSRF tokens, as production does."""
    from eplan_flow.services.platform.queues import drain_in_process

    app = make_app(WTF_CSRF_ENABLED=True, OIDC_ISSUER="http://sso.test")
    yield app
    drain_in_process(app)


def _csrf_in(html: str) -> str:
    import re

    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _id_token(user_id: int, sid_digest: str) -> str:
    """A genuine ID token of the SSO (its key, its issuer, for e-Plan) for ``user_id``."""
    key = keys.signing_key()
    _db.session.commit()
    now = int(time.time())
    claims = {
        "iss": "http://sso.test",
        "aud": "eplan",
        "iat": now,
        "exp": now + 300,
        "auth_time": now,
        "sub": str(user_id),
        "sid": sid_digest,
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)


def test_with_csrf_checks_on_a_foreign_id_token_never_signs_out_without_the_confirmation_form(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        world = build_world()
        victim, attacker = world.planner, world.planner_c
        attacker_sid = sessions.start(attacker.id, sessions.SSO)
        hint = _id_token(attacker.id, session_digest(attacker_sid))
        victim_email = victim.email
    login_page = client.get("/sso/login").get_data(as_text=True)
    signed = client.post(
        "/sso/login", data={"email": victim_email, "password": "pw", "csrf_token": _csrf_in(login_page)}
    )
    assert signed.status_code == 303
    with csrf_app.app_context():
        before = snapshot()

    assert client.get("/oidc/logout", query_string={"id_token_hint": hint, "lang": "en"}).status_code == 200
    forged = client.post("/oidc/logout", query_string={"id_token_hint": hint}, data={"confirm": "Sign out"})
    assert forged.status_code == 200  # the confirmation page again: no CSRF token, no sign-out
    assert client.get("/sso/").status_code == 200
    with csrf_app.app_context():
        assert snapshot() == before


def test_an_id_token_of_the_current_sso_session_signs_out_without_asking(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        world = build_world()
        email, user_id = world.planner.email, world.planner.id
    login_page = client.get("/sso/login").get_data(as_text=True)
    client.post("/sso/login", data={"email": email, "password": "pw", "csrf_token": _csrf_in(login_page)})
    with client.session_transaction() as cookie:
        sid = cookie["sso_sid"]
    with csrf_app.app_context():
        hint = _id_token(user_id, session_digest(sid))
    done = client.get("/oidc/logout", query_string={"id_token_hint": hint, "lang": "en"})
    assert done.status_code == 200 and "You have signed out" in done.get_data(as_text=True)
    assert client.get("/sso/").status_code == 302
    with csrf_app.app_context():
        row = _db.session.execute(select(SignInSession).where(SignInSession.user_id == user_id)).scalar_one()
        assert row.end_reason == "logout"
