"""With CSRF protection on (as in production) every SSO form needs its token; session cookies are
Secure, HttpOnly and SameSite in production."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eplan_flow.extensions import db as _db
from eplan_flow.models import Account, AuditEvent, User
from tests import factories
from tests.conftest import PRODUCTION_CONFIG
from tests.identity.sso.conftest import STRONG_PASSWORD, register
from tests.pages import csrf_token_in


@pytest.fixture
def csrf_app(make_sso_app):
    app = make_sso_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = factories.build_world()
        person = register(world.sao_a, 1).user
        app.config["test_people"] = {"email": person.email, "id": person.id, "org": world.sao_a.id}
        _db.session.remove()
    return app


def snapshot(app):
    with app.app_context():
        try:
            return tuple(
                _db.session.scalar(select(func.count()).select_from(m)) for m in (User, Account, AuditEvent)
            )
        finally:
            _db.session.remove()


def text(response) -> str:
    return response.get_data(as_text=True)


def test_every_sso_form_refuses_a_post_without_its_token_and_changes_nothing(csrf_app):
    people = csrf_app.config["test_people"]
    client = csrf_app.test_client()
    before = snapshot(csrf_app)
    posts = {
        "/sso/login": {"email": people["email"], "password": STRONG_PASSWORD},
        f"/sso/register?org={people['org']}": {"citizen_id": "1101700207030", "email": "new@x.test"},
        "/sso/confirm/some-token": {},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 400, url
    with client.session_transaction() as session:
        assert "sso_uid" not in session
    assert snapshot(csrf_app) == before

    # Signed in with the login page's token, the other forms still need theirs.
    token = csrf_token_in(text(client.get("/sso/login")))
    assert (
        client.post(
            "/sso/login", data={"email": people["email"], "password": STRONG_PASSWORD, "csrf_token": token}
        ).status_code
        == 303
    )
    for url in ("/sso/reauth", "/sso/reapply", "/sso/confirm/resend", "/sso/logout"):
        assert client.post(url, data={"password": STRONG_PASSWORD}).status_code in (400, 303), url
    with client.session_transaction() as session:
        assert session.get("sso_uid") == people["id"]  # sign-out without the token did nothing
    page = text(client.get("/sso/"))
    assert client.post("/sso/logout", data={"csrf_token": csrf_token_in(page)}).status_code == 303
    with client.session_transaction() as session:
        assert "sso_uid" not in session


def test_re_authentication_without_the_token_is_refused(csrf_app):
    people = csrf_app.config["test_people"]
    client = csrf_app.test_client()
    token = csrf_token_in(text(client.get("/sso/login")))
    client.post(
        "/sso/login", data={"email": people["email"], "password": STRONG_PASSWORD, "csrf_token": token}
    )
    with client.session_transaction() as session:
        session["sso_auth_time"] = 1
    assert client.post("/sso/reauth", data={"password": STRONG_PASSWORD}).status_code == 400
    with client.session_transaction() as session:
        assert session["sso_auth_time"] == 1
    token = csrf_token_in(text(client.get("/sso/reauth")))
    assert (
        client.post("/sso/reauth", data={"password": STRONG_PASSWORD, "csrf_token": token}).status_code == 303
    )


def test_a_production_app_sets_secure_httponly_samesite_session_cookies(make_sso_app):
    app = make_sso_app(**PRODUCTION_CONFIG)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    with app.app_context():
        world = factories.build_world()
        email = register(world.sao_a, 1).user.email
        _db.session.remove()
    client = app.test_client()
    page = client.get("/sso/login", base_url="https://sso.example")
    # Over HTTPS Flask-WTF also checks that the form came from this site (the Referer).
    response = client.post(
        "/sso/login",
        base_url="https://sso.example",
        headers={"Referer": "https://sso.example/sso/login"},
        data={"email": email, "password": STRONG_PASSWORD, "csrf_token": csrf_token_in(text(page))},
    )
    assert response.status_code == 303
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
