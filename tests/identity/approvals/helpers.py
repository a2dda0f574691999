"""Builders for SSO approval tests: people with an account at a given step, and the e-Plan client."""

from __future__ import annotations

import random
import time
from itertools import count

from eplan_flow.extensions import db
from eplan_flow.models import Account, SystemAccess
from eplan_flow.services.identity import approvals, citizen_id, oidc_clients
from eplan_flow.services.platform import engine
from tests import factories

_seq = count(1)
EPLAN_ROLES = ("planner", "support_secretary", "devcom_secretary", "council_secretary", "executive")


def valid_citizen_id(seed: int | None = None) -> str:
    rng = random.Random(seed)
    first12 = "1" + "".join(str(rng.randrange(10)) for _ in range(11))
    return first12 + str(citizen_id.check_digit(first12))


def eplan_client():
    """e-Plan registered at the SSO with its planning roles (what the claims may carry)."""
    client = oidc_clients.ensure_client(
        "eplan",
        name="e-Plan",
        redirect_uris=["http://127.0.0.1:5000/auth/oidc/callback"],
        allowed_roles=EPLAN_ROLES,
    )
    db.session.commit()
    return client


def applicant(
    org,
    *,
    requested_role: str = "member",
    status: str = "awaiting_approval",
    approver=None,
    name: str | None = None,
):
    """A person whose account went through the applicant's steps to ``awaiting_approval`` (and on
    to ``active`` when ``status`` says so, approved by ``approver``)."""
    n = next(_seq)
    person = factories.user(org, username=f"applicant{n}_{org.code}", full_name=name or f"ผู้สมัคร {n}")
    number = valid_citizen_id(person.id)
    person.citizen_id_encrypted = citizen_id.encrypt(number)
    person.citizen_id_digest = citizen_id.digest(number)
    account = Account(user_id=person.id, organisation_id=org.id, requested_role=requested_role)
    engine.start(account, person)
    db.session.commit()
    for trigger in ("confirm_email", "verify_identity", "request_approval"):
        engine.fire("account", account.id, trigger, person)
    if status == "active":
        approvals.approve_account(approver, account.id, auth_time=time.time())
    db.session.refresh(account)
    return person, account


def member_with_access_request(org, approver, role: str = "planner"):
    """An active member of ``org`` who has asked for e-Plan with ``role``."""
    person, account = applicant(org, status="active", approver=approver)
    access = approvals.request_access(person, person, "eplan", role)
    return person, account, db.session.get(SystemAccess, access.id)


def waiting_account(org, actor=None) -> Account:
    """An account of a new person waiting at ``org`` for its approver (hypothesis builder)."""
    return applicant(org)[1]


def waiting_access_request(org, actor=None) -> SystemAccess:
    """A new active member of ``org`` asking for e-Plan as planner (hypothesis builder).

    The member's account is written as active directly: the run under test may hold only the
    system-access workflow in its registry.
    """
    eplan_client()
    n = next(_seq)
    person = factories.user(org, username=f"member{n}_{org.code}", full_name=f"สมาชิก {n}")
    db.session.add(
        Account(
            user_id=person.id,
            organisation_id=org.id,
            requested_role="member",
            status="active",
            workflow_name="account",
            workflow_version=1,
            version=1,
        )
    )
    db.session.commit()
    access = approvals.request_access(person, person, "eplan", "planner")
    return db.session.get(SystemAccess, access.id)
