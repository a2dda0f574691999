"""Composite steps stay whole: a step whose use case changes other rows is refused by the generic
fire endpoints (``use_dedicated_endpoint``, naming its page) and nothing changes (issue 16, item 6)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from eplan_flow.models import Account, AuditEvent, ProjectExecution, SystemAccess, User
from eplan_flow.services.identity import approvals
from eplan_flow.services.platform import engine
from tests import factories
from tests.factories import execution as executions
from tests.factories import revisions
from tests.identity.approvals.helpers import eplan_client, member_with_access_request
from workflows import REGISTRY

API = "/api/v1"


def events_of(db, row) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == engine.chain_for(row))
    )


def refused_through_both(client, workflow: str, row_id: int, trigger: str, version: int, **data):
    """Fire ``trigger`` through the JSON API and the generic workflow page; the API's answer."""
    api = client.post(
        f"{API}/instances/{workflow}/{row_id}/fire",
        json={"trigger": trigger, "expected_version": version, **({"data": data} if data else {})},
    )
    page = client.post(
        f"/instances/{workflow}/{row_id}/fire",
        data={"trigger": trigger, "expected_version": version, "comment": "", **data},
    )
    assert page.status_code in (303, 422)
    return api


def test_every_composite_step_names_the_page_that_takes_it_whole():
    composite = {
        (d.name, t.trigger): t.composite for d in REGISTRY for t in d.transitions if t.composite is not None
    }
    assert composite == {
        ("account", "confirm_email"): "/sso/confirm/<token>",
        ("account", "verify_identity"): "/sso/verify/thaid",
        ("account", "transfer"): "/sso/transfer",
        ("system_access", "end_by_transfer"): "/sso/transfer",
        ("system_access", "request_again"): "/sso/access",
        ("execution", "cancel"): "/execution/<execution_id>/cancel",
    }


def test_a_transfer_through_the_generic_endpoints_is_refused_and_the_old_lao_access_stays(
    world, db, client, login_as
):
    eplan_client()
    person, account, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
    db.session.expire_all()
    before = (db.session.get(Account, account.id).version, events_of(db, account))
    login_as(db.session.get(User, person.id))

    api = refused_through_both(
        client, "account", account.id, "transfer", before[0], to_organisation=world.sao_c.code
    )

    assert api.status_code == 409
    assert api.json["code"] == "use_dedicated_endpoint"
    assert api.json["details"]["endpoint"] == "/sso/transfer"
    db.session.expire_all()
    moved = db.session.get(Account, account.id)
    assert (moved.status, moved.organisation_id) == ("active", world.sao_a.id)
    assert (moved.version, events_of(db, moved)) == before
    assert db.session.get(SystemAccess, access.id).status == "approved"
    # The transfer's own service still takes it whole: the old LAO's access ends with it.
    approvals.transfer_account(db.session.get(User, person.id), account.id, world.sao_c.code)
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "ended"


def test_ending_access_by_transfer_alone_is_refused_on_the_generic_endpoints(world, db, client, login_as):
    eplan_client()
    person, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
    db.session.expire_all()
    version = db.session.get(SystemAccess, access.id).version
    login_as(db.session.get(User, person.id))

    api = refused_through_both(client, "system_access", access.id, "end_by_transfer", version)

    assert (api.status_code, api.json["code"]) == (409, "use_dedicated_endpoint")
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "approved"


def test_asking_again_is_refused_on_the_generic_endpoints_so_the_access_page_checks_it(
    world, db, client, login_as
):
    eplan_client()
    person, _, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.reject_access(world.sso_admin, access.id, auth_time=time.time(), comment="ไม่ใช่งานของท่าน")
    db.session.expire_all()
    version = db.session.get(SystemAccess, access.id).version
    login_as(db.session.get(User, person.id))

    api = refused_through_both(client, "system_access", access.id, "request_again", version)

    assert (api.status_code, api.json["details"]["endpoint"]) == (409, "/sso/access")
    db.session.expire_all()
    assert db.session.get(SystemAccess, access.id).status == "rejected"


@pytest.mark.parametrize(
    ("trigger", "steps_before"), [("confirm_email", ()), ("verify_identity", ("confirm_email",))]
)
def test_a_person_cannot_confirm_or_verify_themself_through_the_generic_endpoints(
    world, db, client, login_as, trigger, steps_before
):
    person = factories.user(world.sao_a, username=f"selfverify_{trigger}", full_name="ผู้สมัคร ทดสอบ")
    fresh_account = Account(user_id=person.id, organisation_id=world.sao_a.id, requested_role="member")
    engine.start(fresh_account, person)
    db.session.commit()
    for step in steps_before:
        engine.fire("account", fresh_account.id, step, person)
    db.session.expire_all()
    row = db.session.get(Account, fresh_account.id)
    before = (row.status, row.version, events_of(db, row))
    login_as(db.session.get(User, person.id))

    api = refused_through_both(client, "account", row.id, trigger, row.version)

    assert (api.status_code, api.json["code"]) == (409, "use_dedicated_endpoint")
    db.session.expire_all()
    row = db.session.get(Account, fresh_account.id)
    assert (row.status, row.version, events_of(db, row)) == before


def test_cancelling_a_project_through_the_generic_endpoints_is_refused_so_its_reason_is_kept(
    world, db, client, login_as
):
    planner = revisions.lao_planner(world.sao_a)
    execution = executions.budgeted(world.sao_a, planner)
    version = execution.version
    login_as(planner)

    api = client.post(
        f"{API}/instances/execution/{execution.id}/fire",
        json={"trigger": "cancel", "expected_version": version, "comment": "งบประมาณไม่พอ"},
    )

    assert (api.status_code, api.json["code"]) == (409, "use_dedicated_endpoint")
    assert api.json["details"]["endpoint"] == "/execution/<execution_id>/cancel"
    db.session.expire_all()
    row = db.session.get(ProjectExecution, execution.id)
    assert (row.status, row.cancel_reason, row.version) == ("budgeted", None, version)


def test_the_instance_page_links_a_composite_step_to_its_own_page_instead_of_a_button(
    world, db, client, login_as
):
    eplan_client()
    person, account, access = member_with_access_request(world.sao_a, world.sso_admin)
    approvals.approve_access(world.sso_admin, access.id, auth_time=time.time())
    login_as(db.session.get(User, person.id))

    page = client.get(f"/instances/account/{account.id}?lang=th").get_data(as_text=True)

    assert '<a href="/sso/transfer">ไปทำขั้นตอนนี้ในหน้าของขั้นตอน</a>' in page
    assert 'name="trigger" value="transfer"' not in page
