"""Who may call the API: session cookie (with a CSRF header for writes) or a bearer token.

Requests go through apps of their own on the shared database so each request gets a fresh app
context, as in production; the CSRF app has protection on, as in production.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from eplan_flow.extensions import db as _db
from eplan_flow.models import ApiToken, AuditEvent, Plan, User
from eplan_flow.models._types import utcnow
from eplan_flow.services.identity import accounts
from tests import factories
from tests.conftest import make_app

API = "/api/v1"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _served(**overrides):
    served = make_app(**overrides)
    yield served
    with served.app_context():
        _db.engine.dispose()


@pytest.fixture
def api_app(app):
    """CSRF off (the test configuration's default)."""
    yield from _served()


@pytest.fixture
def csrf_app(app):
    """CSRF on, as in production."""
    yield from _served(WTF_CSRF_ENABLED=True)


def sign_in(client, user) -> None:
    """Sign in through the real login form, sending its CSRF token back as a browser would."""
    page = client.get("/auth/login").get_data(as_text=True)
    match = CSRF_FIELD.search(page)
    data = {"username": user.username, "password": "pw"}
    if match:
        data["csrf_token"] = match.group(1)
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def plan_state(plan_id: int) -> tuple:
    _db.session.expire_all()
    plan = _db.session.get(Plan, plan_id)
    return plan.status, plan.version, _db.session.scalar(select(func.count()).select_from(AuditEvent))


def fire_url(plan) -> str:
    return f"{API}/instances/plan/{plan.id}/fire"


SUBMIT = {"trigger": "submit_to_committee"}


# -- no credentials -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/workflows"),
        ("GET", "/workflows/plan/diagram"),
        ("GET", "/instances/plan/{id}"),
        ("POST", "/instances/plan/{id}/fire"),
        ("GET", "/me"),
    ],
)
def test_every_endpoint_answers_401_json_without_credentials(api_app, world, method, path):
    plan = factories.plan(world.sao_a, world.planner)
    before = plan_state(plan.id)

    response = api_app.test_client().open(API + path.format(id=plan.id), method=method, json=SUBMIT)

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert plan_state(plan.id) == before


# -- bearer tokens --------------------------------------------------------------------------------
def test_a_bearer_token_reads_and_fires_without_any_csrf_token(csrf_app, world):
    plan = factories.plan(world.sao_a, world.planner)
    token = accounts.create_token(world.planner.username, "integration")
    headers = {"Authorization": f"Bearer {token}"}
    client = csrf_app.test_client()

    read = client.get(f"{API}/instances/plan/{plan.id}", headers=headers)
    fired = client.post(fire_url(plan), json=SUBMIT, headers=headers)
    me = client.get(f"{API}/me", headers=headers)

    assert read.status_code == 200
    assert fired.status_code == 200, fired.get_json()
    assert fired.get_json()["state"] == "committee_review"
    event = _db.session.get(AuditEvent, fired.get_json()["audit_event_id"])
    assert event.actor_id == world.planner.id
    assert me.get_json()["auth"] == "bearer"
    assert me.get_json()["username"] == world.planner.username
    assert "csrf_token" not in me.get_json()
    # A token client gets no session cookie to carry around.
    assert not any("session=" in c for c in fired.headers.getlist("Set-Cookie"))


def _expire(name: str) -> None:
    _db.session.execute(
        update(ApiToken).where(ApiToken.name == name).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    _db.session.commit()


def _revoke(name: str) -> None:
    _db.session.execute(update(ApiToken).where(ApiToken.name == name).values(revoked_at=utcnow()))
    _db.session.commit()


def _disable_owner(name: str) -> None:
    owner_id = _db.session.scalar(select(ApiToken.user_id).where(ApiToken.name == name))
    _db.session.execute(update(User).where(User.id == owner_id).values(is_enabled=False))
    _db.session.commit()


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_expire, id="expired"),
        pytest.param(_revoke, id="revoked"),
        pytest.param(_disable_owner, id="owner-disabled"),
        pytest.param(None, id="unknown"),
    ],
)
def test_a_spoiled_or_unknown_bearer_token_is_401_and_changes_nothing(csrf_app, world, spoil):
    plan = factories.plan(world.sao_a, world.planner)
    token = accounts.create_token(world.planner.username, "spoiled")
    if spoil is None:
        token = "epf_" + "x" * 43
    else:
        spoil("spoiled")
    before = plan_state(plan.id)
    headers = {"Authorization": f"Bearer {token}"}
    client = csrf_app.test_client()

    read = client.get(f"{API}/instances/plan/{plan.id}", headers=headers)
    fired = client.post(fire_url(plan), json=SUBMIT, headers=headers)

    assert (read.status_code, read.get_json()["code"]) == (401, "unauthenticated")
    assert (fired.status_code, fired.get_json()["code"]) == (401, "unauthenticated")
    assert plan_state(plan.id) == before


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic YV9wbGFubmVyOnB3", "Token abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_401(api_app, world, header):
    response = api_app.test_client().get(f"{API}/workflows", headers={"Authorization": header})

    assert (response.status_code, response.get_json()["code"]) == (401, "unauthenticated")


# -- session cookie and CSRF ----------------------------------------------------------------------
def test_a_session_reads_without_a_csrf_token(csrf_app, world):
    plan = factories.plan(world.sao_a, world.planner)
    client = csrf_app.test_client()
    sign_in(client, world.planner)

    response = client.get(f"{API}/instances/plan/{plan.id}")

    assert response.status_code == 200
    assert response.get_json()["state"] == "drafting"


@pytest.mark.parametrize("csrf_header", [None, "not-a-token"], ids=["no-header", "forged-header"])
def test_a_session_write_without_a_valid_csrf_header_is_refused_and_changes_nothing(
    csrf_app, world, csrf_header
):
    plan = factories.plan(world.sao_a, world.planner)
    client = csrf_app.test_client()
    sign_in(client, world.planner)
    before = plan_state(plan.id)

    headers = {"X-CSRFToken": csrf_header} if csrf_header else {}
    response = client.post(fire_url(plan), json=SUBMIT, headers=headers)

    assert response.status_code == 400
    assert response.get_json()["code"] == "csrf_failed"
    assert plan_state(plan.id) == before


def test_a_session_write_with_the_csrf_token_from_me_fires(csrf_app, world):
    plan = factories.plan(world.sao_a, world.planner)
    client = csrf_app.test_client()
    sign_in(client, world.planner)

    me = client.get(f"{API}/me").get_json()
    response = client.post(fire_url(plan), json=SUBMIT, headers={"X-CSRFToken": me["csrf_token"]})

    assert me["auth"] == "session"
    assert me["roles"] == [
        {
            "role": "planner",
            "organisation": {
                "id": world.sao_a.id,
                "code": world.sao_a.code,
                "name": world.sao_a.display_name,
            },
        }
    ]
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "committee_review"


def test_a_session_csrf_token_does_not_work_for_another_session(csrf_app, world):
    plan = factories.plan(world.sao_a, world.planner)
    mine, theirs = csrf_app.test_client(), csrf_app.test_client()
    sign_in(mine, world.planner)
    sign_in(theirs, world.support_secretary)
    their_token = theirs.get(f"{API}/me").get_json()["csrf_token"]
    mine.get(f"{API}/me")  # my session has a token of its own
    before = plan_state(plan.id)

    response = mine.post(fire_url(plan), json=SUBMIT, headers={"X-CSRFToken": their_token})

    assert response.get_json()["code"] == "csrf_failed"
    assert plan_state(plan.id) == before


def test_with_csrf_protection_off_a_session_write_needs_no_token(api_app, world):
    plan = factories.plan(world.sao_a, world.planner)
    client = api_app.test_client()
    sign_in(client, world.planner)

    response = client.post(fire_url(plan), json=SUBMIT)

    assert response.status_code == 200, response.get_json()


def test_after_signing_out_the_session_no_longer_authenticates(api_app, world):
    client = api_app.test_client()
    sign_in(client, world.planner)
    assert client.get(f"{API}/workflows").status_code == 200

    client.post("/auth/logout")

    assert client.get(f"{API}/workflows").status_code == 401
