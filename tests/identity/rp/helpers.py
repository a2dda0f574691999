"""Builders and probes for the relying-party tests: e-Plan registered at the SSO, a planner whose
access the LAO's SSO admin approved, and what the browser's session and the database hold."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from eplan_flow.auth import oidc_client
from eplan_flow.extensions import db
from eplan_flow.models import AuditEvent, RoleGrant
from eplan_flow.services.identity import approvals, oidc_clients
from tests.identity.approvals.helpers import EPLAN_ROLES, member_with_access_request


def register_eplan(server, **extra):
    return oidc_clients.ensure_client(
        "eplan",
        name="e-Plan",
        allowed_roles=EPLAN_ROLES,
        **oidc_client.client_registration(server.url),
        **extra,
    )


def planner_with_access(world):
    """An active member of sao_a whose e-Plan planner access the LAO's SSO admin approved."""
    person, _account, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
    return person, access


def sso_sign_in(browser: requests.Session, server, email: str, password: str = "pw") -> None:
    response = browser.post(f"{server.url}/sso/login", data={"email": email, "password": password})
    assert response.status_code == 200 and urlsplit(response.url).path == "/sso/", response.text[:300]


def session_of(server, browser) -> dict:
    """The Flask session the browser carries (signed, readable by whoever holds the cookie)."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(server.app)
    return serializer.loads(browser.cookies.get("session", domain="127.0.0.1"))


def claimed_roles(user_id: int) -> set[tuple[str, str]]:
    rows = db.session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id)).scalars()
    return {(g.role, g.source) for g in rows}


def actions(user_id: int) -> list[str]:
    return list(
        db.session.execute(
            select(AuditEvent.action).where(AuditEvent.chain == f"user:{user_id}").order_by(AuditEvent.seq)
        ).scalars()
    )
