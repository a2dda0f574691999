"""SSO sign-in: a fresh session each time, lockout after repeated failures, admin unlock, audit."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from eplan_flow.errors import NotFound, PermissionDenied
from eplan_flow.extensions import db as _db
from eplan_flow.models import AuditEvent, EmailMessage, User
from eplan_flow.services.identity import accounts, identity
from eplan_flow.services.platform import audit
from eplan_flow.sso import routes as sso_routes
from tests.identity.sso.conftest import STRONG_PASSWORD, register


def auth_actions(user_id: int) -> list[str]:
    return list(
        _db.session.execute(
            select(AuditEvent.action).where(AuditEvent.chain == f"auth:{user_id}").order_by(AuditEvent.seq)
        ).scalars()
    )


def fresh(user_id: int) -> User:
    _db.session.expire_all()
    return _db.session.get(User, user_id)


def sign_in(client, email, password=STRONG_PASSWORD, **kwargs):
    return client.post("/sso/login", data={"email": email, "password": password}, **kwargs)


@pytest.fixture
def person(world, db):
    return register(world.sao_a, 1).user


def test_signing_in_starts_a_fresh_session_with_a_new_id_and_drops_what_was_there(person, client):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["sso_sid"] = "fixed-session-id"
        session["lang"] = "en"
    response = sign_in(client, person.email)
    assert response.status_code == 303 and response.headers["Location"] == "/sso/"
    with client.session_transaction() as session:
        first = dict(session)
    assert "planted" not in first and first["sso_sid"] != "fixed-session-id"
    assert first["sso_uid"] == person.id and first["lang"] == "en"
    assert abs(first["sso_auth_time"] - time.time()) < 60
    sign_in(client, person.email)
    with client.session_transaction() as session:
        assert session["sso_sid"] != first["sso_sid"]
    assert auth_actions(person.id) == ["registered", "login", "login"]
    assert fresh(person.id).last_login_at is not None


def test_wrong_passwords_pause_sign_in_which_then_refuses_even_the_right_password_alike(person, client, app):
    threshold = app.config["LOGIN_LOCKOUT_THRESHOLD"]
    for attempt in range(1, threshold):
        assert sign_in(client, person.email, "wrong password 1").status_code == 401
        assert (fresh(person.id).failed_login_count, fresh(person.id).locked_until) == (attempt, None)
    unknown = sign_in(client, "nobody@nowhere.test", "wrong password 1", query_string={"lang": "en"})
    wrong = unknown.status_code, unknown.get_data(as_text=True).replace("nobody@nowhere.test", "EMAIL")
    locking = sign_in(client, person.email, "wrong password 1", query_string={"lang": "en"})
    # The pause is not announced: the answer is an unknown address's.
    assert (locking.status_code, locking.get_data(as_text=True).replace(person.email, "EMAIL")) == wrong
    user = fresh(person.id)
    assert user.locked_until is not None and user.locked_at is not None
    assert (user.locked_until - user.locked_at).total_seconds() == app.config["LOGIN_LOCKOUT_WAIT_SECONDS"]
    refused = sign_in(client, person.email, STRONG_PASSWORD, query_string={"lang": "en"})
    assert (refused.status_code, refused.get_data(as_text=True).replace(person.email, "EMAIL")) == wrong
    with client.session_transaction() as session:
        assert "sso_uid" not in session
    assert auth_actions(person.id) == [
        "registered",
        *["login_failed"] * threshold,
        "account_locked",
        "login_refused_locked",
    ]
    # The person is told by email, once.
    notices = (
        _db.session.execute(select(EmailMessage).where(EmailMessage.subject.contains("Sign-in paused")))
        .scalars()
        .all()
    )
    assert [m.to for m in notices] == [person.email]


def test_a_success_resets_the_count_of_failures_in_a_row(person, client, app):
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"] - 1):
        sign_in(client, person.email, "wrong password 1")
    assert sign_in(client, person.email).status_code == 303
    assert fresh(person.id).failed_login_count == 0
    assert sign_in(client, person.email, "wrong password 1").status_code == 401
    assert fresh(person.id).locked_at is None


def test_an_unknown_address_is_refused_like_a_wrong_password_and_audited_without_it(world, client):
    response = sign_in(client, "nobody@nowhere.test", "whatever password")
    assert response.status_code == 401
    event = _db.session.execute(
        select(AuditEvent).where(AuditEvent.chain.startswith("auth:unknown"))
    ).scalar_one()
    assert event.action == "login_failed" and event.data == {"reason": "unknown_email", "ip": "127.0.0.1"}
    # One of the shard chains, the same for the same address, whatever its case.
    assert event.chain == audit.shard_chain("auth:unknown", "Nobody@Nowhere.test ")
    assert event.chain.removeprefix("auth:unknown:").isdigit()


def test_no_audit_event_holds_a_password(person, client):
    sign_in(client, person.email, "the-secret-guess-77")
    sign_in(client, person.email)
    for event in _db.session.execute(select(AuditEvent)).scalars():
        text = repr(event.data) + (event.comment or "")
        assert "the-secret-guess-77" not in text and STRONG_PASSWORD not in text


def lock(user_id: int, app) -> None:
    user = _db.session.get(User, user_id)
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        with pytest.raises(identity.InvalidCredentials):
            identity.authenticate(user.email, "wrong password 1")
    assert identity.sign_in_paused_until(fresh(user_id)) is not None


@pytest.mark.parametrize("admin", ["sso_admin", "provincial_officer", "dla_admin"])
def test_the_lao_sso_admin_the_province_and_dla_unlock_an_account(person, world, app, admin):
    lock(person.id, app)
    identity.unlock(getattr(world, admin), person.id)
    user = fresh(person.id)
    assert (user.locked_at, user.locked_until, user.failed_login_count) == (None, None, 0)
    event = _db.session.execute(
        select(AuditEvent).where(AuditEvent.chain == f"auth:{person.id}", AuditEvent.action == "unlocked")
    ).scalar_one()
    assert event.actor_id == getattr(world, admin).id
    assert identity.authenticate(person.email, STRONG_PASSWORD).id == person.id


@pytest.mark.parametrize(
    "outsider, refusal",
    [
        ("town_sso_admin", NotFound),
        ("provincial_officer_30", NotFound),
        ("planner", PermissionDenied),
        ("district_officer", PermissionDenied),
    ],
)
def test_nobody_else_unlocks_and_the_account_stays_locked(person, world, app, outsider, refusal):
    lock(person.id, app)
    with pytest.raises(refusal):
        identity.unlock(getattr(world, outsider), person.id)
    assert identity.sign_in_paused_until(fresh(person.id)) is not None
    assert "unlocked" not in auth_actions(person.id)


def test_unlocking_an_account_that_is_not_locked_is_refused(person, world):
    with pytest.raises(identity.NotLocked):
        identity.unlock(world.sso_admin, person.id)


def test_the_development_login_shares_the_lockout(world, db, app):
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        assert accounts.authenticate("a_planner", "nope") is None
    assert identity.sign_in_paused_until(fresh(world.planner.id)) is not None
    assert accounts.authenticate("a_planner", "pw") is None
    identity.unlock(world.sso_admin, world.planner.id)
    assert accounts.authenticate("a_planner", "pw").id == world.planner.id


@pytest.mark.parametrize(
    "target, kept",
    [
        ("/authorize?client_id=eplan&state=x", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
    ],
)
def test_next_is_followed_only_to_a_path_on_this_site(person, client, target, kept):
    response = client.post(
        "/sso/login", query_string={"next": target}, data={"email": person.email, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == (target if kept else "/sso/")


def test_re_authentication_renews_the_proof_of_identity_and_returns_to_next(person, client):
    sign_in(client, person.email)
    with client.session_transaction() as session:
        session["sso_auth_time"] = int(time.time()) - 3600
        sid = session["sso_sid"]
    wrong = client.post("/sso/reauth?next=/sso/", data={"password": "wrong password 1"})
    assert wrong.status_code == 401
    assert fresh(person.id).failed_login_count == 1
    ok = client.post("/sso/reauth?next=/oidc/approve", data={"password": STRONG_PASSWORD})
    assert ok.status_code == 303 and ok.headers["Location"] == "/oidc/approve"
    with client.session_transaction() as session:
        assert abs(session["sso_auth_time"] - time.time()) < 60
        assert session["sso_sid"] == sid  # the same session, proven again
    assert auth_actions(person.id)[-2:] == ["reauth_failed", "reauthenticated"]
    assert fresh(person.id).failed_login_count == 0


def test_re_authentication_needs_an_sso_session(client):
    response = client.get("/sso/reauth?next=/x")
    assert response.status_code == 302 and "/sso/login" in response.headers["Location"]


def test_signing_out_runs_the_logout_hooks_then_ends_the_sso_session(person, client):
    seen = []
    sso_routes.logout_hooks.append(lambda user, sid: seen.append((user.id, sid)))
    sso_routes.logout_hooks.append(lambda user, sid: 1 / 0)  # a failing hook does not keep anyone in
    try:
        sign_in(client, person.email)
        with client.session_transaction() as session:
            sid = session["sso_sid"]
        response = client.post("/sso/logout")
    finally:
        del sso_routes.logout_hooks[-2:]
    assert response.status_code == 303 and response.headers["Location"] == "/sso/login"
    assert seen == [(person.id, sid)]
    with client.session_transaction() as session:
        assert not {"sso_uid", "sso_sid", "sso_auth_time"} & set(session)
    assert auth_actions(person.id)[-1] == "logout"
    assert client.get("/sso/").status_code == 302
